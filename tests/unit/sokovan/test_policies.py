"""Queue policies: the order in which pending sessions are tried."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from ai.backend.manager.sokovan.scheduler.policies import QUEUE_POLICIES
from ai.backend.manager.sokovan.scheduler.types import (
    KeypairUsage,
    PendingSession,
    QueuePolicy,
    ResourceSlot,
    SlotMap,
)

from .builders import GiB, agent, name_of, placed, run, session, slots


class FixedOccupancy:
    """An `OccupancyView` that never changes (no placements happen)."""

    def __init__(self, total: ResourceSlot, by_key: Mapping[str, ResourceSlot]) -> None:
        self.total_capacity: SlotMap = total
        self._by_key = by_key

    def keypair_occupancy(self, access_key: str) -> SlotMap:
        return self._by_key.get(access_key, {})


def order(
    policy: str,
    pending: list[PendingSession],
    occupancy: Mapping[str, ResourceSlot] | None = None,
) -> list[str]:
    view = FixedOccupancy(slots(100, 100 * GiB), occupancy or {})
    return [name_of(s.session_id) for s in QUEUE_POLICIES[QueuePolicy(policy)](pending, view)]


# (name, priority, created minute)
QUEUE = [("old", 10, 0), ("mid", 10, 5), ("new", 10, 9), ("urgent-new", 20, 8), ("low", 1, 1)]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("fifo", ["urgent-new", "old", "mid", "new", "low"]),
        ("lifo", ["urgent-new", "new", "mid", "old", "low"]),
        # no one holds anything: DRF falls back to age within a priority
        ("drf", ["urgent-new", "old", "mid", "new", "low"]),
    ],
)
def test_priority_first_then_age(policy: str, expected: list[str]) -> None:
    pending = [session(n, priority=p, created=c) for n, p, c in QUEUE]
    assert order(policy, pending) == expected
    assert order(policy, list(reversed(pending))) == expected


@pytest.mark.parametrize("policy", ["fifo", "lifo", "drf"])
def test_equal_timestamps_break_ties_by_session_id(policy: str) -> None:
    pending = [session(f"same-{i}", created=0) for i in range(6)]
    first = order(policy, pending)
    assert order(policy, list(reversed(pending))) == first
    assert sorted(first) == sorted(name_of(s.session_id) for s in pending)


@pytest.mark.parametrize(
    ("occupancy", "expected"),
    [
        # AK1 holds 50% of the cpu, AK2 10% of the memory, AK3 nothing: AK1 goes last
        (
            {"AK1": slots(50, GiB), "AK2": slots(1, 10 * GiB)},
            ["ak3-mid", "ak2-new", "ak1-old"],
        ),
        # the dominant share is the larger of the two fractions
        (
            {"AK1": slots(5, 5 * GiB), "AK2": slots(1, 60 * GiB), "AK3": slots(20)},
            ["ak1-old", "ak3-mid", "ak2-new"],
        ),
        # equal shares: the older session first
        ({"AK1": slots(10), "AK2": slots(10), "AK3": slots(10)}, ["ak1-old", "ak3-mid", "ak2-new"]),
    ],
)
def test_drf_orders_by_the_owners_dominant_share(
    occupancy: dict[str, ResourceSlot], expected: list[str]
) -> None:
    pending = [
        session("ak1-old", access_key="AK1", created=0),
        session("ak2-new", access_key="AK2", created=9),
        session("ak3-mid", access_key="AK3", created=5),
    ]
    assert order("drf", pending, occupancy) == expected


def test_drf_still_puts_priority_first() -> None:
    pending = [
        session("poor-low", access_key="AK1", priority=1),
        session("rich-high", access_key="AK2", priority=50, created=3),
    ]
    assert order("drf", pending, {"AK2": slots(90, 90 * GiB)}) == ["rich-high", "poor-low"]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # FIFO: AK1's older sessions take the whole group
        ("fifo", {"a1", "a2", "a3", "a4"}),
        # DRF: the two owners take turns, each ends with half
        ("drf", {"a1", "b1", "a2", "b2"}),
    ],
)
def test_drf_takes_turns_between_owners_as_resources_are_handed_out(
    policy: str, expected: set[str]
) -> None:
    agents = [agent("i-1", cpu=2), agent("i-2", cpu=2)]
    pending = [session(f"a{i}", access_key="AK1", created=i) for i in range(1, 5)] + [
        session(f"b{i}", access_key="AK2", created=10 + i) for i in range(1, 5)
    ]
    result = run(agents, pending, scheduler=policy)
    assert set(placed(result)) == expected


def test_drf_interleaves_in_placement_order() -> None:
    agents = [agent("i-1", cpu=64, mem=64 * GiB)]
    pending = [session(f"a{i}", access_key="AK1", created=i) for i in range(1, 4)] + [
        session(f"b{i}", access_key="AK2", created=10 + i) for i in range(1, 4)
    ]
    result = run(agents, pending, scheduler="drf")
    assert list(placed(result)) == ["a1", "b1", "a2", "b2", "a3", "b3"]


def test_drf_counts_existing_usage_from_the_snapshot() -> None:
    agents = [agent("i-1", cpu=4)]
    pending = [
        session("a1", access_key="AK1", created=0),
        session("b1", access_key="AK2", created=5),
    ]
    usage = {"AK1": KeypairUsage(session_count=1, occupied=slots(2, GiB))}
    result = run(agents, pending, scheduler="drf", keypair_usage=usage)
    assert list(placed(result)) == ["b1", "a1"]
