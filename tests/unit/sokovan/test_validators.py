"""Admission checks: dependencies, start time, group rules and the owner's limits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ai.backend.manager.services.quota.limits import over_limit
from ai.backend.manager.sokovan.scheduler.state import PassState
from ai.backend.manager.sokovan.scheduler.types import (
    DefaultForUnspecified,
    DependencyState,
    KeypairLimits,
    KeypairUsage,
    ReasonCode,
    ResourceSlot,
    SessionResult,
    SessionStatus,
)
from ai.backend.manager.sokovan.scheduler.validators import (
    DEFAULT_VALIDATORS,
    check_keypair_resources,
    validate,
)

from .builders import (
    NOW,
    GiB,
    agent,
    cancelled,
    deferred,
    message_of,
    placed,
    run,
    session,
    sid,
    slots,
    snapshot,
)

S, R = SessionStatus, SessionResult
AGENTS = [agent("i-1", cpu=16, mem=64 * GiB, extra={"cuda.device": 4})]


def limits(**overrides: Any) -> KeypairLimits:
    fields: dict[str, Any] = {
        "max_concurrent_sessions": 100,
        "total_resource_slots": {},
        "default_for_unspecified": DefaultForUnspecified.UNLIMITED,
        "max_containers_per_session": 8,
    }
    fields.update(overrides)
    return KeypairLimits(**fields)


def outcome(result: Any, name: str) -> str:
    if name in placed(result):
        return "placed"
    if name in cancelled(result):
        return "cancelled:" + cancelled(result)[name]
    return "deferred:" + deferred(result)[name]


# === dependencies ================================================================================

WAIT = "deferred:" + ReasonCode.DEPENDENCY_NOT_READY
FAIL = "cancelled:" + ReasonCode.DEPENDENCY_FAILED


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ({"dep-a": (S.TERMINATED, R.SUCCESS)}, "placed"),
        ({"dep-a": (S.PENDING, R.UNDEFINED)}, WAIT),
        ({"dep-a": (S.RUNNING, R.UNDEFINED)}, WAIT),
        ({"dep-a": (S.TERMINATING, R.SUCCESS)}, WAIT),
        ({"dep-a": (S.TERMINATED, R.FAILURE)}, FAIL),
        ({"dep-a": (S.TERMINATED, R.UNDEFINED)}, FAIL),
        ({"dep-a": (S.ERROR, R.UNDEFINED)}, FAIL),
        ({"dep-a": (S.CANCELLED, R.UNDEFINED)}, FAIL),
        ({}, WAIT),  # the snapshot does not know the dependency (yet)
        ({"dep-a": (S.TERMINATED, R.SUCCESS), "dep-b": (S.RUNNING, R.UNDEFINED)}, WAIT),
        ({"dep-a": (S.RUNNING, R.UNDEFINED), "dep-b": (S.ERROR, R.FAILURE)}, FAIL),
        ({"dep-a": (S.TERMINATED, R.SUCCESS), "dep-b": (S.TERMINATED, R.SUCCESS)}, "placed"),
    ],
)
def test_dependencies(
    states: dict[str, tuple[SessionStatus, SessionResult]], expected: str
) -> None:
    deps = sorted(states) or ["dep-a"]
    dependency_states = {
        sid(name): DependencyState(status=status, result=result)
        for name, (status, result) in states.items()
    }
    result = run(AGENTS, [session("child", dependencies=deps)], dependency_states=dependency_states)
    assert outcome(result, "child") == expected


def test_failed_dependency_cancels_even_a_session_that_would_wait_anyway() -> None:
    child = session("child", dependencies=["dep-a"], starts_at=NOW + timedelta(days=1))
    states = {sid("dep-a"): DependencyState(status=S.ERROR, result=R.FAILURE)}
    result = run(AGENTS, [child], dependency_states=states)
    assert cancelled(result) == {"child": ReasonCode.DEPENDENCY_FAILED}
    assert "ERROR" in message_of(result, "child")


# === time and group rules =======================================================================


@pytest.mark.parametrize(
    ("starts_at", "expected"),
    [
        (None, "placed"),
        (NOW - timedelta(minutes=1), "placed"),
        (NOW, "placed"),
        (NOW + timedelta(seconds=1), "deferred:" + ReasonCode.START_TIME_NOT_REACHED),
    ],
)
def test_requested_start_time(starts_at: Any, expected: str) -> None:
    result = run(AGENTS, [session("later", starts_at=starts_at)])
    assert outcome(result, "later") == expected


@pytest.mark.parametrize(
    ("allowed", "session_type", "expected"),
    [
        (frozenset(), "interactive", "placed"),
        (frozenset({"interactive", "batch"}), "batch", "placed"),
        (frozenset({"batch"}), "interactive", "deferred:" + ReasonCode.SESSION_TYPE_NOT_ALLOWED),
        (frozenset({"inference"}), "batch", "deferred:" + ReasonCode.SESSION_TYPE_NOT_ALLOWED),
    ],
)
def test_allowed_session_types(allowed: frozenset[str], session_type: str, expected: str) -> None:
    result = run(AGENTS, [session("s", session_type=session_type)], allowed_session_types=allowed)
    assert outcome(result, "s") == expected


@pytest.mark.parametrize(
    ("agents", "arch", "expected", "words"),
    [
        ([agent("i-1")], "x86_64", "placed", ""),
        ([agent("i-1")], "aarch64", "deferred:architecture-unavailable", "runs aarch64 images"),
        ([], "x86_64", "deferred:architecture-unavailable", "has no agents"),
        # the architecture exists, but its only agent takes no new work
        (
            [agent("i-1"), agent("i-arm", arch="aarch64", schedulable=False)],
            "aarch64",
            "deferred:no-schedulable-agent",
            "is schedulable",
        ),
        # a cluster needing an architecture that is missing
        (
            [agent("i-1")],
            ("x86_64", "aarch64"),
            "deferred:architecture-unavailable",
            "aarch64",
        ),
    ],
)
def test_image_architecture_must_exist_in_the_group(
    agents: list[Any], arch: Any, expected: str, words: str
) -> None:
    kernels = 1 if isinstance(arch, str) else len(arch)
    pending = [session("s", arch=arch, kernels=kernels, multi_node=kernels > 1)]
    result = run(agents, pending)
    assert outcome(result, "s") == expected
    if words:
        assert words in message_of(result, "s")


# === the owner's limits ==========================================================================


@pytest.mark.parametrize(
    ("max_containers", "cluster_size", "expected"),
    [
        (2, 1, "placed"),
        (2, 2, "placed"),
        (2, 3, "deferred:" + ReasonCode.CLUSTER_SIZE_LIMIT),
    ],
)
def test_max_containers_per_session(max_containers: int, cluster_size: int, expected: str) -> None:
    result = run(
        AGENTS,
        [session("s", kernels=cluster_size)],
        keypair_limits={"AK1": limits(max_containers_per_session=max_containers)},
    )
    assert outcome(result, "s") == expected


@pytest.mark.parametrize(
    ("limit", "running", "pending_count", "placed_count"),
    [
        (3, 0, 5, 3),
        (3, 2, 5, 1),
        (3, 3, 5, 0),
        (1, 0, 1, 1),
        (100, 0, 5, 5),
    ],
)
def test_concurrency_limit_counts_sessions_placed_earlier_in_the_same_pass(
    limit: int, running: int, pending_count: int, placed_count: int
) -> None:
    pending = [session(f"s{i}", created=i) for i in range(pending_count)]
    result = run(
        AGENTS,
        pending,
        keypair_limits={"AK1": limits(max_concurrent_sessions=limit)},
        keypair_usage={"AK1": KeypairUsage(session_count=running)},
    )
    # the oldest ones get in; the rest wait with the reason
    assert list(placed(result)) == [f"s{i}" for i in range(placed_count)]
    assert set(deferred(result).values()) <= {ReasonCode.KEYPAIR_CONCURRENCY_LIMIT.value}
    assert len(result.deferrals) == pending_count - placed_count


def test_concurrency_limit_of_another_keypair_does_not_apply() -> None:
    pending = [session("mine", access_key="AK1"), session("theirs", access_key="AK2")]
    result = run(
        AGENTS,
        pending,
        keypair_limits={"AK1": limits(max_concurrent_sessions=0)},
    )
    assert set(placed(result)) == {"theirs"}


def test_private_sessions_have_their_own_concurrency_limit() -> None:
    pending = [
        session("sftp-1", private=True, created=0, session_type="system"),
        session("sftp-2", private=True, created=1, session_type="system"),
        session("work", created=2),
    ]
    result = run(
        AGENTS,
        pending,
        keypair_limits={"AK1": limits(max_concurrent_sessions=1, max_concurrent_sftp_sessions=1)},
        keypair_usage={"AK1": KeypairUsage(session_count=0, private_session_count=0)},
    )
    assert set(placed(result)) == {"sftp-1", "work"}
    assert deferred(result) == {"sftp-2": ReasonCode.KEYPAIR_CONCURRENCY_LIMIT}


@pytest.mark.parametrize(
    ("total", "default", "request_", "expected"),
    [
        # empty: no limit at all, whatever the default
        ({}, DefaultForUnspecified.LIMITED, slots(8, GiB, cuda__device=2), "placed"),
        ({}, DefaultForUnspecified.UNLIMITED, slots(8, GiB, cuda__device=2), "placed"),
        # cuda.device is not listed: unlimited ...
        ({"cpu": 4}, DefaultForUnspecified.UNLIMITED, slots(2, GiB, cuda__device=2), "placed"),
        # ... or zero
        ({"cpu": 4}, DefaultForUnspecified.LIMITED, slots(2, GiB, cuda__device=2), "over"),
        # a zero request of an unlisted slot is fine even when LIMITED
        ({"cpu": 4}, DefaultForUnspecified.LIMITED, slots(2, cuda__device=0), "placed"),
        ({"cpu": 4}, DefaultForUnspecified.UNLIMITED, slots(5, GiB), "over"),
        ({"cpu": 4, "mem": 4 * GiB}, DefaultForUnspecified.LIMITED, slots(4, 4 * GiB), "placed"),
        ({"cpu": "Infinity"}, DefaultForUnspecified.LIMITED, slots(16), "placed"),
    ],
)
def test_keypair_total_resource_slots(
    total: dict[str, Any], default: DefaultForUnspecified, request_: ResourceSlot, expected: str
) -> None:
    policy = limits(
        total_resource_slots=slots(**{k: v for k, v in total.items()}),
        default_for_unspecified=default,
    )
    result = run(AGENTS, [session("s", kernel_slots=[request_])], keypair_limits={"AK1": policy})
    want = "placed" if expected == "placed" else "deferred:" + ReasonCode.KEYPAIR_RESOURCE_LIMIT
    assert outcome(result, "s") == want


def test_keypair_slot_limit_counts_usage_and_earlier_placements() -> None:
    policy = limits(total_resource_slots=slots(4))
    pending = [session(f"s{i}", cpu=1, created=i) for i in range(4)]
    result = run(
        AGENTS,
        pending,
        keypair_limits={"AK1": policy},
        keypair_usage={"AK1": KeypairUsage(session_count=1, occupied=slots(2, GiB))},
    )
    assert list(placed(result)) == ["s0", "s1"]
    assert message_of(result, "s2") == (
        "keypair AK1 resource limit reached: needs cpu 1 more, uses cpu 4 of cpu 4"
    )


@pytest.mark.parametrize(
    ("scope", "key"),
    [("user", sid("user-1")), ("group", sid("group-1")), ("domain", "default")],
)
@pytest.mark.parametrize(
    ("limit", "used", "expected_placed"),
    [
        ({}, {}, ["s0", "s1", "s2"]),  # empty map: no limit
        (slots(2), {}, ["s0", "s1"]),
        (slots(2), slots(1), ["s0"]),
        (slots(mem=2 * GiB), slots(5), ["s0", "s1"]),  # cpu is not limited at this level
        (slots(cuda__device=1), {}, ["s0", "s1", "s2"]),  # nothing requested of it
    ],
)
def test_user_project_and_domain_limits(
    scope: str,
    key: Any,
    limit: ResourceSlot,
    used: ResourceSlot,
    expected_placed: list[str],
) -> None:
    pending = [session(f"s{i}", cpu=1, mem=GiB, created=i) for i in range(3)]
    result = run(
        AGENTS,
        pending,
        **{f"{scope}_limits": {key: limit}, f"{scope}_usage": {key: used}},
    )
    assert list(placed(result)) == expected_placed
    code = {"user": "user", "group": "project", "domain": "domain"}[scope] + "-resource-limit"
    assert set(deferred(result).values()) <= {code}


def test_other_users_limits_do_not_apply() -> None:
    pending = [session("mine", user="user-1"), session("theirs", user="user-2")]
    result = run(AGENTS, pending, user_limits={sid("user-1"): slots(0)})
    assert list(placed(result)) == ["theirs"]


# === the chain itself ============================================================================


def test_validate_returns_the_first_verdict_and_none_when_all_pass() -> None:
    good = session("good")
    early = session("early", starts_at=NOW + timedelta(hours=1), session_type="batch")
    snap = snapshot(AGENTS, [good, early], allowed_session_types=frozenset({"interactive"}))
    state = PassState(snap)
    assert validate(good, state) is None
    verdict = validate(early, state)
    assert verdict is not None and verdict.reason_code == ReasonCode.START_TIME_NOT_REACHED
    assert validate(early, state, DEFAULT_VALIDATORS[2:]) is not None
    assert validate(early, state, ()) is None


def test_a_keypair_without_limits_is_not_limited() -> None:
    state = PassState(snapshot(AGENTS, []))
    assert check_keypair_resources(session("s", cpu=1000), state) is None


@pytest.mark.parametrize(
    ("requested", "used", "limit", "unlisted", "over"),
    [
        (slots(1), slots(3), slots(4), None, []),
        (slots(2), slots(3), slots(4), None, ["cpu"]),
        (slots(1, GiB), {}, slots(4), None, []),
        (slots(1, GiB), {}, slots(4), 0, ["mem"]),
        (slots(1, GiB), {}, {}, 0, []),
    ],
)
def test_over_limit(
    requested: ResourceSlot, used: ResourceSlot, limit: ResourceSlot, unlisted: Any, over: list[str]
) -> None:
    cap = None if unlisted is None else Decimal(unlisted)
    assert over_limit(requested, used, limit, cap) == over
