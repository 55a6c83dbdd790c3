"""plan(): placing sessions one by one against the pass's working state."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from ai.backend.manager.sokovan.scheduler import ReasonCode, plan
from ai.backend.manager.sokovan.scheduler.types import (
    AgentSnapshot,
    KeypairLimits,
    PendingSession,
    SchedulingPlan,
    SchedulingSnapshot,
    slot_add,
    slots_fit,
)

from .builders import (
    GiB,
    agent,
    deferred,
    message_of,
    name_of,
    placed,
    run,
    session,
    slots,
    snapshot,
)

STRATEGIES = ["concentrated", "dispersed", "roundrobin", "legacy"]
POLICIES = ["fifo", "lifo", "drf"]


# === cluster sessions ===========================================================================


@pytest.mark.parametrize(
    ("multi_node", "kernels", "cpu", "expected"),
    [
        # 3 x 2 cpu: fits no single 4-cpu agent, but fits two of them together
        (False, 3, 2, ReasonCode.EXCEEDS_AGENT_CAPACITY),
        (True, 3, 2, ["i-1", "i-2", "i-1"]),
        # 2 x 2 cpu fits one agent: single-node puts both there
        (False, 2, 2, ["i-1", "i-1"]),
        # 3 x 3 cpu: the third kernel finds no room, so none is placed
        (True, 3, 3, ReasonCode.INSUFFICIENT_RESOURCES),
    ],
)
def test_single_node_vs_multi_node(
    multi_node: bool, kernels: int, cpu: int, expected: list[str] | ReasonCode
) -> None:
    agents = [agent("i-1", cpu=4), agent("i-2", cpu=4)]
    result = run(agents, [session("c", cpu=cpu, kernels=kernels, multi_node=multi_node)])
    if isinstance(expected, ReasonCode):
        assert deferred(result) == {"c": expected}
        assert placed(result) == {}
    else:
        assert placed(result) == {"c": expected}


def test_multi_node_failure_releases_the_kernels_it_had_tentatively_placed() -> None:
    agents = [agent("i-1", cpu=4), agent("i-2", cpu=4)]
    pending = [
        session("cluster", cpu=3, kernels=3, multi_node=True, created=0),
        session("full-1", cpu=4, created=1),
        session("full-2", cpu=4, created=2),
    ]
    result = run(agents, pending)
    assert placed(result) == {"full-1": ["i-1"], "full-2": ["i-2"]}
    assert message_of(result, "cluster") == (
        "kernel sub2 (3 of 3) with the 2 before it placed: no agent has enough free resources: "
        "needs cpu 3, mem 1 GiB; "
        "the largest free is cpu 1, mem 15 GiB on i-1"
    )


def test_a_rolled_back_multi_node_miss_does_not_block_an_identical_request() -> None:
    # While "cluster" holds i-1 tentatively its second kernel finds nothing; once released, an
    # identical single-kernel request must still find i-1.
    pending = [session("cluster", cpu=3, kernels=2, multi_node=True, created=0)]
    pending.append(session("single", cpu=3, created=1))
    result = run([agent("i-1", cpu=4)], pending)
    assert placed(result) == {"single": ["i-1"]}


def test_single_node_message_says_all_kernels_go_on_one_agent() -> None:
    result = run([agent("i-1", cpu=4), agent("i-2", cpu=4)], [session("c", cpu=2, kernels=3)])
    assert message_of(result, "c") == (
        "3 kernels on one agent: no agent is large enough: needs cpu 6, mem 3 GiB; "
        "the largest is cpu 4, mem 16 GiB on i-1"
    )


def test_single_node_with_kernels_of_different_architectures_is_deferred() -> None:
    agents = [agent("i-1"), agent("i-arm", arch="aarch64")]
    result = run(agents, [session("c", kernels=2, arch=("x86_64", "aarch64"))])
    assert deferred(result) == {"c": ReasonCode.MIXED_ARCHITECTURES}


def test_multi_node_places_kernels_on_their_own_architectures() -> None:
    agents = [agent("i-1"), agent("i-arm", arch="aarch64")]
    pending = [session("c", kernels=2, arch=("x86_64", "aarch64"), multi_node=True)]
    assert placed(run(agents, pending)) == {"c": ["i-1", "i-arm"]}


# === no head-of-line blocking ====================================================================


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_session_larger_than_any_agent_waits_while_smaller_ones_behind_it_start(
    policy: str, strategy: str
) -> None:
    agents = [agent("i-dummy-01", cpu=8, mem=16 * GiB), agent("i-dummy-02", cpu=4, mem=8 * GiB)]
    pending = [
        session("huge", cpu=16, mem=32 * GiB, priority=99),
        session("small-1", cpu=2, mem=GiB, created=1),
        session("small-2", cpu=2, mem=GiB, created=2),
    ]
    result = run(agents, pending, scheduler=policy, strategy=strategy)
    assert set(placed(result)) == {"small-1", "small-2"}
    assert deferred(result) == {"huge": ReasonCode.EXCEEDS_AGENT_CAPACITY}
    assert message_of(result, "huge") == (
        "no agent is large enough: needs cpu 16, mem 32 GiB; "
        "the largest is cpu 8, mem 16 GiB on i-dummy-01"
    )


def test_a_session_that_fits_no_free_space_waits_while_smaller_ones_start() -> None:
    agents = [
        agent("i-dummy-01", cpu=8, used=slots(4, 2 * GiB)),
        agent("i-dummy-02", cpu=8, used=slots(6, 2 * GiB)),
    ]
    pending = [
        session("big", cpu=6, mem=2 * GiB, created=0),
        session("small", cpu=2, created=1),
    ]
    result = run(agents, pending)
    assert placed(result) == {"small": ["i-dummy-01"]}
    assert message_of(result, "big") == (
        "no agent has enough free resources: needs cpu 6, mem 2 GiB; "
        "the largest free is cpu 4, mem 14 GiB on i-dummy-01"
    )


def test_later_sessions_see_what_earlier_ones_took() -> None:
    agents = [agent("i-1", cpu=4, mem=4 * GiB)]
    pending = [session(f"s{i}", cpu=1, mem=GiB, created=i) for i in range(6)]
    result = run(agents, pending)
    assert list(placed(result)) == ["s0", "s1", "s2", "s3"]
    assert set(deferred(result)) == {"s4", "s5"}


# === agent eligibility, for every strategy =======================================================


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(
    ("agents", "pending", "expected", "code"),
    [
        # a non-schedulable agent is never picked, however empty
        (
            [agent("i-1", cpu=64, schedulable=False), agent("i-2", cpu=2)],
            [session("s", cpu=1)],
            {"s": ["i-2"]},
            None,
        ),
        (
            [agent("i-1", schedulable=False)],
            [session("s")],
            {},
            ReasonCode.NO_SCHEDULABLE_AGENT,
        ),
        # architecture
        (
            [agent("i-1", cpu=64), agent("i-arm", arch="aarch64", cpu=2)],
            [session("s", arch="aarch64")],
            {"s": ["i-arm"]},
            None,
        ),
        # container count limit: i-1 is at its limit
        (
            [agent("i-1", cpu=64, containers=3, max_containers=3), agent("i-2", cpu=2)],
            [session("s")],
            {"s": ["i-2"]},
            None,
        ),
        (
            [agent("i-1", containers=2, max_containers=3)],
            [session("a", created=0), session("b", created=1)],
            {"a": ["i-1"]},
            ReasonCode.AGENT_CONTAINER_LIMIT,
        ),
        # a single-node session needs room for all its containers on one agent
        (
            [agent("i-1", containers=2, max_containers=3), agent("i-2", cpu=4, max_containers=2)],
            [session("c", kernels=2)],
            {"c": ["i-2", "i-2"]},
            None,
        ),
        # designated agents: only those, even when another would be preferred
        (
            [agent("i-1", cpu=4, used=slots(2)), agent("i-2", cpu=4), agent("i-3", cpu=64)],
            [session("s", designated=("i-2",))],
            {"s": ["i-2"]},
            None,
        ),
        (
            [agent("i-1", cpu=64), agent("i-2", cpu=4, used=slots(4))],
            [session("s", designated=("i-2",))],
            {},
            ReasonCode.INSUFFICIENT_RESOURCES,
        ),
        (
            [agent("i-1")],
            [session("s", designated=("i-gone",))],
            {},
            ReasonCode.DESIGNATED_AGENT_UNAVAILABLE,
        ),
        # an empty designation means any agent
        ([agent("i-1")], [session("s", designated=())], {"s": ["i-1"]}, None),
    ],
)
def test_agent_eligibility(
    strategy: str,
    agents: list[AgentSnapshot],
    pending: list[PendingSession],
    expected: dict[str, list[str]],
    code: ReasonCode | None,
) -> None:
    result = run(agents, pending, strategy=strategy)
    assert placed(result) == expected
    assert set(deferred(result).values()) == ({code.value} if code else set())


def test_a_single_node_session_needs_room_for_all_its_containers() -> None:
    agents = [agent("i-1", containers=2, max_containers=3), agent("i-2", max_containers=1)]
    result = run(agents, [session("c", kernels=2)])
    assert deferred(result) == {"c": ReasonCode.AGENT_CONTAINER_LIMIT}
    assert message_of(result, "c") == (
        "2 kernels on one agent: none of the 2 schedulable x86_64 agents has room for "
        "2 more containers"
    )


def test_a_session_without_kernels_is_deferred() -> None:
    empty = replace(session("empty"), kernels=())
    assert deferred(run([agent("i-1")], [empty])) == {"empty": ReasonCode.NO_KERNELS}


# === the plan ===================================================================================


def test_placement_carries_agent_address_and_kernel_slots() -> None:
    result = run([agent("i-1")], [session("s", cpu="0.5", mem=GiB, kernels=2)])
    (placement,) = result.placements
    assert placement.agent_ids == ("i-1",)
    assert [(k.agent_addr, k.slots) for k in placement.kernels] == [
        ("tcp://i-1:6001", slots("0.5", GiB)),
        ("tcp://i-1:6001", slots("0.5", GiB)),
    ]
    assert placement.total_slots == slots(1, 2 * GiB)


def test_plan_does_not_touch_the_snapshot() -> None:
    snap = snapshot([agent("i-1", used=slots(1))], [session("s", cpu=2)])
    before = repr(snap)
    plan(snap)
    assert repr(snap) == before


# === invariants over random snapshots ============================================================


def random_snapshot(seed: int) -> SchedulingSnapshot:
    rng = random.Random(seed)
    agents = [
        agent(
            f"i-{n:02d}",
            cpu=rng.choice([4, 8, 16]),
            mem=rng.choice([8, 16, 32]) * GiB,
            arch=rng.choice(["x86_64", "x86_64", "aarch64"]),
            extra={"cuda.device": rng.choice([0, 0, 2, 4])},
            used=slots(rng.choice([0, 1, 2]), rng.choice([0, 1]) * GiB),
            containers=rng.randint(0, 2),
            max_containers=rng.choice([None, 3, 6]),
            schedulable=rng.random() > 0.1,
        )
        for n in range(rng.randint(1, 8))
    ]
    pending = [
        session(
            f"r{seed}-{n}",
            cpu=rng.choice([1, 2, 4, 8]),
            mem=rng.choice([1, 2, 8]) * GiB,
            extra={"cuda.device": rng.choice([0, 0, 1])},
            kernels=rng.choice([1, 1, 1, 2, 3]),
            multi_node=rng.random() < 0.5,
            access_key=rng.choice(["AK1", "AK2", "AK3"]),
            priority=rng.choice([10, 10, 20]),
            created=rng.randint(0, 1000),
            arch=rng.choice(["x86_64", "x86_64", "aarch64"]),
            designated=rng.choice([None, None, None, ("i-00", "i-01")]),
        )
        for n in range(rng.randint(0, 40))
    ]
    limits = {
        "AK1": KeypairLimits(
            max_concurrent_sessions=rng.randint(1, 10), max_containers_per_session=3
        ),
        "AK2": KeypairLimits(max_concurrent_sessions=100, max_containers_per_session=2),
    }
    return snapshot(
        agents,
        pending,
        scheduler=rng.choice(POLICIES),
        strategy=rng.choice(STRATEGIES),
        keypair_limits=limits,
        roundrobin_cursor=rng.randint(0, 10),
    )


def check_invariants(snap: SchedulingSnapshot, result: SchedulingPlan) -> None:
    decided = [
        *(p.session_id for p in result.placements),
        *(d.session_id for d in result.deferrals),
        *(c.session_id for c in result.cancellations),
    ]
    # every pending session gets exactly one decision
    assert sorted(decided) == sorted(s.session_id for s in snap.pending)
    by_id = {s.session_id: s for s in snap.pending}
    agents = {a.id: a for a in snap.agents}
    taken: dict[str, Any] = {a.id: dict(a.occupied) for a in snap.agents}
    containers = {a.id: a.container_count for a in snap.agents}
    for placement in result.placements:
        pending = by_id[placement.session_id]
        assert [k.kernel_id for k in placement.kernels] == [k.kernel_id for k in pending.kernels]
        if pending.cluster_mode == "single-node":
            assert len(placement.agent_ids) == 1
        for kernel, request_ in zip(placement.kernels, pending.kernels, strict=True):
            target = agents[kernel.agent_id]
            assert target.schedulable
            assert target.architecture == request_.architecture
            if pending.designated_agent_ids:
                assert target.id in pending.designated_agent_ids
            taken[target.id] = slot_add(taken[target.id], kernel.slots)
            containers[target.id] += 1
    # no agent ends up over capacity or over its container limit
    for agent_id, used in taken.items():
        a = agents[agent_id]
        if used != a.occupied:
            assert slots_fit(used, a.capacity), agent_id
        if a.max_container_count is not None and containers[agent_id] != a.container_count:
            assert containers[agent_id] <= a.max_container_count


@pytest.mark.parametrize("seed", range(60))
def test_random_snapshots_keep_the_invariants_and_are_deterministic(seed: int) -> None:
    snap = random_snapshot(seed)
    result = plan(snap)
    check_invariants(snap, result)
    assert plan(snap) == result
    # the input order of agents and pending sessions does not matter
    shuffled = replace(
        snap,
        agents=tuple(reversed(snap.agents)),
        pending=tuple(random.Random(seed).sample(snap.pending, len(snap.pending))),
    )
    assert plan(shuffled) == result


def test_a_release_lifts_what_a_failed_scan_learnt_about_free_room() -> None:
    # "cluster" fails with its first kernel on i-1 (1 cpu left there); after the rollback the
    # smaller, different request of "single" must still see i-1's 4 free cpu.
    pending = [
        session("cluster", cpu=3, kernels=2, multi_node=True, created=0),
        session("single", cpu=2, created=1),
    ]
    assert placed(run([agent("i-1", cpu=4)], pending)) == {"single": ["i-1"]}


# === differential: plan() against a naive first-principles planner ================================


def naive_placements(snap: SchedulingSnapshot) -> dict[str, str]:
    """Single-kernel sessions, FIFO, no limits: scan every agent for every session."""
    from ai.backend.manager.sokovan.scheduler.selectors import AGENT_SELECTORS
    from ai.backend.manager.sokovan.scheduler.state import AgentState

    agents = [AgentState(a, i) for i, a in enumerate(sorted(snap.agents, key=lambda a: a.id))]
    select = AGENT_SELECTORS[snap.agent_selection_strategy]
    cursor = snap.roundrobin_cursor
    result: dict[str, str] = {}
    for s in sorted(snap.pending, key=lambda s: (-s.priority, s.created_at, s.session_id)):
        (kernel,) = s.kernels
        feasible = [
            a
            for a in agents
            if a.schedulable
            and a.architecture == kernel.architecture
            and (a.max_containers is None or a.containers < a.max_containers)
            and slots_fit(kernel.requested_slots, a.free)
        ]
        if feasible:
            chosen, cursor = select(feasible, kernel.requested_slots, cursor)
            chosen.take(kernel.requested_slots, 1)
            result[s.name] = chosen.id
    return result


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("seed", range(8))
def test_plan_agrees_with_a_naive_planner(strategy: str, seed: int) -> None:
    rng = random.Random(1000 + seed)
    agents = [
        agent(
            f"i-{n:02d}",
            cpu=rng.choice([4, 8, 16]),
            mem=rng.choice([8, 16]) * GiB,
            arch=rng.choice(["x86_64", "x86_64", "aarch64"]),
            max_containers=rng.choice([None, 4]),
            schedulable=rng.random() > 0.1,
        )
        for n in range(rng.randint(1, 12))
    ]
    pending = [
        session(
            f"d{seed}-{n}",
            # distinct requests, so nothing is answered from a remembered miss
            cpu=str(rng.randint(1, 40) / 4 + n / 10000),
            mem=rng.randint(1, 12) * GiB + n,
            created=n,
            arch=rng.choice(["x86_64", "x86_64", "aarch64"]),
        )
        for n in range(rng.randint(20, 120))
    ]
    snap = snapshot(agents, pending, strategy=strategy, roundrobin_cursor=rng.randint(0, 5))
    got = {name_of(p.session_id): p.kernels[0].agent_id for p in plan(snap).placements}
    assert got == naive_placements(snap)


# === installed images ============================================================================


@pytest.mark.parametrize("strategy", ["concentrated", "dispersed"])
def test_an_agent_that_has_the_image_is_preferred_among_those_that_fit(strategy: str) -> None:
    image = session("s").kernels[0].image
    with_image = replace(agent("i-2", cpu=4), installed_images=frozenset({image}))
    agents = [agent("i-1", cpu=4), with_image]
    assert placed(run(agents, [session("s")], strategy=strategy)) == {"s": ["i-2"]}
    # without the image anywhere, the usual choice: ties go to the smaller id
    assert placed(run([agent("i-1", cpu=4), agent("i-2", cpu=4)], [session("s")])) == {"s": ["i-1"]}


def test_having_the_image_never_beats_fitting() -> None:
    image = session("s").kernels[0].image
    full = replace(agent("i-2", cpu=1), installed_images=frozenset({image}))
    assert placed(run([agent("i-1", cpu=4), full], [session("s", cpu=2)])) == {"s": ["i-1"]}
