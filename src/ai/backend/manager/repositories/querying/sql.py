"""Filters and orders as SQL: a list declares its fields once, then turns texts into clauses.

    USER_FIELDS = QueryFields({
        "email": text(users.c.email),
        "status": enum_field(users.c.status, UserStatus),
        "created_at": timestamp(users.c.created_at),
        "project_name": any_text(lambda match: sa.exists().where(..., match(groups.c.name))),
    })
    query = query.where(*USER_FIELDS.where(filter_text))
    query = query.order_by(*USER_FIELDS.order_by(order_text, default=[users.c.uuid]))

A field maps a public name to a column or a correlated expression, so the conditions go into
the list's own statements: a filter never adds a statement per row or per page.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

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

type Condition = sa.ColumnElement[bool]
type Predicate = Callable[[sa.ColumnElement[Any]], Condition]
# Given a predicate on one value, the condition "some value of the row satisfies it".
type AnyOf = Callable[[Predicate], Condition]


@dataclass(frozen=True, slots=True)
class QueryField:
    """One public field of a list: what it compares and how it sorts.

    `expr` is the value for scalar kinds; `any_of` builds the condition for a TEXT_ANY field;
    `sort` is what ordering uses (`expr` when not given; a TEXT_ANY field without one, or a
    field with `sortable=False`, cannot be ordered by).
    """

    kind: FieldKind
    expr: sa.ColumnElement[Any] | None = None
    enum: type[enum.Enum] | None = None
    any_of: AnyOf | None = None
    sort: sa.ColumnElement[Any] | None = None
    filterable: bool = True
    sortable: bool = True

    @property
    def sort_expr(self) -> sa.ColumnElement[Any] | None:
        if not self.sortable:
            return None
        return self.sort if self.sort is not None else self.expr


def text(expr: sa.ColumnElement[Any], *, sortable: bool = True) -> QueryField:
    return QueryField(FieldKind.TEXT, expr, sortable=sortable)


def integer(expr: sa.ColumnElement[Any]) -> QueryField:
    return QueryField(FieldKind.INTEGER, expr)


def number(expr: sa.ColumnElement[Any]) -> QueryField:
    return QueryField(FieldKind.NUMBER, expr)


def boolean(expr: sa.ColumnElement[Any]) -> QueryField:
    return QueryField(FieldKind.BOOLEAN, expr)


def timestamp(expr: sa.ColumnElement[Any]) -> QueryField:
    return QueryField(FieldKind.DATETIME, expr)


def uuid_field(expr: sa.ColumnElement[Any]) -> QueryField:
    return QueryField(FieldKind.UUID, expr)


def enum_field(expr: sa.ColumnElement[Any], enum_cls: type[enum.Enum]) -> QueryField:
    """A column holding members of `enum_cls`; filters may name them by name or value."""
    return QueryField(FieldKind.ENUM, expr, enum=enum_cls)


def any_text(any_of: AnyOf, *, sort: sa.ColumnElement[Any] | None = None) -> QueryField:
    """Several texts per row (e.g. the names of the row's projects), given as a function that
    builds "some value satisfies this predicate", usually a correlated EXISTS."""
    return QueryField(FieldKind.TEXT_ANY, any_of=any_of, sort=sort)


def text_array(
    column: sa.ColumnElement[Any], *, as_text: bool = False, sortable: bool = True
) -> QueryField:
    """A PostgreSQL array column: a comparison holds when it holds for an element (read as
    text first with `as_text`, e.g. for an array of network addresses)."""

    def any_of(predicate: Predicate) -> Condition:
        items = sa.func.unnest(column).table_valued("item").render_derived()
        item: sa.ColumnElement[Any] = items.c.item
        if as_text:
            item = sa.cast(item, sa.Text)
        return sa.exists(sa.select(sa.literal(1)).select_from(items).where(predicate(item)))

    return QueryField(FieldKind.TEXT_ANY, any_of=any_of, sort=column, sortable=sortable)


_COMPARE: dict[Op, Callable[[sa.ColumnElement[Any], Any], Condition]] = {
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}


def _scalar_condition(expr: sa.ColumnElement[Any], kind: FieldKind, c: Check) -> Condition:
    if c.tests_null:
        return expr.is_not(None) if c.negated else expr.is_(None)
    match c.op:
        case Op.IS:
            return expr.is_(sa.true() if c.value else sa.false())
        case Op.ISNOT:
            return expr.is_not(sa.true() if c.value else sa.false())
        case Op.EQ | Op.NE | Op.LT | Op.LE | Op.GT | Op.GE:
            return _COMPARE[c.op](expr, c.value)
        case Op.IN:
            found: Condition = expr.in_(c.values) if c.values else sa.false()
            return sa.or_(found, expr.is_(None)) if c.with_null else found
    as_text = sa.cast(expr, sa.Text) if kind is FieldKind.UUID else expr
    match c.op:
        case Op.CONTAINS:
            return as_text.contains(c.value, autoescape=True)
        case Op.LIKE:
            return as_text.like(c.value)
        case Op.ILIKE:
            return as_text.ilike(c.value)
    raise AssertionError(c.op)


def _any_condition(any_of: AnyOf, c: Check) -> Condition:
    some = any_of(lambda _item: sa.true())
    if c.tests_null:
        return some if c.negated else sa.not_(some)
    matched = any_of(lambda item: _scalar_condition(item, FieldKind.TEXT, c))
    if c.op is Op.IN and c.with_null:
        return sa.or_(matched, sa.not_(some))
    return matched


class QueryFields:
    """The fields a list may be filtered and ordered by."""

    def __init__(self, fields: Mapping[str, QueryField]) -> None:
        self._fields = dict(fields)

    def __contains__(self, name: str) -> bool:
        return name in self._fields

    def names(self) -> list[str]:
        return sorted(self._fields)

    def _field(self, name: str, what: str) -> QueryField:
        found = self._fields.get(name)
        if found is None:
            allowed = ", ".join(self.names())
            raise InvalidQueryExpression(
                f"Unknown field `{name}` in the {what} (allowed: {allowed})"
            )
        return found

    def where(self, filter_text: str | None) -> list[Condition]:
        """The filter as a list of zero or one condition (nothing for a blank filter)."""
        if filter_text is None or not filter_text.strip():
            return []
        return [self._condition(parse_filter(filter_text))]

    def _condition(self, expr: Expr) -> Condition:
        match expr:
            case Not(operand):
                return sa.not_(self._condition(operand))
            case And(left, right):
                return sa.and_(self._condition(left), self._condition(right))
            case Or(left, right):
                return sa.or_(self._condition(left), self._condition(right))
            case Comparison():
                return self._comparison(expr)

    def _comparison(self, comparison: Comparison) -> Condition:
        field = self._field(comparison.field, "filter")
        if not field.filterable:
            raise InvalidQueryExpression(f"The field `{comparison.field}` cannot be filtered on")
        c = check(comparison, field.kind, field.enum)
        if field.kind is FieldKind.TEXT_ANY:
            assert field.any_of is not None
            return _any_condition(field.any_of, c)
        assert field.expr is not None
        return _scalar_condition(field.expr, field.kind, c)

    def order_by(
        self, order_text: str | None, *, default: Sequence[sa.ColumnElement[Any]]
    ) -> list[sa.ColumnElement[Any]]:
        """ORDER BY clauses for the order text, then `default` (which should end with a
        unique key, so that pages never overlap); only `default` for a blank text."""
        if order_text is None or not order_text.strip():
            return list(default)
        clauses: list[sa.ColumnElement[Any]] = []
        for key in parse_order(order_text):
            field = self._field(key.field, "order")
            sort = field.sort_expr
            if sort is None:
                raise InvalidQueryExpression(f"The field `{key.field}` cannot be ordered by")
            clauses.append(sort.desc() if key.descending else sort.asc())
        return clauses + list(default)
