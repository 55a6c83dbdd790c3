"""Agent selectors: which of the agents that can host a request gets it."""

from __future__ import annotations

import pytest

from ai.backend.manager.sokovan.scheduler.selectors import AGENT_SELECTORS, ranking_slots
from ai.backend.manager.sokovan.scheduler.state import AgentState
from ai.backend.manager.sokovan.scheduler.types import (
    AgentSelectionStrategy,
    AgentSnapshot,
    ResourceSlot,
)

from .builders import GiB, agent, placed, run, session, slots


def states(*agents: AgentSnapshot) -> list[AgentState]:
    return [AgentState(a, i) for i, a in enumerate(sorted(agents, key=lambda a: a.id))]


def pick(strategy: str, feasible: list[AgentState], request: ResourceSlot, cursor: int = 0) -> str:
    chosen, _ = AGENT_SELECTORS[AgentSelectionStrategy(strategy)](feasible, request, cursor)
    return chosen.id


# free cpu: i-a 4, i-b 6, i-c 5 (all with 16 GiB free memory)
CPU_AGENTS = (
    agent("i-a", cpu=8, used=slots(4)),
    agent("i-b", cpu=8, used=slots(2)),
    agent("i-c", cpu=8, used=slots(3)),
)
# an accelerator is the deciding slot: i-g1 has more cpu free, i-g2 more GPUs free
GPU_AGENTS = (
    agent("i-g1", cpu=32, extra={"cuda.device": 4}, used=slots(cuda__device=3)),
    agent("i-g2", cpu=8, extra={"cuda.device": 4}, used=slots(cuda__device=1)),
)


@pytest.mark.parametrize(
    ("strategy", "agents", "request_", "expected"),
    [
        ("concentrated", CPU_AGENTS, slots(1, GiB), "i-a"),
        ("dispersed", CPU_AGENTS, slots(1, GiB), "i-b"),
        ("legacy", CPU_AGENTS, slots(1, GiB), "i-b"),
        ("concentrated", GPU_AGENTS, slots(1, GiB, cuda__device=1), "i-g1"),
        ("dispersed", GPU_AGENTS, slots(1, GiB, cuda__device=1), "i-g2"),
        # without an accelerator in the request, cpu decides
        ("concentrated", GPU_AGENTS, slots(1, GiB), "i-g2"),
        ("dispersed", GPU_AGENTS, slots(1, GiB), "i-g1"),
        # equal free capacity: the smaller id
        ("concentrated", (agent("i-2"), agent("i-1"), agent("i-3")), slots(1), "i-1"),
        ("dispersed", (agent("i-2"), agent("i-1"), agent("i-3")), slots(1), "i-1"),
        # memory decides when cpu is equal
        (
            "concentrated",
            (agent("i-1", mem=8 * GiB), agent("i-2", mem=4 * GiB)),
            slots(1, GiB),
            "i-2",
        ),
    ],
)
def test_capacity_based_choice(
    strategy: str, agents: tuple[AgentSnapshot, ...], request_: ResourceSlot, expected: str
) -> None:
    assert pick(strategy, states(*agents), request_) == expected


@pytest.mark.parametrize(
    ("cursor", "feasible_ids", "expected", "next_cursor"),
    [
        (0, ["i-a", "i-b", "i-c"], "i-a", 1),
        (1, ["i-a", "i-b", "i-c"], "i-b", 2),
        (2, ["i-a", "i-b", "i-c"], "i-c", 3),
        (3, ["i-a", "i-b", "i-c"], "i-a", 1),  # wraps around
        (1, ["i-a", "i-c"], "i-c", 3),  # skips an agent that cannot host
        (99, ["i-b"], "i-b", 2),
    ],
)
def test_roundrobin_walks_agents_in_id_order(
    cursor: int, feasible_ids: list[str], expected: str, next_cursor: int
) -> None:
    feasible = [a for a in states(*CPU_AGENTS) if a.id in feasible_ids]
    chosen, moved = AGENT_SELECTORS[AgentSelectionStrategy.ROUNDROBIN](feasible, slots(1), cursor)
    assert (chosen.id, moved) == (expected, next_cursor)


def test_ranking_puts_accelerators_before_cpu_and_mem_and_skips_zero() -> None:
    request_ = slots(1, GiB, cuda__device=1, atom__device=0, rocm__device=2)
    assert ranking_slots(request_) == ("cuda.device", "rocm.device", "cpu", "mem")


# --- through plan(): three one-cpu sessions over three agents ------------------------------------


@pytest.mark.parametrize(
    ("strategy", "cursor", "expected", "next_cursor"),
    [
        # pack: the fullest agent that fits takes everything it can
        ("concentrated", 0, {"s1": ["i-a"], "s2": ["i-a"], "s3": ["i-a"]}, 0),
        # spread: each goes to the emptiest agent at that moment (after s1, i-b and i-c both
        # have 5 cpu free, and i-c more memory)
        ("dispersed", 0, {"s1": ["i-b"], "s2": ["i-c"], "s3": ["i-b"]}, 0),
        ("roundrobin", 0, {"s1": ["i-a"], "s2": ["i-b"], "s3": ["i-c"]}, 3),
        ("roundrobin", 2, {"s1": ["i-c"], "s2": ["i-a"], "s3": ["i-b"]}, 2),
    ],
)
def test_strategy_through_a_pass(
    strategy: str, cursor: int, expected: dict[str, list[str]], next_cursor: int
) -> None:
    pending = [session(f"s{i}", cpu=1, created=i) for i in (1, 2, 3)]
    result = run(CPU_AGENTS, pending, strategy=strategy, roundrobin_cursor=cursor)
    assert placed(result) == expected
    assert result.next_roundrobin_cursor == next_cursor


def test_roundrobin_cursor_is_kept_when_nothing_is_placed() -> None:
    result = run(CPU_AGENTS, [session("huge", cpu=100)], strategy="roundrobin", roundrobin_cursor=2)
    assert placed(result) == {}
    assert result.next_roundrobin_cursor == 2


def test_roundrobin_advances_per_kernel_of_a_multi_node_session() -> None:
    pending = [session("cluster", cpu=1, kernels=2, multi_node=True)]
    result = run(CPU_AGENTS, pending, strategy="roundrobin", roundrobin_cursor=1)
    assert placed(result) == {"cluster": ["i-b", "i-c"]}
    assert result.next_roundrobin_cursor == 3
