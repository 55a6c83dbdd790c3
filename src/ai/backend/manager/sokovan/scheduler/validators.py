"""Admission checks run on a session right before the planner tries to place it.

Each check is a small pure function `(session, state) -> Verdict | None`: `None` lets the session
through, a `SessionDeferral` keeps it pending with a reason, a `SessionCancellation` ends it. The
checks read the pass's working state, so limits count what was placed earlier in the same pass.

Only a dependency that ended without success cancels. Everything else defers, because it can
change without the session changing: time passes, other sessions finish, operators add agents or
edit policies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

# The module, not its names: `services.quota.limits` imports this package's `types`, so its names
# are looked up when a check runs, whichever of the two is imported first.
from ai.backend.manager.services.quota import limits as quota
from ai.backend.manager.sokovan.scheduler.state import PassState
from ai.backend.manager.sokovan.scheduler.types import (
    PendingSession,
    ReasonCode,
    ResourceSlot,
    SessionCancellation,
    SessionDeferral,
    SessionResult,
    SessionStatus,
    Verdict,
)
from ai.backend.manager.types import SESSION_TERMINAL_STATUSES

type Validator = Callable[[PendingSession, PassState], Verdict | None]


def _defer(session: PendingSession, code: ReasonCode, message: str) -> SessionDeferral:
    return SessionDeferral(session_id=session.session_id, reason_code=code, message=message)


# === time and dependencies ======================================================================


def check_dependencies(session: PendingSession, state: PassState) -> Verdict | None:
    """Every dependency must have TERMINATED with result SUCCESS.

    One that ended otherwise (ERROR, CANCELLED, or TERMINATED without success) cancels the
    session; one still on its way (or unknown to the snapshot) defers it.
    """
    waiting: list[str] = []
    for dep_id in session.dependencies:
        dep = state.snapshot.dependency_states.get(dep_id)
        if dep is None:
            waiting.append(f"{dep_id} (unknown)")
            continue
        if dep.status == SessionStatus.TERMINATED and dep.result == SessionResult.SUCCESS:
            continue
        if dep.status in SESSION_TERMINAL_STATUSES:
            return SessionCancellation(
                session_id=session.session_id,
                reason_code=ReasonCode.DEPENDENCY_FAILED,
                message=(
                    f"dependency {dep_id} ended as {dep.status.value} "
                    f"with result {dep.result.value}, not a success"
                ),
            )
        waiting.append(f"{dep_id} ({dep.status.value})")
    if waiting:
        return _defer(
            session,
            ReasonCode.DEPENDENCY_NOT_READY,
            "waiting for dependencies to finish successfully: " + ", ".join(waiting),
        )
    return None


def check_start_time(session: PendingSession, state: PassState) -> Verdict | None:
    starts_at = session.requested_starts_at
    if starts_at is not None and starts_at > state.snapshot.now:
        return _defer(
            session,
            ReasonCode.START_TIME_NOT_REACHED,
            f"requested to start at {starts_at.isoformat()}",
        )
    return None


# === what the resource group accepts ============================================================


def check_session_type(session: PendingSession, state: PassState) -> Verdict | None:
    allowed = state.snapshot.allowed_session_types
    if allowed and session.session_type not in allowed:
        return _defer(
            session,
            ReasonCode.SESSION_TYPE_NOT_ALLOWED,
            f"resource group {state.snapshot.resource_group} does not allow "
            f"{session.session_type} sessions (allowed: {', '.join(sorted(allowed))})",
        )
    return None


def check_architecture(session: PendingSession, state: PassState) -> Verdict | None:
    """Every kernel's image architecture must be one some agent of the group has."""
    missing = sorted({k.architecture for k in session.kernels} - state.architectures)
    if not missing:
        return None
    group = state.snapshot.resource_group
    if not state.architectures:
        message = f"resource group {group} has no agents"
    else:
        message = (
            f"no agent in resource group {group} runs {', '.join(missing)} images "
            f"(agents have: {', '.join(sorted(state.architectures))})"
        )
    return _defer(session, ReasonCode.ARCHITECTURE_UNAVAILABLE, message)


# === the owner's limits =========================================================================


