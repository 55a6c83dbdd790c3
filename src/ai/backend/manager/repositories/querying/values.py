"""What each kind of field accepts in a filter: the operators, and values turned into the
Python objects the comparison needs (a datetime, a UUID, an enum member, ...)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ai.backend.manager.errors.query import InvalidQueryExpression
from ai.backend.manager.repositories.querying.syntax import (
    ORDERING_OPS,
    PATTERN_OPS,
    Comparison,
    Op,
    Scalar,
)


class FieldKind(enum.Enum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    UUID = "uuid"
    ENUM = "enum"
    # several text values (an array column, or the names of related rows): a comparison
    # holds when it holds for any one of them; `is null` when there is none
    TEXT_ANY = "list of texts"


_OPS: dict[FieldKind, frozenset[Op]] = {
    FieldKind.TEXT: frozenset(Op),
    FieldKind.TEXT_ANY: frozenset(Op),
    FieldKind.INTEGER: frozenset({Op.EQ, Op.NE, Op.IN, Op.IS, Op.ISNOT, *ORDERING_OPS}),
    FieldKind.NUMBER: frozenset({Op.EQ, Op.NE, Op.IN, Op.IS, Op.ISNOT, *ORDERING_OPS}),
    FieldKind.DATETIME: frozenset({Op.EQ, Op.NE, Op.IN, Op.IS, Op.ISNOT, *ORDERING_OPS}),
    FieldKind.BOOLEAN: frozenset({Op.EQ, Op.NE, Op.IN, Op.IS, Op.ISNOT}),
    FieldKind.ENUM: frozenset({Op.EQ, Op.NE, Op.IN, Op.IS, Op.ISNOT}),
    FieldKind.UUID: frozenset({Op.EQ, Op.NE, Op.IN, Op.IS, Op.ISNOT, *PATTERN_OPS}),
}


@dataclass(frozen=True, slots=True)
class Check:
    """A comparison with its value(s) converted for the field: `value` for one value,
    `values` (without nulls) and `with_null` for `in`."""

    op: Op
    value: Any = None
    values: tuple[Any, ...] = ()
    with_null: bool = False

    @property
    def tests_null(self) -> bool:
        """`== null`, `!= null`, `is null`, `isnot null`: a test of presence."""
        return self.op in (Op.EQ, Op.NE, Op.IS, Op.ISNOT) and self.value is None

    @property
    def negated(self) -> bool:
        return self.op in (Op.NE, Op.ISNOT)


def _bad(field: str, problem: str) -> InvalidQueryExpression:
    return InvalidQueryExpression(f"Invalid filter on `{field}`: {problem}")


def enum_member[E: enum.Enum](enum_cls: type[E], field: str, raw: object) -> E:
    """The member a filter names by its value or by its name (either case)."""
    if isinstance(raw, str):
        for member in enum_cls:
            if raw == member.value or raw == member.name:
                return member
        folded = raw.casefold()
        for member in enum_cls:
            if folded in (str(member.value).casefold(), member.name.casefold()):
                return member
    allowed = ", ".join(m.name for m in enum_cls)
    raise _bad(field, f"{raw!r} is not one of {allowed}")


def _datetime(field: str, raw: object) -> datetime:
    if not isinstance(raw, str):
        raise _bad(field, 'expects a date/time string such as "2026-01-31T12:00:00Z"')
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise _bad(field, f"{raw!r} is not an ISO 8601 date/time") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _convert(kind: FieldKind, field: str, raw: Scalar, enum_cls: type[enum.Enum] | None) -> Any:
    """One non-null value as the field compares it."""
    match kind:
        case FieldKind.TEXT | FieldKind.TEXT_ANY:
            if not isinstance(raw, str):
                raise _bad(field, f'expects a "string", not {raw!r}')
            return raw
        case FieldKind.INTEGER | FieldKind.NUMBER:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise _bad(field, f"expects a number, not {raw!r}")
            if kind is FieldKind.INTEGER:
                if isinstance(raw, float) and not raw.is_integer():
                    raise _bad(field, f"expects a whole number, not {raw!r}")
                return int(raw)
            return raw
        case FieldKind.BOOLEAN:
            if not isinstance(raw, bool):
                raise _bad(field, f"expects true or false, not {raw!r}")
            return raw
        case FieldKind.DATETIME:
            return _datetime(field, raw)
        case FieldKind.UUID:
            try:
                return uuid.UUID(str(raw)) if isinstance(raw, str) else None
            except ValueError:
                pass
            raise _bad(field, f"{raw!r} is not a UUID")
        case FieldKind.ENUM:
            assert enum_cls is not None
            return enum_member(enum_cls, field, raw)


def check(
    comparison: Comparison, kind: FieldKind, enum_cls: type[enum.Enum] | None = None
) -> Check:
    """Validate a comparison against the field's kind and convert its value(s)."""
    field, op, raw = comparison.field, comparison.op, comparison.value
    if op not in _OPS[kind]:
        raise _bad(field, f"`{op.value}` does not apply to a {kind.value} field")
    if op is Op.IN:
        assert isinstance(raw, tuple)
        values = tuple(_convert(kind, field, v, enum_cls) for v in raw if v is not None)
        return Check(op, values=values, with_null=any(v is None for v in raw))
    assert not isinstance(raw, tuple)
    if op in PATTERN_OPS:
        if not isinstance(raw, str):
            raise _bad(field, f'`{op.value}` takes a "string"')
        return Check(op, value=raw)
    if raw is None:
        if op in ORDERING_OPS:
            raise _bad(field, f"cannot compare with null using `{op.value}`")
        return Check(op, value=None)
    if op in (Op.IS, Op.ISNOT):
        if not isinstance(raw, bool) or kind is not FieldKind.BOOLEAN:
            raise _bad(field, f"`{op.value}` takes null (or true/false for a boolean field)")
        return Check(op, value=raw)
    return Check(op, value=_convert(kind, field, raw, enum_cls))
