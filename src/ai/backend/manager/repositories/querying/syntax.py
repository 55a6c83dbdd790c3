"""The text of `filter` and `order` arguments, read into small syntax trees.

A filter is one or more comparisons `FIELD OPERATOR VALUE` joined by `&` (and) or `|` (or),
negated by a leading `!` and grouped with parentheses:

    email ilike "%@test.local" & (role == "admin" | role == "superadmin")
    status in ["RUNNING", "PENDING"] & ! name contains "tmp"

Operators: `==` `!=` `<` `<=` `>` `>=`, `contains`, `like`, `ilike`, `in`, `is`, `isnot`.
Values: double-quoted strings (`\\"` stands for a quote; any other backslash pair is kept as
written, so LIKE patterns can escape `%` and `_`), numbers (`42`, `-1.5`, `2e3`), `true`,
`false`, `null`, and for `in` a bracketed list of those.

How the clients' expressions have always been read, and so how we read them: `&` and `|` have
the same strength and group to the right, so `a & b | c` means `a & (b | c)`; and `!` negates
everything after it, so `!a & b` means `!(a & b)`. Use parentheses to say anything else.

An order is a comma-separated list of field names, each optionally prefixed by `+`
(ascending, the default) or `-` (descending): `-created_at,+email`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache

from ai.backend.manager.errors.query import InvalidQueryExpression

type Scalar = str | int | float | bool | None
type Value = Scalar | tuple[Scalar, ...]


class Op(enum.StrEnum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    CONTAINS = "contains"
    LIKE = "like"
    ILIKE = "ilike"
    IN = "in"
    IS = "is"
    ISNOT = "isnot"


ORDERING_OPS = frozenset({Op.LT, Op.LE, Op.GT, Op.GE})
PATTERN_OPS = frozenset({Op.CONTAINS, Op.LIKE, Op.ILIKE})


@dataclass(frozen=True, slots=True)
class Comparison:
    field: str
    op: Op
    value: Value


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class And:
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Or:
    left: Expr
    right: Expr


type Expr = Comparison | Not | And | Or


@dataclass(frozen=True, slots=True)
class OrderKey:
    field: str
    descending: bool = False


# --- tokens -------------------------------------------------------------------------------------


class _Kind(enum.Enum):
    NAME = enum.auto()
    STRING = enum.auto()
    NUMBER = enum.auto()
    SYMBOL = enum.auto()  # operators, connectives, brackets and commas
    END = enum.auto()


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    text: str
    pos: int  # 0-based offset into the expression


_WORD_OPS = frozenset({"contains", "like", "ilike", "in", "is", "isnot"})
_SYMBOLS = ("==", "!=", "<=", ">=", "<", ">", "&", "|", "!", "(", ")", "[", "]", ",")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _fail(what: str, text: str, pos: int, problem: str) -> InvalidQueryExpression:
    where = (
        f"at column {pos + 1} (near {text[pos : pos + 20]!r})" if pos < len(text) else "at its end"
    )
    return InvalidQueryExpression(f"Invalid {what} expression {where}: {problem}")


def _tokenize(text: str, what: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            pos += 1
            continue
        if ch == '"':
            end = pos + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise _fail(what, text, pos, "the string is not closed with a double quote")
            tokens.append(_Token(_Kind.STRING, text[pos : end + 1], pos))
            pos = end + 1
            continue
        if ch == "'":
            raise _fail(what, text, pos, 'strings are written in double quotes ("...")')
        number = _NUMBER.match(text, pos)
        if number is not None and (ch not in "+-" or not tokens or _expects_value(tokens[-1])):
            tokens.append(_Token(_Kind.NUMBER, number.group(), pos))
            pos = number.end()
            continue
        name = _NAME.match(text, pos)
        if name is not None:
            tokens.append(_Token(_Kind.NAME, name.group(), pos))
            pos = name.end()
            continue
        for symbol in _SYMBOLS:
            if text.startswith(symbol, pos):
                tokens.append(_Token(_Kind.SYMBOL, symbol, pos))
                pos += len(symbol)
                break
        else:
            if ch in "+-":
                tokens.append(_Token(_Kind.SYMBOL, ch, pos))
                pos += 1
                continue
            raise _fail(what, text, pos, f"unexpected character {ch!r}")
    tokens.append(_Token(_Kind.END, "", len(text)))
    return tokens


def _expects_value(previous: _Token) -> bool:
    """Whether a signed number may start here: after an operator, `[` or `,`."""
    if previous.kind is _Kind.SYMBOL:
        return previous.text in ("==", "!=", "<", "<=", ">", ">=", "[", ",")
    return previous.kind is _Kind.NAME and previous.text in _WORD_OPS


# --- filters ------------------------------------------------------------------------------------


# How deeply expressions may nest (each `&`/`|`/`!` and each parenthesis is a level): far more
# than any hand-written filter needs, and far from Python's recursion limit.
MAX_DEPTH = 200
MAX_LENGTH = 16 * 1024


class _FilterParser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise InvalidQueryExpression(
                f"The filter expression is too long ({len(text)} characters; at most {MAX_LENGTH})"
            )
        self._text = text
        self._tokens = _tokenize(text, "filter")
        self._at = 0
        self._depth = 0

    def _peek(self) -> _Token:
        return self._tokens[self._at]

    def _next(self) -> _Token:
        token = self._tokens[self._at]
        if token.kind is not _Kind.END:
            self._at += 1
        return token

    def _error(self, token: _Token, problem: str) -> InvalidQueryExpression:
        return _fail("filter", self._text, token.pos, problem)

    def _is_symbol(self, token: _Token, *symbols: str) -> bool:
        return token.kind is _Kind.SYMBOL and token.text in symbols

    def parse(self) -> Expr:
        if self._peek().kind is _Kind.END:
            raise self._error(self._peek(), "the expression is empty")
        expr = self._expression()
        token = self._peek()
        if token.kind is not _Kind.END:
            if self._is_symbol(token, ")"):
                raise self._error(token, "this `)` closes no `(`")
            raise self._error(token, "expected `&`, `|` or the end of the expression")
        return expr

    def _expression(self) -> Expr:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._error(
                self._peek(), f"the expression nests more than {MAX_DEPTH} levels deep"
            )
        try:
            token = self._peek()
            if self._is_symbol(token, "!"):
                self._next()
                return Not(self._expression())
            left = self._primary()
            connective = self._peek()
            if self._is_symbol(connective, "&", "|"):
                self._next()
                right = self._expression()
                return And(left, right) if connective.text == "&" else Or(left, right)
            return left
        finally:
            self._depth -= 1

    def _primary(self) -> Expr:
        token = self._next()
        if self._is_symbol(token, "("):
            inner = self._expression()
            closing = self._next()
            if not self._is_symbol(closing, ")"):
                raise self._error(closing, "expected `)`")
            return inner
        if token.kind is not _Kind.NAME:
            raise self._error(token, "expected a field name, `!` or `(`")
        op_token = self._next()
        op = self._operator(op_token)
        value_token = self._peek()
        value = self._value(allow_list=True)
        if op is Op.IN and not isinstance(value, tuple):
            raise self._error(value_token, "`in` takes a list of values, like [1, 2]")
        if op is not Op.IN and isinstance(value, tuple):
            raise self._error(value_token, f"a list of values goes with `in`, not `{op.value}`")
        return Comparison(token.text, op, value)

    def _operator(self, token: _Token) -> Op:
        if (token.kind is _Kind.SYMBOL and token.text in ("==", "!=", "<", "<=", ">", ">=")) or (
            token.kind is _Kind.NAME and token.text in _WORD_OPS
        ):
            return Op(token.text)
        known = ", ".join(op.value for op in Op)
        raise self._error(token, f"expected an operator ({known})")

    def _value(self, *, allow_list: bool) -> Value:
        token = self._next()
        match token.kind:
            case _Kind.STRING:
                return token.text[1:-1].replace('\\"', '"')
            case _Kind.NUMBER:
                return _number(token.text)
            case _Kind.NAME if token.text in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[token.text]
            case _Kind.SYMBOL if token.text == "[":
                if not allow_list:
                    raise self._error(token, "lists cannot be nested")
                return self._list()
        raise self._error(
            token, 'expected a value: a "string", a number, true, false, null or a [list]'
        )

    def _list(self) -> tuple[Scalar, ...]:
        items: list[Scalar] = []
        if self._is_symbol(self._peek(), "]"):
            self._next()
            return ()
        while True:
            item = self._value(allow_list=False)
            assert not isinstance(item, tuple)
            items.append(item)
            token = self._next()
            if self._is_symbol(token, "]"):
                return tuple(items)
            if not self._is_symbol(token, ","):
                raise self._error(token, "expected `,` or `]` in the list")


def _number(text: str) -> int | float:
    if any(c in text for c in ".eE"):
        return float(text)
    return int(text)


@lru_cache(maxsize=256)
def parse_filter(text: str) -> Expr:
    """The syntax tree of a filter expression; a clear error when it does not parse."""
    return _FilterParser(text).parse()


# --- orders -------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def parse_order(text: str) -> tuple[OrderKey, ...]:
    """The keys of an order expression, first to last; empty text means no keys."""
    tokens = _tokenize(text, "order")
    keys: list[OrderKey] = []
    at = 0
    if tokens[0].kind is _Kind.END:
        return ()
    while True:
        token = tokens[at]
        descending = False
        if token.kind is _Kind.SYMBOL and token.text in ("+", "-"):
            descending = token.text == "-"
            at += 1
            token = tokens[at]
        if token.kind is not _Kind.NAME:
            raise _fail("order", text, token.pos, "expected a field name")
        keys.append(OrderKey(token.text, descending))
        at += 1
        token = tokens[at]
        if token.kind is _Kind.END:
            return tuple(keys)
        if not (token.kind is _Kind.SYMBOL and token.text == ","):
            raise _fail("order", text, token.pos, "expected `,` between fields")
        at += 1