def check_cluster_size(session: PendingSession, state: PassState) -> Verdict | None:
    limits = state.snapshot.keypair_limits.get(session.access_key)
    if limits is None:
        return None
    size = max(session.cluster_size, len(session.kernels))
    if size > limits.max_containers_per_session:
        return _defer(
            session,
            ReasonCode.CLUSTER_SIZE_LIMIT,
            f"cluster size {size} exceeds the keypair's limit of "
            f"{limits.max_containers_per_session} containers per session",
        )
    return None


def check_keypair_concurrency(session: PendingSession, state: PassState) -> Verdict | None:
    limits = state.snapshot.keypair_limits.get(session.access_key)
    if limits is None:
        return None
    if session.is_private:
        limit = limits.max_concurrent_sftp_sessions
        running = state.keypair_private_sessions.get(session.access_key, 0)
        what = "private (SFTP) sessions"
    else:
        limit = limits.max_concurrent_sessions
        running = state.keypair_sessions.get(session.access_key, 0)
        what = "sessions"
    if limit is not None and running + 1 > limit:
        return _defer(
            session,
            ReasonCode.KEYPAIR_CONCURRENCY_LIMIT,
            f"keypair {session.access_key} already has {running} concurrent {what} (limit {limit})",
        )
    return None


def check_keypair_resources(session: PendingSession, state: PassState) -> Verdict | None:
    limits = state.snapshot.keypair_limits.get(session.access_key)
    if limits is None:
        return None
    unlisted = quota.unlisted_cap(limits.default_for_unspecified)
    requested = state.requested(session)
    used = state.keypair_occupancy(session.access_key)
    over = quota.over_limit(requested, used, limits.total_resource_slots, unlisted)
    if over:
        return _defer(
            session,
            ReasonCode.KEYPAIR_RESOURCE_LIMIT,
            quota.limit_message(
                f"keypair {session.access_key}",
                requested,
                used,
                limits.total_resource_slots,
                unlisted,
                over,
            ),
        )
    return None


def _check_scope[K](
    session: PendingSession,
    state: PassState,
    key: K,
    limits: Mapping[K, ResourceSlot],
    usage: Mapping[K, ResourceSlot],
    who: str,
    code: ReasonCode,
) -> Verdict | None:
    limit = limits.get(key)
    if not limit:
        return None
    requested = state.requested(session)
    used = usage.get(key, {})
    over = quota.over_limit(requested, used, limit, None)
    if over:
        return _defer(session, code, quota.limit_message(who, requested, used, limit, None, over))
    return None


def check_user_resources(session: PendingSession, state: PassState) -> Verdict | None:
    return _check_scope(
        session,
        state,
        session.user_uuid,
        state.snapshot.user_limits,
        state.user_occupied,
        f"user {session.user_uuid}",
        ReasonCode.USER_RESOURCE_LIMIT,
    )


def check_project_resources(session: PendingSession, state: PassState) -> Verdict | None:
    return _check_scope(
        session,
        state,
        session.group_id,
        state.snapshot.group_limits,
        state.group_occupied,
        f"project {session.group_id}",
        ReasonCode.PROJECT_RESOURCE_LIMIT,
    )


def check_domain_resources(session: PendingSession, state: PassState) -> Verdict | None:
    return _check_scope(
        session,
        state,
        session.domain_name,
        state.snapshot.domain_limits,
        state.domain_occupied,
        f"domain {session.domain_name}",
        ReasonCode.DOMAIN_RESOURCE_LIMIT,
    )


# === the chain ==================================================================================

# A failed dependency cancels even a session that would also wait for other reasons, so it runs
# first; then the checks on fixed facts; the usage-dependent limits last.
DEFAULT_VALIDATORS: Final[tuple[Validator, ...]] = (
    check_dependencies,
    check_start_time,
    check_session_type,
    check_architecture,
    check_cluster_size,
    check_keypair_concurrency,
    check_keypair_resources,
    check_user_resources,
    check_project_resources,
    check_domain_resources,
)


def validate(
    session: PendingSession,
    state: PassState,
    validators: Sequence[Validator] = DEFAULT_VALIDATORS,
) -> Verdict | None:
    """The first verdict of the chain, or None when every check passes."""
    for check in validators:
        verdict = check(session, state)
        if verdict is not None:
            return verdict
    return None
