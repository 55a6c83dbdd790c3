"""The resource limits an image declares: its `resources` column and the legacy labels.

`images.resources` is `{slot: {"min": amount, "max": amount | null}}`; older images carry
`ai.backend.resource.min.<slot>` labels instead (or as well). Amounts are decimal strings or
numbers; `mem`-like slots also accept binary sizes (`256m`, `1g`). For each slot the larger of the
two minimums wins, and the maximum comes from `resources` only (null: no limit). An image that
states no minimum for `cpu` or `mem` gets the intrinsic one: 1 core, 1 GiB.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Protocol

from ai.backend.manager.errors.image import InvalidImageResources
from ai.backend.manager.utils.sizes import InvalidBinarySize, parse_binary_size

RESOURCE_MIN_LABEL_PREFIX: Final = "ai.backend.resource.min."

INTRINSIC_SLOT_MINIMUMS: Final[Mapping[str, Decimal]] = {
    "cpu": Decimal(1),
    "mem": Decimal(2**30),
}

_UNLIMITED: Final = frozenset({"inf", "infinite", "infinity", "unlimited"})

type SlotLimits = dict[str, tuple[Decimal, Decimal | None]]


class HasImageResources(Protocol):
    @property
    def labels(self) -> Mapping[str, str]: ...

    @property
    def resources(self) -> Mapping[str, Any]: ...


def is_size_slot(slot: str) -> bool:
    """Slots counted in bytes (`mem`, `cuda.mem`, ...), whose amounts may be binary sizes."""
    return slot == "mem" or slot.endswith(".mem")


def parse_slot_amount(slot: str, value: Any) -> Decimal:
    """An amount for `slot`: a decimal (`1`, `0.5`), or for byte slots a size (`256m`)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise InvalidImageResources(f"Invalid amount {value!r} for the slot {slot!r}")
    text = str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        if not is_size_slot(slot):
            raise InvalidImageResources(f"Invalid amount {value!r} for the slot {slot!r}") from None
        try:
            amount = parse_binary_size(text)
        except InvalidBinarySize as e:
            raise InvalidImageResources(f"Invalid amount for the slot {slot!r}: {e}") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidImageResources(f"Invalid amount {value!r} for the slot {slot!r}")
    return amount


def _parse_max(slot: str, value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in _UNLIMITED):
        return None
    return parse_slot_amount(slot, value)


def image_resource_limits(image: HasImageResources) -> SlotLimits:
    """`{slot: (minimum, maximum or None)}` for every slot the image constrains."""
    minimums: dict[str, list[Decimal]] = {}
    maximums: dict[str, Decimal | None] = {}
    for slot, spec in (image.resources or {}).items():
        if not isinstance(spec, Mapping):
            raise InvalidImageResources(
                f"Invalid resource spec for the slot {slot!r}: expected {{min, max}}"
            )
        found = minimums.setdefault(slot, [])
        if spec.get("min") is not None:
            found.append(parse_slot_amount(slot, spec["min"]))
        maximums[slot] = _parse_max(slot, spec.get("max"))
    for key, value in (image.labels or {}).items():
        if key.startswith(RESOURCE_MIN_LABEL_PREFIX):
            slot = key.removeprefix(RESOURCE_MIN_LABEL_PREFIX)
            minimums.setdefault(slot, []).append(parse_slot_amount(slot, value))
    for slot, intrinsic in INTRINSIC_SLOT_MINIMUMS.items():
        if not minimums.get(slot):
            minimums[slot] = [intrinsic]
    return {
        slot: (max(found) if found else Decimal(0), maximums.get(slot))
        for slot, found in sorted(minimums.items())
    }


def build_resources_spec(
    min_slots: Mapping[str, Any], max_slots: Mapping[str, Any]
) -> dict[str, dict[str, str | None]]:
    """The `images.resources` value for `--min`/`--max` options: decimal strings, sizes in
    bytes."""
    spec: dict[str, dict[str, str | None]] = {}
    for slot in sorted({*min_slots, *max_slots}):
        if not slot or slot != slot.strip():
            raise InvalidImageResources(f"Invalid slot name {slot!r}")
        low = min_slots.get(slot)
        high = _parse_max(slot, max_slots.get(slot))
        low_amount = None if low is None else parse_slot_amount(slot, low)
        if low_amount is not None and high is not None and high < low_amount:
            raise InvalidImageResources(
                f"The maximum of the slot {slot!r} is below its minimum ({high} < {low_amount})"
            )
        spec[slot] = {
            "min": None if low_amount is None else _decimal_text(low_amount),
            "max": None if high is None else _decimal_text(high),
        }
    return spec


def _decimal_text(amount: Decimal) -> str:
    if amount == amount.to_integral_value():
        return str(amount.quantize(Decimal(1)))
    return format(amount.normalize(), "f")
