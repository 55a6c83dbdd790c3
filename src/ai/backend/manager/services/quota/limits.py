"""The slot and count limits, as pure functions shared by `POST /session` and the scheduler.

`POST /session` refuses what can never fit or what would overflow the pending queue (hard
limits); the scheduler keeps a session PENDING while its owner's running sessions fill a limit
(soft limits). Both compare slots with the same `over_limit`, so the two never disagree on what a
limit means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ai.backend.manager.sokovan.scheduler.types import (
    ZERO,
    DefaultForUnspecified,
    ResourceSlot,
    SlotMap,
    format_slots,
)


def unlisted_cap(default_for_unspecified: DefaultForUnspecified) -> Decimal | None:
    """What a keypair policy allows for a slot its `total_resource_slots` does not list."""
    return ZERO if default_for_unspecified == DefaultForUnspecified.LIMITED else None


def over_limit(
    requested: SlotMap, used: SlotMap, limit: SlotMap, unlisted: Decimal | None
) -> list[str]:
    """Slots (with a non-zero request) for which `used + requested` would exceed `limit`.

    An empty `limit` means no limit at all. A slot the limit does not list is limited to
    `unlisted`, or unlimited when `unlisted` is None.
    """
    if not limit:
        return []
    over: list[str] = []
    for name, amount in requested.items():
        if amount <= ZERO:
            continue
        cap = limit.get(name, unlisted)
        if cap is not None and used.get(name, ZERO) + amount > cap:
            over.append(name)
    return over


def limit_message(
    who: str,
    requested: SlotMap,
    used: SlotMap,
    limit: SlotMap,
    unlisted: Decimal | None,
    over: Sequence[str],
) -> str:
    """`keypair X resource limit reached: needs cpu 4 more, uses cpu 2 of cpu 4`."""
    effective: ResourceSlot = {n: limit.get(n, unlisted or ZERO) for n in over}
    return (
        f"{who} resource limit reached: needs {format_slots(requested, only=over)} more, "
        f"uses {format_slots(used, only=over)} of {format_slots(effective, only=over)}"
    )


def too_large_message(
    who: str, requested: SlotMap, limit: SlotMap, unlisted: Decimal | None, over: Sequence[str]
) -> str:
    """The message for a single session larger than a total limit: it could never start."""
    effective: ResourceSlot = {n: limit.get(n, unlisted or ZERO) for n in over}
    return (
        f"The session asks for {format_slots(requested, only=over)}, more than the {who} "
        f"may ever use at once ({format_slots(effective, only=over)})"
    )


# === the checks POST /session runs ===============================================================


@dataclass(frozen=True, slots=True, kw_only=True)
class AdmissionLimits:
    """The limits that apply to one new session, read at `POST /session`."""

    # keypair resource policy
    total_resource_slots: ResourceSlot = field(default_factory=dict)
    default_for_unspecified: DefaultForUnspecified = DefaultForUnspecified.LIMITED
    max_containers_per_session: int | None = None
    max_pending_session_count: int | None = None  # None: no limit
    max_pending_session_resource_slots: ResourceSlot | None = None  # None or empty: no limit
    # the project's and the domain's `total_resource_slots` (empty: no limit)
    project_slots: ResourceSlot = field(default_factory=dict)
    domain_slots: ResourceSlot = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingUsage:
    """What the keypair already has waiting in the queue."""

    session_count: int = 0
    slots: ResourceSlot = field(default_factory=dict)


def admission_refusal(
    *,
    requested: SlotMap,
    cluster_size: int,
    limits: AdmissionLimits,
    pending: PendingUsage,
    project_name: str,
    domain_name: str,
) -> str | None:
    """Why a new session must be refused right away, or None when it may be enqueued.

    Only limits the session can never satisfy by waiting are checked here: its container count,
    its size against each total limit, and the keypair's pending queue.
    """
    cap = limits.max_containers_per_session
    if cap is not None and cap > 0 and cluster_size > cap:
        return (
            f"The session asks for {cluster_size} containers, but your keypair's "
            f"resource policy allows at most {cap} per session"
        )
    unlisted = unlisted_cap(limits.default_for_unspecified)
    scopes: tuple[tuple[str, Mapping[str, Decimal], Decimal | None], ...] = (
        ("keypair", limits.total_resource_slots, unlisted),
        (f"project {project_name}", limits.project_slots, None),
        (f"domain {domain_name}", limits.domain_slots, None),
    )
    for who, limit, scope_unlisted in scopes:
        over = over_limit(requested, {}, limit, scope_unlisted)
        if over:
            return too_large_message(who, requested, limit, scope_unlisted, over)
    max_pending = limits.max_pending_session_count
    if max_pending is not None and pending.session_count + 1 > max_pending:
        return (
            f"Your keypair already has {pending.session_count} pending sessions "
            f"(limit {max_pending}); wait for some to start or cancel them"
        )
    pending_cap = limits.max_pending_session_resource_slots
    if pending_cap:
        over = over_limit(requested, pending.slots, pending_cap, None)
        if over:
            return limit_message(
                "pending sessions", requested, pending.slots, pending_cap, None, over
            )
    return None
