"""The scheduler's inputs and outputs, and arithmetic on resource slots.

Everything here is immutable: a `SchedulingSnapshot` goes in, a `SchedulingPlan` comes out.
Slot amounts are exact `Decimal`s. The snapshot's mappings are never mutated by the scheduler.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Final
from uuid import UUID

from ai.backend.manager.types import (
    AgentSelectionStrategy,
    ClusterMode,
    DefaultForUnspecified,
    ResourceSlot,
    SessionResult,
    SessionStatus,
)

__all__ = (
    "AgentSelectionStrategy",
    "AgentSnapshot",
    "ClusterMode",
    "DefaultForUnspecified",
    "DependencyState",
    "KernelPlacement",
    "KernelRequest",
    "KeypairLimits",
    "KeypairUsage",
    "PendingSession",
    "QueuePolicy",
    "ReasonCode",
    "ResourceSlot",
    "SchedulingPlan",
    "SchedulingSnapshot",
    "SessionCancellation",
    "SessionDeferral",
    "SessionPlacement",
    "SessionResult",
    "SessionStatus",
    "SlotMap",
    "Verdict",
    "dominant_share",
    "format_slots",
    "slot_add",
    "slot_sub",
    "slot_sum",
    "slots_fit",
    "slots_over",
)

ZERO: Final = Decimal(0)

# Read-only view of a `ResourceSlot`; every helper accepts one and none mutates its arguments.
type SlotMap = Mapping[str, Decimal]


# === slot arithmetic =============================================================================


def slot_add(a: SlotMap, b: SlotMap) -> ResourceSlot:
    """Slot-wise `a + b`; a slot missing on one side counts as zero."""
    out = dict(a)
    for name, amount in b.items():
        out[name] = out.get(name, ZERO) + amount
    return out


def slot_sub(a: SlotMap, b: SlotMap) -> ResourceSlot:
    """Slot-wise `a - b`; a slot missing on one side counts as zero (the result may go negative)."""
    out = dict(a)
    for name, amount in b.items():
        out[name] = out.get(name, ZERO) - amount
    return out


def slot_sum(items: Iterable[SlotMap]) -> ResourceSlot:
    out: ResourceSlot = {}
    for item in items:
        for name, amount in item.items():
            out[name] = out.get(name, ZERO) + amount
    return out


def slots_fit(requested: SlotMap, available: SlotMap) -> bool:
    """True when every requested amount is at most what is available.

    A slot missing from `available` counts as zero available; a zero request always fits.
    """
    return all(
        amount <= ZERO or amount <= available.get(name, ZERO) for name, amount in requested.items()
    )


def slots_over(requested: SlotMap, available: SlotMap) -> list[str]:
    """The names of the slots (requested order) where `requested` exceeds `available`."""
    return [
        name
        for name, amount in requested.items()
        if amount > ZERO and amount > available.get(name, ZERO)
    ]


def dominant_share(used: SlotMap, total: SlotMap) -> Decimal:
    """The largest `used / total` over the slots with a positive total (DRF's dominant share).

    Slots the total does not have (or has zero of) are ignored; nothing used gives zero.
    """
    share = ZERO
    for name, amount in used.items():
        capacity = total.get(name, ZERO)
        if capacity > ZERO and amount > ZERO:
            ratio = amount / capacity
            if ratio > share:
                share = ratio
    return share


# --- human-readable slots (for status_info) ------------------------------------------------------

_BINARY_UNITS: Final = (
    ("PiB", 2**50),
    ("TiB", 2**40),
    ("GiB", 2**30),
    ("MiB", 2**20),
    ("KiB", 2**10),
)
_TWO_PLACES: Final = Decimal("0.01")


def _is_bytes_slot(name: str) -> bool:
    return name == "mem" or name.endswith(".mem")


def _plain(amount: Decimal) -> str:
    if amount == amount.to_integral_value():
        return str(amount.to_integral_value())
    return format(amount.normalize(), "f")


def format_amount(name: str, amount: Decimal) -> str:
    """`mem 34359738368` -> `32 GiB`; `cpu 1.50` -> `1.5`."""
    if _is_bytes_slot(name) and amount.is_finite():
        for unit, size in _BINARY_UNITS:
            if abs(amount) >= size:
                return f"{_plain((amount / size).quantize(_TWO_PLACES))} {unit}"
        return f"{_plain(amount)} B"
    return _plain(amount)


def slot_display_order(names: Iterable[str]) -> list[str]:
    """cpu, then mem, then the other slots by name: the order people read them in."""
    return sorted(names, key=lambda n: (0 if n == "cpu" else 1 if n == "mem" else 2, n))


def format_slots(slots: SlotMap, *, only: Iterable[str] | None = None) -> str:
    """`cpu 16, mem 32 GiB, cuda.device 2`; zero amounts are left out unless named in `only`."""
    names = [n for n, a in slots.items() if a != ZERO] if only is None else list(only)
    if not names:
        return "nothing"
    return ", ".join(
        f"{n} {format_amount(n, slots.get(n, ZERO))}" for n in slot_display_order(names)
    )


# === enumerations ===============================================================================


class QueuePolicy(enum.StrEnum):
    """How the pending queue of a resource group is ordered (`scaling_groups.scheduler`)."""

    FIFO = "fifo"
    LIFO = "lifo"
    DRF = "drf"


class ReasonCode(enum.StrEnum):
    """Why a session was not placed in this pass; stable strings for `status_data` and metrics."""

    # waiting for something that will (or may) change by itself
    START_TIME_NOT_REACHED = "start-time-not-reached"
    DEPENDENCY_NOT_READY = "dependency-not-ready"
    # limits: wait until the owner's other sessions finish
    KEYPAIR_CONCURRENCY_LIMIT = "keypair-concurrency-limit"
    KEYPAIR_RESOURCE_LIMIT = "keypair-resource-limit"
    USER_RESOURCE_LIMIT = "user-resource-limit"
    PROJECT_RESOURCE_LIMIT = "project-resource-limit"
    DOMAIN_RESOURCE_LIMIT = "domain-resource-limit"
    CLUSTER_SIZE_LIMIT = "cluster-size-limit"
    # configuration of the resource group: waits until an operator changes it
    SESSION_TYPE_NOT_ALLOWED = "session-type-not-allowed"
    ARCHITECTURE_UNAVAILABLE = "architecture-unavailable"
    DESIGNATED_AGENT_UNAVAILABLE = "designated-agent-unavailable"
    MIXED_ARCHITECTURES = "mixed-architectures"
    # capacity: waits until other sessions finish or agents join
    NO_SCHEDULABLE_AGENT = "no-schedulable-agent"
    AGENT_CONTAINER_LIMIT = "agent-container-limit"
    EXCEEDS_AGENT_CAPACITY = "exceeds-agent-capacity"
    INSUFFICIENT_RESOURCES = "insufficient-resources"
    NO_KERNELS = "no-kernels"
    # cancellations: the session can never start
    DEPENDENCY_FAILED = "dependency-failed"


# === the snapshot (input) =======================================================================


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSnapshot:
    id: str
    addr: str
    architecture: str
    capacity: ResourceSlot
    # Slots held by kernels already on the agent (running or reserved).
    occupied: ResourceSlot
    container_count: int = 0
    max_container_count: int | None = None  # None: no limit
    schedulable: bool = True
    # Canonical names of the images the agent reports having (it starts those without a pull).
    installed_images: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class KernelRequest:
    kernel_id: UUID
    cluster_role: str
    cluster_idx: int
    requested_slots: ResourceSlot
    image: str
    architecture: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingSession:
    session_id: UUID
    name: str
    access_key: str
    user_uuid: UUID
    group_id: UUID
    domain_name: str
    session_type: str
    cluster_mode: ClusterMode
    cluster_size: int
    priority: int
    created_at: datetime
    kernels: tuple[KernelRequest, ...]
    requested_starts_at: datetime | None = None
    dependencies: tuple[UUID, ...] = ()
    # None or empty: any agent of the group; otherwise only these (by agent id).
    designated_agent_ids: tuple[str, ...] | None = None
    # A private (SFTP) session counts against `max_concurrent_sftp_sessions` instead.
    is_private: bool = False

    @property
    def requested_slots(self) -> ResourceSlot:
        """The sum over the session's kernels."""
        return slot_sum(k.requested_slots for k in self.kernels)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeypairLimits:
    """What one access key may hold at a time (its keypair resource policy)."""

    max_concurrent_sessions: int
    # Empty: no limit on any slot. Otherwise a slot it does not list is unlimited when
    # `default_for_unspecified` is UNLIMITED and zero when it is LIMITED.
    total_resource_slots: ResourceSlot = field(default_factory=dict)
    default_for_unspecified: DefaultForUnspecified = DefaultForUnspecified.LIMITED
    max_containers_per_session: int = 1
    max_pending_session_count: int | None = None  # enforced on enqueue, carried for completeness
    max_concurrent_sftp_sessions: int | None = None  # None: no limit


@dataclass(frozen=True, slots=True, kw_only=True)
class KeypairUsage:
    """What one access key holds now, in any resource group."""

    session_count: int = 0  # non-private sessions occupying resources
    occupied: ResourceSlot = field(default_factory=dict)
    private_session_count: int = 0  # private (SFTP) sessions occupying resources


@dataclass(frozen=True, slots=True, kw_only=True)
class DependencyState:
    status: SessionStatus
    result: SessionResult


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulingSnapshot:
    """One resource group as the scheduler sees it at the start of a pass."""

    resource_group: str
    scheduler: QueuePolicy
    agent_selection_strategy: AgentSelectionStrategy
    now: datetime
    agents: tuple[AgentSnapshot, ...]
    pending: tuple[PendingSession, ...]
    allowed_session_types: frozenset[str] = frozenset()  # empty: every type
    keypair_limits: Mapping[str, KeypairLimits] = field(default_factory=dict)
    keypair_usage: Mapping[str, KeypairUsage] = field(default_factory=dict)
    # Total-slot limits per user / project (group) / domain: a missing entry, an empty map or a
    # slot missing from the map means no limit on it.
    user_limits: Mapping[UUID, ResourceSlot] = field(default_factory=dict)
    group_limits: Mapping[UUID, ResourceSlot] = field(default_factory=dict)
    domain_limits: Mapping[str, ResourceSlot] = field(default_factory=dict)
    user_usage: Mapping[UUID, ResourceSlot] = field(default_factory=dict)
    group_usage: Mapping[UUID, ResourceSlot] = field(default_factory=dict)
    domain_usage: Mapping[str, ResourceSlot] = field(default_factory=dict)
    # The state of every session some pending session depends on.
    dependency_states: Mapping[UUID, DependencyState] = field(default_factory=dict)
    # Index into the group's agents sorted by id where the round-robin walk resumes.
    roundrobin_cursor: int = 0


# === the plan (output) ==========================================================================


@dataclass(frozen=True, slots=True, kw_only=True)
class KernelPlacement:
    kernel_id: UUID
    agent_id: str
    agent_addr: str
    slots: ResourceSlot


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionPlacement:
    session_id: UUID
    kernels: tuple[KernelPlacement, ...]

    @property
    def agent_ids(self) -> tuple[str, ...]:
        """The distinct agents used, in kernel order."""
        return tuple(dict.fromkeys(k.agent_id for k in self.kernels))

    @property
    def total_slots(self) -> ResourceSlot:
        return slot_sum(k.slots for k in self.kernels)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionDeferral:
    """The session stays PENDING; `message` is meant for `status_info`."""

    session_id: UUID
    reason_code: ReasonCode
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionCancellation:
    """The session can never start and should be CANCELLED."""

    session_id: UUID
    reason_code: ReasonCode
    message: str


type Verdict = SessionDeferral | SessionCancellation


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulingPlan:
    placements: tuple[SessionPlacement, ...] = ()
    deferrals: tuple[SessionDeferral, ...] = ()
    cancellations: tuple[SessionCancellation, ...] = ()
    next_roundrobin_cursor: int = 0
