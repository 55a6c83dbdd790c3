"""The shared metadata and the column types the schema is written with."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Dialect

# Deterministic constraint names, so that migrations can name what they drop.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

GUID = pg.UUID(as_uuid=True)


class ResourceSlotColumn(sa.types.TypeDecorator[dict[str, Decimal]]):
    """JSONB `{slot_name: "decimal-string"}`; Python side is `dict[str, Decimal]`."""

    impl = pg.JSONB
    cache_ok = True

    def process_bind_param(
        self, value: Mapping[str, Any] | None, dialect: Dialect
    ) -> dict[str, str] | None:
        if value is None:
            return None
        return {str(k): str(v) for k, v in value.items()}

    def process_result_value(
        self, value: Mapping[str, Any] | None, dialect: Dialect
    ) -> dict[str, Decimal] | None:
        if value is None:
            return None
        return {k: Decimal(str(v)) for k, v in value.items()}


class StrEnumType[E: enum.Enum](sa.types.TypeDecorator[E]):
    """A varchar column that stores an enum member's *value*.

    `enum_cls` is public: it is part of the type's cache key (SQLAlchemy keys a type on the
    attributes named like its `__init__` parameters), and fixture loading reads it.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_cls: type[E], length: int = 64) -> None:
        super().__init__(length=length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else str(self.enum_cls(value).value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum_cls(value)


def pg_enum(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A native PostgreSQL enum type; it stores the members' *names*."""
    return sa.Enum(enum_cls, name=name)


def now_column(name: str, **kw: Any) -> sa.Column[Any]:
    """A NOT NULL timezone-aware timestamp that the server sets to the insert time."""
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now(), **kw
    )


def created_at_column() -> sa.Column[Any]:
    """When the row was inserted (set by the server)."""
    return now_column("created_at")


def updated_at_column() -> sa.Column[Any]:
    """When the row was last changed: set by the server on insert, by SQLAlchemy on update."""
    return now_column("updated_at", onupdate=sa.func.now())
