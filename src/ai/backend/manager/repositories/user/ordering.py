"""The `order` argument of paged lists: `name`, `-created_at`, `+email,-username`."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from ai.backend.manager.errors.base import InvalidAPIParameters


def order_clauses(
    order: str | None,
    columns: Mapping[str, sa.ColumnElement[object]],
    default: list[sa.ColumnElement[object]],
) -> list[sa.ColumnElement[object]]:
    """SQL ORDER BY clauses for `order`; unknown fields are refused with the allowed ones."""
    if order is None or not order.strip():
        return default
    clauses: list[sa.ColumnElement[object]] = []
    for part in order.split(","):
        term = part.strip()
        descending = term.startswith("-")
        name = term.lstrip("+-").strip()
        column = columns.get(name)
        if column is None:
            allowed = ", ".join(sorted(columns))
            raise InvalidAPIParameters(f"Cannot order by {name!r} (allowed: {allowed})")
        clauses.append(column.desc() if descending else column.asc())
    return clauses + default
