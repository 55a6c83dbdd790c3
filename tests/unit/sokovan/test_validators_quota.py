"""The hard limits of `POST /session` and the idle/lifetime verdict, as pure functions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ai.backend.manager.repositories.idle.repository import IdleCandidate
from ai.backend.manager.services.idle.checker import (
    REASON_IDLE_TIMEOUT,
    REASON_SESSION_LIFETIME,
    expiry,
)
from ai.backend.manager.services.quota.limits import (
    AdmissionLimits,
    PendingUsage,
    admission_refusal,
)
from ai.backend.manager.types import DefaultForUnspecified, SessionTypes

D = Decimal
GiB = 2**30
UNLIMITED = DefaultForUnspecified.UNLIMITED
LIMITED = DefaultForUnspecified.LIMITED


def refusal(
    requested: dict[str, Decimal],
    *,
    cluster_size: int = 1,
    pending: PendingUsage | None = None,
    **limits: Any,
) -> str | None:
    limits.setdefault("default_for_unspecified", UNLIMITED)
    return admission_refusal(
        requested=requested,
        cluster_size=cluster_size,
        limits=AdmissionLimits(**limits),
        pending=pending or PendingUsage(),
        project_name="p",
        domain_name="d",
    )


@pytest.mark.parametrize(
    ("requested", "kwargs", "expected"),
    [
        # no limits at all
        ({"cpu": D(64)}, {}, None),
        # keypair total: equal fits, more is refused
        ({"cpu": D(4)}, {"total_resource_slots": {"cpu": D(4)}}, None),
        ({"cpu": D(5)}, {"total_resource_slots": {"cpu": D(4)}}, "keypair"),
        # a slot the keypair total does not list: unlimited or zero by default_for_unspecified
        ({"cuda.device": D(1)}, {"total_resource_slots": {"cpu": D(4)}}, None),
        (
            {"cuda.device": D(1)},
            {"total_resource_slots": {"cpu": D(4)}, "default_for_unspecified": LIMITED},
            "keypair",
        ),
        # a zero request never counts against a limit
        (
            {"cpu": D(1), "cuda.device": D(0)},
            {"total_resource_slots": {"cpu": D(4)}, "default_for_unspecified": LIMITED},
            None,
        ),
        # project and domain totals: an unlisted slot is never limited
        ({"cpu": D(3)}, {"project_slots": {"cpu": D(2)}}, "project p"),
        ({"mem": D(2 * GiB)}, {"project_slots": {"cpu": D(2)}}, None),
        ({"mem": D(2 * GiB)}, {"domain_slots": {"mem": D(GiB)}}, "domain d"),
    ],
)
def test_a_session_larger_than_a_total(
    requested: dict[str, Decimal], kwargs: dict[str, Any], expected: str | None
) -> None:
    result = refusal(requested, **kwargs)
    if expected is None:
        assert result is None
    else:
        assert result is not None and expected in result


@pytest.mark.parametrize(
    ("cluster_size", "cap", "refused"),
    [(1, 1, False), (2, 1, True), (4, 4, False), (8, None, False), (8, 0, False)],
)
def test_containers_per_session(cluster_size: int, cap: int | None, refused: bool) -> None:
    result = refusal({"cpu": D(1)}, cluster_size=cluster_size, max_containers_per_session=cap)
    assert (result is not None) == refused


@pytest.mark.parametrize(
    ("pending", "cap", "refused"),
    [(0, 1, False), (1, 1, True), (4, 5, False), (5, 5, True), (100, None, False)],
)
def test_pending_session_count(pending: int, cap: int | None, refused: bool) -> None:
    result = refusal(
        {"cpu": D(1)},
        pending=PendingUsage(session_count=pending),
        max_pending_session_count=cap,
    )
    assert (result is not None) == refused


@pytest.mark.parametrize(
    ("queued", "requested", "cap", "refused"),
    [
        ({}, D(4), {"cpu": D(4)}, False),
        ({"cpu": D(2)}, D(2), {"cpu": D(4)}, False),
        ({"cpu": D(2)}, D(3), {"cpu": D(4)}, True),
        ({"cpu": D(100)}, D(3), None, False),
        ({"cpu": D(100)}, D(3), {}, False),
        ({"cpu": D(100)}, D(3), {"mem": D(GiB)}, False),
    ],
)
def test_pending_resource_slots(
    queued: dict[str, Decimal],
    requested: Decimal,
    cap: dict[str, Decimal] | None,
    refused: bool,
) -> None:
    result = refusal(
        {"cpu": requested},
        pending=PendingUsage(session_count=1, slots=queued),
        max_pending_session_resource_slots=cap,
    )
    assert (result is not None) == refused


# === idle and lifetime ===========================================================================

START = datetime(2026, 1, 1, tzinfo=UTC)


def candidate(
    *, lifetime: int = 0, idle: int = 0, kind: SessionTypes = SessionTypes.INTERACTIVE
) -> IdleCandidate:
    return IdleCandidate(
        session_id=uuid.uuid4(),
        session_type=kind,
        started_at=START,
        max_session_lifetime=lifetime,
        idle_timeout=idle,
    )


@pytest.mark.parametrize(
    ("session", "elapsed", "accessed_after", "expected"),
    [
        (candidate(), 10**6, None, None),
        (candidate(lifetime=60), 59, None, None),
        (candidate(lifetime=60), 60, None, REASON_SESSION_LIFETIME),
        # used all along, still ended by its lifetime
        (candidate(lifetime=60, idle=30), 61, 60, REASON_SESSION_LIFETIME),
        (candidate(idle=30), 29, None, None),
        (candidate(idle=30), 30, None, REASON_IDLE_TIMEOUT),
        (candidate(idle=30), 50, 25, None),
        (candidate(idle=30), 56, 25, REASON_IDLE_TIMEOUT),
        # a batch session is never idle, but has a lifetime
        (candidate(idle=30, kind=SessionTypes.BATCH), 1000, None, None),
        (candidate(lifetime=5, kind=SessionTypes.BATCH), 5, None, REASON_SESSION_LIFETIME),
        # negative: the cluster default (600 s here)
        (candidate(idle=-1), 599, None, None),
        (candidate(idle=-1), 600, None, REASON_IDLE_TIMEOUT),
    ],
)
def test_expiry(
    session: IdleCandidate, elapsed: int, accessed_after: int | None, expected: str | None
) -> None:
    last_access = None if accessed_after is None else START + timedelta(seconds=accessed_after)
    now = START + timedelta(seconds=elapsed)
    assert expiry(session, now=now, last_access=last_access, default_idle_timeout=600) == expected
