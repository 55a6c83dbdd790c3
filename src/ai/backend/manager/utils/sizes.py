"""Binary sizes as Backend.AI writes them: `1g`, `512m`, `1.5GiB`, `1073741824`, `100 bytes`.

A unit letter is a power of 1024 (`k` = 2**10 ... `e` = 2**60), in either case, optionally
followed by `i`, and then by `b`, `byte` or `bytes`. A number without a unit counts bytes and
must be whole; a fractional amount of a unit is rounded down to whole bytes. Sizes are returned
as integral `Decimal`s, the type every resource-slot amount has.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation

_UNITS: dict[str, int] = {
    "": 1,
    "k": 2**10,
    "m": 2**20,
    "g": 2**30,
    "t": 2**40,
    "p": 2**50,
    "e": 2**60,
}

_SIZE_RE = re.compile(
    r"""
    ^\s*
    (?P<number>\d[\d_]*(?:\.\d*)?|\.\d+)
    \s*
    (?:
        (?P<unit>[kmgtpe])i?(?:b|bytes?)?
        |
        (?:b|bytes?)
    )?
    \s*$
    """,
    re.IGNORECASE | re.VERBOSE,
)


class InvalidBinarySize(ValueError):
    """A value that is not a binary size; the message quotes it."""


def parse_binary_size(value: str | int | Decimal) -> Decimal:
    """Whole bytes of `value` (`"1g"` -> 1073741824); refuses negative and fractional bytes."""
    if isinstance(value, bool):
        raise InvalidBinarySize(f"not a size: {value!r}")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        amount = _parse_text(value)
    else:
        raise InvalidBinarySize(f"not a size: {value!r}")
    if not amount.is_finite() or amount < 0:
        raise InvalidBinarySize(f"not a size: {value!r} (expected a non-negative amount)")
    if amount != amount.to_integral_value():
        raise InvalidBinarySize(f"not a size: {value!r} (fractional bytes)")
    return amount.quantize(Decimal(1))


def _parse_text(text: str) -> Decimal:
    match = _SIZE_RE.match(text)
    if match is None:
        raise InvalidBinarySize(
            f"not a size: {text!r} (expected e.g. 1073741824, 512m, 1g or 1.5GiB)"
        )
    try:
        number = Decimal(match["number"].replace("_", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only admits decimal numbers
        raise InvalidBinarySize(f"not a size: {text!r}") from None
    unit = (match["unit"] or "").lower()
    if not unit:
        if number != number.to_integral_value():
            raise InvalidBinarySize(f"not a size: {text!r} (fractional bytes)")
        return number
    return (number * _UNITS[unit]).to_integral_value(rounding=ROUND_DOWN)


def format_binary_size(value: int | Decimal) -> str:
    """The shortest exact-enough form (`1073741824` -> `1g`, `1610612736` -> `1.5g`)."""
    amount = Decimal(value)
    for unit in ("e", "p", "t", "g", "m", "k"):
        scale = _UNITS[unit]
        if amount >= scale:
            scaled = amount / scale
            if scaled == scaled.to_integral_value():
                return f"{scaled.quantize(Decimal(1))}{unit}"
            rounded = scaled.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            if rounded * scale == amount:
                return f"{rounded.normalize():f}{unit}"
    return f"{amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount}"
