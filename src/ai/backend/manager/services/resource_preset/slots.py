"""Slot arithmetic for `check-presets`: limits, remainders and fits, exact and in Decimal.

A slot set here is a mapping slot name -> Decimal over the known slots; an unlimited amount
is `Decimal("Infinity")`, which the wire shows as the string `"Infinity"`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from ai.backend.manager.repositories.resource_preset import ScopeLimits
from ai.backend.manager.types import DefaultForUnspecified

INFINITY = Decimal("Infinity")
ZERO = Decimal(0)

type Slots = dict[str, Decimal]


def limits_of(scope: ScopeLimits, known: Sequence[str]) -> Slots:
    """The scope's limit for each known slot; an unnamed slot is unlimited or zero."""
    fallback = (
        INFINITY if scope.default_for_unspecified == DefaultForUnspecified.UNLIMITED else ZERO
    )
    return {
        slot: Decimal(scope.total_resource_slots[slot])
        if slot in scope.total_resource_slots
        else fallback
        for slot in known
    }


def filled(amounts: Mapping[str, Decimal], known: Sequence[str]) -> Slots:
    """`amounts` on exactly the known slots, zero where absent."""
    return {slot: Decimal(amounts.get(slot, ZERO)) for slot in known}


def minus(a: Mapping[str, Decimal], b: Mapping[str, Decimal]) -> Slots:
    return {slot: value - b.get(slot, ZERO) for slot, value in a.items()}


def least(*sets: Mapping[str, Decimal]) -> Slots:
    """Slot by slot minimum; the slots are those of the first set."""
    first, *rest = sets
    return {
        slot: min([value, *(s.get(slot, value) for s in rest)]) for slot, value in first.items()
    }


def total(sets: Iterable[Mapping[str, Decimal]], known: Sequence[str]) -> Slots:
    summed = dict.fromkeys(known, ZERO)
    for amounts in sets:
        for slot in known:
            summed[slot] += amounts.get(slot, ZERO)
    return summed


def fits(need: Mapping[str, Decimal], room: Mapping[str, Decimal]) -> bool:
    """Whether `room` covers `need` on every slot `need` asks a positive amount of."""
    return all(amount <= room.get(slot, ZERO) for slot, amount in need.items() if amount > 0)


def slot_text(value: Decimal) -> str:
    """An exact rendering: 1073741824, 1.5, Infinity (never 1.07E+9 or 1.50)."""
    if not value.is_finite():
        return "Infinity" if value > 0 else "-Infinity"
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def slots_text(slots: Mapping[str, Decimal]) -> dict[str, str]:
    return {slot: slot_text(value) for slot, value in slots.items()}
