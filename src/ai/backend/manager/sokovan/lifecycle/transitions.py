"""Allowed status transitions and how a session's status follows from its kernels'.

Every write of a kernel or session status goes through these tables (the repository turns
them into `UPDATE ... WHERE status IN (allowed sources)`), so a late, duplicated or
out-of-order event can never move a row backwards or out of a terminal status.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import Enum

from ai.backend.manager.types import (
    KERNEL_TERMINAL_STATUSES,
    SESSION_TERMINAL_STATUSES,
    KernelStatus,
    SessionStatus,
)

K = KernelStatus
S = SessionStatus

_KERNEL_LIVE = frozenset(KernelStatus) - KERNEL_TERMINAL_STATUSES
_KERNEL_NOT_YET_CREATED = frozenset({K.PENDING, K.SCHEDULED, K.PREPARING, K.PULLING, K.PREPARED})

# target status -> the statuses a kernel may be in to move there
KERNEL_TRANSITIONS: Mapping[KernelStatus, frozenset[KernelStatus]] = {
    K.SCHEDULED: frozenset({K.PENDING}),
    K.PREPARING: frozenset({K.SCHEDULED}),
    K.PULLING: frozenset({K.SCHEDULED, K.PREPARING}),
    K.PREPARED: frozenset({K.SCHEDULED, K.PREPARING, K.PULLING}),
    K.CREATING: frozenset({K.SCHEDULED, K.PREPARING, K.PULLING, K.PREPARED}),
    K.RUNNING: (_KERNEL_NOT_YET_CREATED - {K.PENDING}) | {K.CREATING, K.RESTARTING},
    K.RESTARTING: frozenset({K.RUNNING}),
    K.TERMINATING: _KERNEL_LIVE - {K.TERMINATING},
    K.TERMINATED: _KERNEL_LIVE,
    K.CANCELLED: _KERNEL_NOT_YET_CREATED,
    K.ERROR: _KERNEL_LIVE,
}

_SESSION_LIVE = frozenset(SessionStatus) - SESSION_TERMINAL_STATUSES
_SESSION_PRE_RUNNING = frozenset(
    {S.PENDING, S.SCHEDULED, S.PREPARING, S.PULLING, S.PREPARED, S.CREATING}
)

SESSION_TRANSITIONS: Mapping[SessionStatus, frozenset[SessionStatus]] = {
    S.SCHEDULED: frozenset({S.PENDING}),
    S.PREPARING: frozenset({S.SCHEDULED}),
    S.PULLING: frozenset({S.SCHEDULED, S.PREPARING}),
    S.PREPARED: frozenset({S.SCHEDULED, S.PREPARING, S.PULLING}),
    S.CREATING: frozenset({S.SCHEDULED, S.PREPARING, S.PULLING, S.PREPARED}),
    S.RUNNING: _SESSION_PRE_RUNNING - {S.PENDING} | {S.RESTARTING},
    S.RESTARTING: frozenset({S.RUNNING}),
    S.TERMINATING: _SESSION_LIVE - {S.TERMINATING, S.PENDING},
    S.TERMINATED: _SESSION_LIVE - {S.PENDING},
    S.CANCELLED: frozenset({S.PENDING, S.SCHEDULED, S.PREPARING, S.PULLING, S.PREPARED}),
    S.ERROR: _SESSION_LIVE,
}


class IllegalTransition(Exception):
    pass


def kernel_sources(target: KernelStatus) -> frozenset[KernelStatus]:
    return KERNEL_TRANSITIONS[target]


def session_sources(target: SessionStatus) -> frozenset[SessionStatus]:
    return SESSION_TRANSITIONS[target]


def check_transition[E: Enum](table: Mapping[E, frozenset[E]], current: E, target: E) -> bool:
    """True if `current -> target` is allowed; staying in place is not a transition."""
    return current in table.get(target, frozenset())


def derive_session_status(
    current: SessionStatus, kernels: Collection[KernelStatus]
) -> SessionStatus | None:
    """The status a session should move to given its kernels', or None to stay as it is.

    - every kernel running: the session runs;
    - every kernel ended: the session ends (cancelled if all were cancelled before starting,
      an error if any failed while the session was still starting, else terminated);
    - a kernel ended while the session was running: the session is being terminated
      (the others will be destroyed).
    """
    if current in SESSION_TERMINAL_STATUSES or not kernels:
        return None
    statuses = set(kernels)
    if statuses <= KERNEL_TERMINAL_STATUSES:
        if statuses == {K.CANCELLED}:
            target = S.CANCELLED
        elif K.ERROR in statuses and current in _SESSION_PRE_RUNNING:
            target = S.ERROR
        else:
            target = S.TERMINATED
    elif statuses == {K.RUNNING}:
        target = S.RUNNING
    elif statuses == {K.PREPARED}:
        target = S.PREPARED
    elif K.PULLING in statuses and statuses <= {K.PULLING, K.PREPARING, K.PREPARED, K.SCHEDULED}:
        target = S.PULLING
    elif statuses & KERNEL_TERMINAL_STATUSES and current in {S.RUNNING, S.RESTARTING}:
        target = S.TERMINATING
    elif statuses <= {K.CREATING, K.RUNNING} and K.CREATING in statuses:
        target = S.CREATING
    else:
        return None
    if target == current or not check_transition(SESSION_TRANSITIONS, current, target):
        return None
    return target
