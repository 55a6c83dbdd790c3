"""Slot arithmetic: exact decimals, missing slots count as zero, DRF's dominant share."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai.backend.manager.sokovan.scheduler.types import (
    ResourceSlot,
    dominant_share,
    format_slots,
    slot_add,
    slot_sub,
    slot_sum,
    slots_fit,
    slots_over,
)

from .builders import GiB, slots

D = Decimal


@pytest.mark.parametrize(
    ("a", "b", "added", "subtracted"),
    [
        ({"cpu": D(1)}, {"cpu": D(2)}, {"cpu": D(3)}, {"cpu": D(-1)}),
        ({"cpu": D(1)}, {"mem": D(5)}, {"cpu": D(1), "mem": D(5)}, {"cpu": D(1), "mem": D(-5)}),
        ({}, {}, {}, {}),
        ({"cpu": D("0.1")}, {"cpu": D("0.2")}, {"cpu": D("0.3")}, {"cpu": D("-0.1")}),
    ],
)
def test_add_and_sub_treat_a_missing_slot_as_zero(
    a: ResourceSlot, b: ResourceSlot, added: ResourceSlot, subtracted: ResourceSlot
) -> None:
    assert slot_add(a, b) == added
    assert slot_sub(a, b) == subtracted


def test_sum_of_many() -> None:
    assert slot_sum([slots(1, GiB), slots(2), slots(mem=GiB)]) == slots(3, 2 * GiB)


@pytest.mark.parametrize(
    ("requested", "available", "fits", "over"),
    [
        (slots(2, GiB), slots(2, GiB), True, []),
        (slots(3, GiB), slots(2, GiB), False, ["cpu"]),
        (slots(2, 2 * GiB), slots(1, GiB), False, ["cpu", "mem"]),
        # a slot the agent lacks is zero available ...
        (slots(1, cuda__device=1), slots(8), False, ["cuda.device"]),
        # ... which still fits a zero request
        (slots(1, cuda__device=0), slots(8), True, []),
        (slots(1, cuda__shares="0.5"), slots(8, cuda__shares="0.4"), False, ["cuda.shares"]),
        ({}, slots(1), True, []),
        # a zero request fits even where the agent is overcommitted
        (slots(0, GiB), {"cpu": D(-1), "mem": D(GiB)}, True, []),
    ],
)
def test_fits_and_over(
    requested: ResourceSlot, available: ResourceSlot, fits: bool, over: list[str]
) -> None:
    assert slots_fit(requested, available) is fits
    assert slots_over(requested, available) == over


@pytest.mark.parametrize(
    ("used", "total", "share"),
    [
        ({}, slots(10, 10 * GiB), D(0)),
        (slots(5, GiB), slots(10, 10 * GiB), D("0.5")),
        (slots(1, 8 * GiB), slots(10, 10 * GiB), D("0.8")),
        # slots the group does not have are ignored, not divided by zero
        (slots(1, cuda__device=2), slots(10), D("0.1")),
        (slots(1), slots(0, GiB), D(0)),
    ],
)
def test_dominant_share(used: ResourceSlot, total: ResourceSlot, share: Decimal) -> None:
    assert dominant_share(used, total) == share


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (slots(16, 32 * GiB), "cpu 16, mem 32 GiB"),
        (slots("1.50", 1536 * 2**20), "cpu 1.5, mem 1.5 GiB"),
        (slots(mem=512 * 2**20, cuda__device=2), "mem 512 MiB, cuda.device 2"),
        (slots(0, 100), "mem 100 B"),
        ({}, "nothing"),
    ],
)
def test_format_slots(value: ResourceSlot, text: str) -> None:
    assert format_slots(value) == text
