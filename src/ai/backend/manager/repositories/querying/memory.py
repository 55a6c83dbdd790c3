"""Filters and orders over records held in memory (lists not kept in PostgreSQL).

The answers match what PostgreSQL would give for the same expression: comparisons with a
missing value are unknown, `!` of unknown stays unknown, and only rows whose filter is true are
kept; ascending orders put missing values last and descending ones first.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ai.backend.manager.errors.query import InvalidQueryExpression
from ai.backend.manager.repositories.querying.syntax import (
    And,
    Comparison,
    Expr,
    Not,
    Op,
    Or,
    parse_filter,
    parse_order,
)
from ai.backend.manager.repositories.querying.values import Check, FieldKind, check

# True, False or None (unknown), as in SQL
type Truth = bool | None


@dataclass(frozen=True, slots=True)
class MemoryField[T]:
    """A public field of an in-memory list: its kind and how to read it from a record
    (a TEXT_ANY field reads a sequence of texts)."""

    kind: FieldKind
    get: Callable[[T], Any]
    enum: type[enum.Enum] | None = None
    sortable: bool = True


def _like_regex(pattern: str, *, fold: bool) -> re.Pattern[str]:
    """A SQL LIKE pattern (`%`, `_`, backslash escapes) as an anchored regular expression."""
    out: list[str] = []
    escaped = False
    for ch in pattern:
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if fold else 0))


def _compare(value: Any, c: Check) -> Truth:
    if c.tests_null:
        return (value is not None) if c.negated else (value is None)
    if c.op in (Op.IS, Op.ISNOT):
        same = value is c.value
        return not same if c.op is Op.ISNOT else same
    if c.op is Op.IN:
        if value is None:
            return True if c.with_null else None
        return value in c.values
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        return None  # cannot be compared with an aware time; treat as unknown
    match c.op:
        case Op.EQ:
            return bool(value == c.value)
        case Op.NE:
            return bool(value != c.value)
        case Op.LT:
            return bool(value < c.value)
        case Op.LE:
            return bool(value <= c.value)
        case Op.GT:
            return bool(value > c.value)
        case Op.GE:
            return bool(value >= c.value)
        case Op.CONTAINS:
            return c.value in str(value)
        case Op.LIKE | Op.ILIKE:
            return _like_regex(c.value, fold=c.op is Op.ILIKE).fullmatch(str(value)) is not None
    raise AssertionError(c.op)


def _any(values: Iterable[Any], c: Check) -> Truth:
    items = [v for v in values if v is not None]
    if c.tests_null:
        return bool(items) if c.negated else not items
    if c.op is Op.IN and c.with_null and not items:
        return True
    results = [_compare(v, c) for v in items]
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def _not(value: Truth) -> Truth:
    return None if value is None else not value


def _and(left: Truth, right: Truth) -> Truth:
    if left is False or right is False:
        return False
    return None if left is None or right is None else True


def _or(left: Truth, right: Truth) -> Truth:
    if left is True or right is True:
        return True
    return None if left is None or right is None else False


class MemoryQueryFields[T]:
    """The fields an in-memory list may be filtered and ordered by."""

    def __init__(self, fields: Mapping[str, MemoryField[T]]) -> None:
        self._fields = dict(fields)

    def _field(self, name: str, what: str) -> MemoryField[T]:
        found = self._fields.get(name)
        if found is None:
            allowed = ", ".join(sorted(self._fields))
            raise InvalidQueryExpression(
                f"Unknown field `{name}` in the {what} (allowed: {allowed})"
            )
        return found

    def filter(self, items: Iterable[T], filter_text: str | None) -> list[T]:
        """The items the filter holds for (all of them for a blank filter)."""
        if filter_text is None or not filter_text.strip():
            return list(items)
        expr = parse_filter(filter_text)
        checks = self._checks(expr)
        return [item for item in items if self._truth(expr, item, checks) is True]

    def _checks(self, expr: Expr) -> dict[int, Check]:
        """Each comparison validated once, before any record is looked at."""
        found: dict[int, Check] = {}
        stack: list[Expr] = [expr]
        while stack:
            node = stack.pop()
            match node:
                case Not(operand):
                    stack.append(operand)
                case And(left, right) | Or(left, right):
                    stack.extend((left, right))
                case Comparison():
                    field = self._field(node.field, "filter")
                    found[id(node)] = check(node, field.kind, field.enum)
        return found

    def _truth(self, expr: Expr, item: T, checks: Mapping[int, Check]) -> Truth:
        match expr:
            case Not(operand):
                return _not(self._truth(operand, item, checks))
            case And(left, right):
                return _and(self._truth(left, item, checks), self._truth(right, item, checks))
            case Or(left, right):
                return _or(self._truth(left, item, checks), self._truth(right, item, checks))
            case Comparison():
                field = self._fields[expr.field]
                c = checks[id(expr)]
                value = field.get(item)
                if field.kind is FieldKind.TEXT_ANY:
                    return _any(value or (), c)
                return _compare(value, c)

    def sort(self, items: Sequence[T], order_text: str | None) -> list[T]:
        """The items in the order the text asks for; as given for a blank text (so give them
        in the list's default order)."""
        result = list(items)
        if order_text is None or not order_text.strip():
            return result
        keys = parse_order(order_text)
        for key in keys:
            if not self._field(key.field, "order").sortable:
                raise InvalidQueryExpression(f"The field `{key.field}` cannot be ordered by")
        # stable sorts from the last key to the first give the combined order
        for key in reversed(keys):
            get = self._fields[key.field].get
            present = [item for item in result if get(item) is not None]
            missing = [item for item in result if get(item) is None]
            present.sort(key=lambda item: _sort_value(get(item)), reverse=key.descending)
            result = missing + present if key.descending else present + missing
        return result


def _sort_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return tuple(value)
    return value
