"""The `filter`/`order` mini-languages: parsing, SQL conditions and in-memory evaluation."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ai.backend.manager.errors.query import InvalidQueryExpression
from ai.backend.manager.repositories.querying import (
    QueryFields,
    any_text,
    boolean,
    enum_field,
    integer,
    parse_filter,
    parse_order,
    text,
    text_array,
    timestamp,
    uuid_field,
)
from ai.backend.manager.repositories.querying.memory import MemoryField, MemoryQueryFields
from ai.backend.manager.repositories.querying.syntax import And, Comparison, Not, Op, Or, OrderKey
from ai.backend.manager.repositories.querying.values import FieldKind

# --- parsing ------------------------------------------------------------------------------------


def test_comparisons_and_literals() -> None:
    assert parse_filter('email ilike "%@test.local"') == Comparison(
        "email", Op.ILIKE, "%@test.local"
    )
    assert parse_filter("n==-1.5") == Comparison("n", Op.EQ, -1.5)
    assert parse_filter("n >= 42") == Comparison("n", Op.GE, 42)
    assert parse_filter("n < 2e3") == Comparison("n", Op.LT, 2000.0)
    assert parse_filter("flag == true") == Comparison("flag", Op.EQ, True)
    assert parse_filter("x isnot null") == Comparison("x", Op.ISNOT, None)
    assert parse_filter('s in ["a", 1, null, false]') == Comparison(
        "s", Op.IN, ("a", 1, None, False)
    )
    assert parse_filter("s in []") == Comparison("s", Op.IN, ())
    assert parse_filter(r's == "say \"hi\" 50\%"') == Comparison("s", Op.EQ, r'say "hi" 50\%')


def test_connectives_group_to_the_right_and_not_takes_the_rest() -> None:
    a, b, c = (Comparison(n, Op.EQ, 1) for n in "abc")
    assert parse_filter("a == 1 & b == 2".replace("2", "1")) == And(a, b)
    assert parse_filter("a == 1 & b == 1 | c == 1") == And(a, Or(b, c))
    assert parse_filter("a == 1 | b == 1 & c == 1") == Or(a, And(b, c))
    assert parse_filter("(a == 1 & b == 1) | c == 1") == Or(And(a, b), c)
    assert parse_filter("!a == 1 & b == 1") == Not(And(a, b))
    assert parse_filter("!(a == 1) & b == 1") == Not(And(a, b))
    assert parse_filter("(!a == 1) & b == 1") == And(Not(a), b)
    assert parse_filter("a==1&b==1") == And(a, b)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("", "empty"),
        ("email ==", "at its end"),
        ('email == "x', "not closed"),
        ("email == 'x'", "double quotes"),
        ('(email == "x"', "expected `)`"),
        ('email == "x")', "closes no"),
        ('email "x"', "expected an operator"),
        ('email in "x"', "takes a list"),
        ("email == [1]", "goes with `in`"),
        ("email in [[1]]", "cannot be nested"),
        ('email == "x" &', "expected a field name"),
        ('email == "x" email == "y"', "expected `&`"),
        ("email == #", "unexpected character"),
    ],
)
def test_syntax_errors_say_where_and_what(expression: str, fragment: str) -> None:
    with pytest.raises(InvalidQueryExpression) as caught:
        parse_filter(expression)
    assert fragment in str(caught.value)


def test_orders() -> None:
    assert parse_order("") == ()
    assert parse_order("email") == (OrderKey("email"),)
    assert parse_order(" -created_at , +email,name ") == (
        OrderKey("created_at", True),
        OrderKey("email"),
        OrderKey("name"),
    )
    for bad in ("a,", "--a", "a b", ",a", "a,,b"):
        with pytest.raises(InvalidQueryExpression):
            parse_order(bad)


# --- SQL ----------------------------------------------------------------------------------------


class Color(enum.StrEnum):
    RED = "red"
    DARK_BLUE = "dark-blue"


_md = sa.MetaData()
things = sa.Table(
    "things",
    _md,
    sa.Column("id", sa.Uuid),
    sa.Column("name", sa.String),
    sa.Column("size", sa.Integer),
    sa.Column("ok", sa.Boolean),
    sa.Column("color", sa.String),
    sa.Column("made", sa.DateTime(timezone=True)),
    sa.Column("tags", postgresql.ARRAY(sa.String)),
)
labels = sa.Table("labels", _md, sa.Column("thing_id", sa.Uuid), sa.Column("label", sa.String))

FIELDS = QueryFields(
    {
        "id": uuid_field(things.c.id),
        "name": text(things.c.name),
        "size": integer(things.c.size),
        "ok": boolean(things.c.ok),
        "color": enum_field(things.c.color, Color),
        "made": timestamp(things.c.made),
        "tags": text_array(things.c.tags),
        "label": any_text(
            lambda match: sa.exists().where(labels.c.thing_id == things.c.id, match(labels.c.label))
        ),
    }
)


def sql(expression: str) -> str:
    """The WHERE clause of a query on `things` filtered by `expression`."""
    (condition,) = FIELDS.where(expression)
    compiled = (
        sa.select(things.c.id)
        .where(condition)
        .compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    return " ".join(str(compiled).split()).split(" WHERE ", 1)[1]


def test_sql_conditions() -> None:
    assert FIELDS.where(None) == [] and FIELDS.where("  ") == []
    assert sql('name ilike "%x"') == "things.name ILIKE '%%x'"
    assert sql('name contains "50%"') == "(things.name LIKE '%%' || '50/%%' || '%%' ESCAPE '/')"
    assert sql("size >= 2.0 & ok is true") == "things.size >= 2 AND things.ok IS true"
    assert sql('color == "DARK_BLUE"') == "things.color = 'dark-blue'"
    assert sql('color in ["red", null]') == "things.color IN ('red') OR things.color IS NULL"
    assert sql("name == null | name != null") == "things.name IS NULL OR things.name IS NOT NULL"
    assert sql("name in []") == "false"
    assert sql('made > "2026-01-02"') == "things.made > '2026-01-02 00:00:00+00:00'"
    assert sql('id contains "ab"').startswith("(CAST(things.id AS TEXT) LIKE")
    assert "AS anon_2(item) WHERE anon_2.item = 'py'" in sql('tags == "py"')
    assert sql('label like "a%"') == (
        "EXISTS (SELECT * FROM labels WHERE labels.thing_id = things.id"
        " AND labels.label LIKE 'a%%')"
    )
    assert sql("label is null").startswith("NOT (EXISTS (SELECT * FROM labels")


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("bogus == 1", "Unknown field `bogus`"),
        ("name == 1", 'expects a "string"'),
        ("size == 1.5", "whole number"),
        ('size == "1"', "expects a number"),
        ("ok == 1", "true or false"),
        ('ok like "t%"', "does not apply to a boolean"),
        ('color == "green"', "not one of RED, DARK_BLUE"),
        ('color < "red"', "does not apply to a enum"),
        ('made > "yesterday"', "not an ISO 8601"),
        ('id == "nope"', "not a UUID"),
        ("name < null", "cannot compare with null"),
        ('name is "x"', "`is` takes null"),
        ("name like 1", "takes a"),
    ],
)
def test_sql_refusals(expression: str, fragment: str) -> None:
    with pytest.raises(InvalidQueryExpression) as caught:
        FIELDS.where(expression)
    assert fragment in str(caught.value), str(caught.value)


def test_sql_orders() -> None:
    clauses = FIELDS.order_by("-size,name", default=[things.c.id])
    rendered = [str(c.compile(dialect=postgresql.dialect())) for c in clauses]
    assert rendered == ["things.size DESC", "things.name ASC", "things.id"]
    assert FIELDS.order_by(None, default=[things.c.id]) == [things.c.id]
    with pytest.raises(InvalidQueryExpression, match="cannot be ordered"):
        FIELDS.order_by("label", default=[])
    with pytest.raises(InvalidQueryExpression, match="Unknown field `nope` in the order"):
        FIELDS.order_by("nope", default=[])


# --- in memory ----------------------------------------------------------------------------------


@dataclass
class Vol:
    id: str
    backend: str | None
    size: int | None
    caps: tuple[str, ...]


VOLUMES = [
    Vol("local:a", "vfs", 10, ("vfolder", "quota")),
    Vol("local:b", "xfs", None, ("vfolder",)),
    Vol("nfs:c", None, 30, ()),
]


def _get(name: str) -> Any:
    return lambda v: getattr(v, name)


MEMORY = MemoryQueryFields[Vol](
    {
        "id": MemoryField(FieldKind.TEXT, _get("id")),
        "backend": MemoryField(FieldKind.TEXT, _get("backend")),
        "size": MemoryField(FieldKind.INTEGER, _get("size")),
        "capabilities": MemoryField(FieldKind.TEXT_ANY, _get("caps"), sortable=False),
    }
)


def ids(expression: str | None, order: str | None = None) -> list[str]:
    return [v.id for v in MEMORY.sort(MEMORY.filter(VOLUMES, expression), order)]


def test_memory_filters_like_sql() -> None:
    assert ids(None) == ["local:a", "local:b", "nfs:c"]
    assert ids('id like "local:%"') == ["local:a", "local:b"]
    assert ids('id ilike "LOCAL:_"') == ["local:a", "local:b"]
    assert ids('backend != "vfs"') == ["local:b"]  # null is unknown, not different
    assert ids('!backend == "vfs"') == ["local:b"]
    assert ids("backend == null") == ["nfs:c"]
    assert ids('backend in ["vfs", null]') == ["local:a", "nfs:c"]
    assert ids("size > 15 | size < 5") == ["nfs:c"]
    assert ids('capabilities == "quota"') == ["local:a"]
    assert ids('capabilities contains "fold"') == ["local:a", "local:b"]
    assert ids("capabilities is null") == ["nfs:c"]
    assert ids('id contains "a" & backend == "vfs" | size == 30') == ["local:a"]
    assert ids(r'id like "local\_a"') == []
    with pytest.raises(InvalidQueryExpression, match="Unknown field"):
        ids("nope == 1")
    with pytest.raises(InvalidQueryExpression, match="expects a number"):
        ids('size == "x"')


def test_memory_orders_put_missing_values_like_postgresql() -> None:
    assert ids(None, "-id") == ["nfs:c", "local:b", "local:a"]
    assert ids(None, "size") == ["local:a", "nfs:c", "local:b"]
    assert ids(None, "-size") == ["local:b", "nfs:c", "local:a"]
    assert ids(None, "backend,-id") == ["local:a", "local:b", "nfs:c"]
    with pytest.raises(InvalidQueryExpression, match="cannot be ordered"):
        ids(None, "capabilities")


def test_memory_compares_times_and_enums() -> None:
    @dataclass
    class Row:
        at: datetime
        color: Color

    fields = MemoryQueryFields[Row](
        {
            "at": MemoryField(FieldKind.DATETIME, lambda r: r.at),
            "color": MemoryField(FieldKind.ENUM, lambda r: r.color, enum=Color),
        }
    )
    rows = [
        Row(datetime(2026, 1, 1, tzinfo=UTC), Color.RED),
        Row(datetime(2026, 3, 1, tzinfo=UTC), Color.DARK_BLUE),
    ]
    assert fields.filter(rows, 'at >= "2026-02-01T00:00:00Z"') == rows[1:]
    assert fields.filter(rows, 'color == "dark_blue"') == rows[1:]
    assert fields.filter(rows, 'color in ["RED"]') == rows[:1]


def test_overlong_or_overdeep_expressions_are_refused_not_crashed() -> None:
    chain = " & ".join(f'name == "{i}"' for i in range(150))
    assert len(FIELDS.where(chain)) == 1
    with pytest.raises(InvalidQueryExpression, match="nests more than"):
        parse_filter("&".join('name=="x"' for _ in range(500)))
    with pytest.raises(InvalidQueryExpression, match="nests more than"):
        parse_filter("(" * 300 + 'name == "x"' + ")" * 300)
    with pytest.raises(InvalidQueryExpression, match="too long"):
        parse_filter('name == "' + "x" * 20000 + '"')
