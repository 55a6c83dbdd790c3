"""The `filter` and `order` mini-languages of paged lists, for SQL and in-memory lists."""

from ai.backend.manager.repositories.querying.sql import (
    Condition,
    Predicate,
    QueryField,
    QueryFields,
    any_text,
    boolean,
    enum_field,
    integer,
    number,
    text,
    text_array,
    timestamp,
    uuid_field,
)
from ai.backend.manager.repositories.querying.syntax import parse_filter, parse_order
from ai.backend.manager.repositories.querying.values import FieldKind

__all__ = (
    "Condition",
    "FieldKind",
    "Predicate",
    "QueryField",
    "QueryFields",
    "any_text",
    "boolean",
    "enum_field",
    "integer",
    "number",
    "parse_filter",
    "parse_order",
    "text",
    "text_array",
    "timestamp",
    "uuid_field",
)
