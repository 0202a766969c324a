"""Column expressions of the DSL: operators and helpers that build the expression nodes the SQL
parser builds.

Names follow ksqlDB's identifier rules, as if written in SQL: ``col("price")`` is the column
``PRICE`` (what ``price`` means in a statement) and a back-quoted name keeps its case
(``col("`price`")`` is ``price``). Literals are typed as the parser types their text
(``lit(12)`` INTEGER, ``lit(Decimal("12.5"))`` DECIMAL(3, 1), ``lit(1.5)`` DOUBLE).
"""

from __future__ import annotations

import math
from decimal import Decimal

from streammesh.streams.dsl.errors import InvalidPipeline
from streammesh.streams.expressions import (
    Between,
    Binary,
    BinaryOperator,
    Call,
    Case,
    Cast,
    Column,
    Dereference,
    Expression,
    InList,
    IsNull,
    Like,
    Literal,
    Subscript,
    Unary,
    UnaryOperator,
    WhenClause,
)
from streammesh.streams.sql.lowering import number_literal
from streammesh.streams.types import BOOLEAN, DOUBLE, STRING, SqlType


def name_of(written: str) -> str:
    """A name as ksqlDB resolves it: back-quoted kept as written (a doubled back-quote is one),
    otherwise upper-cased."""
    if len(written) >= 2 and written[0] == written[-1] == "`":
        return written[1:-1].replace("``", "`")
    return written.upper()


def lit(value: bool | int | float | Decimal | str | None) -> Expr:
    """A literal, typed as the SQL parser types it: an int INTEGER (BIGINT beyond 32 bits), a
    ``Decimal`` as its digits written out (``Decimal("0.05")`` is DECIMAL(3, 2)), a float
    DOUBLE, a str STRING, ``None`` the untyped NULL.

    Raises:
        InvalidPipeline: a float that is not finite, or an int beyond BIGINT.
    """
    if value is None:
        return Expr(Literal(None, None))
    if isinstance(value, bool):
        return Expr(Literal(value, BOOLEAN))
    if isinstance(value, str):
        return Expr(Literal(value, STRING))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidPipeline(f"the literal {value!r} has no SQL spelling (not finite)")
        return Expr(Literal(value, DOUBLE))
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    try:
        parsed, kind = number_literal(text)
    except ValueError as problem:
        raise InvalidPipeline(f"the literal {value!r} is {problem}") from None
    return Expr(Literal(parsed, kind))


def _node(value: object) -> Expression:
    if isinstance(value, Expr):
        return value.node
    if value is None or isinstance(value, (bool, int, float, Decimal, str)):
        return lit(value).node
    raise InvalidPipeline(
        f"{value!r} ({type(value).__name__}) is not an expression: use col(...), lit(...) or a"
        " number, string, bool or None"
    )


def col(name: str, source: str | None = None) -> Expr:
    """The column ``name`` (``"price"`` is ``PRICE``, ``"`price`"`` keeps its case),
    optionally qualified by its source's name or alias (``col("userid", "t")`` is
    ``T.USERID``)."""
    return Expr(Column(name_of(name), name_of(source) if source is not None else None))


def call(name: str, *arguments: object) -> Expr:
    """A function call by name, built-in or user-defined (scalar or aggregate):
    ``call("ucase", col("name"))``, ``call("my_udf", col("x"), 2)``."""
    return Expr(Call(name_of(name), tuple(_node(item) for item in arguments)))


def case(*whens: tuple[object, object], default: object = None) -> Expr:
    """``CASE WHEN condition THEN result ... [ELSE default] END``:
    ``case((col("qty") > 1000, "big"), (col("qty") > 100, "mid"), default="small")``.

    Raises:
        InvalidPipeline: no ``WHEN`` pair.
    """
    if not whens:
        raise InvalidPipeline("case(...) needs at least one (condition, result) pair")
    clauses = tuple(WhenClause(_node(condition), _node(result)) for condition, result in whens)
    return Expr(Case(clauses, None if default is None else _node(default)))


def _aggregate(name: str, column: object, *arguments: object) -> Expr:
    # An aggregate's first argument is a column: a str names one, as in group_by("symbol").
    nodes = (node_of(column), *(_node(item) for item in arguments))
    return Expr(Call(name, nodes))


def window_start() -> Expr:
    """``WINDOWSTART``: the start of a windowed aggregate's window (epoch milliseconds)."""
    return Expr(Column("WINDOWSTART"))


def window_end() -> Expr:
    """``WINDOWEND``: the end of a windowed aggregate's window (epoch milliseconds)."""
    return Expr(Column("WINDOWEND"))


def rowtime() -> Expr:
    """``ROWTIME``: the record's timestamp (alias it to output it)."""
    return Expr(Column("ROWTIME"))


def count(expression: object = None) -> Expr:
    """``COUNT(*)``, or ``COUNT(expression)`` (rows where it is not NULL).

    The aggregate helpers take their column as an :class:`Expr` or by name (``sum_("qty")``
    is ``SUM(QTY)``); their further arguments, like :func:`call`'s, are constants."""
    if expression is None:
        return Expr(Call("COUNT", (), star=True))
    return _aggregate("COUNT", expression)


def count_distinct(expression: object) -> Expr:
    """``COUNT_DISTINCT(expression)``."""
    return _aggregate("COUNT_DISTINCT", expression)


def sum_(expression: object) -> Expr:
    """``SUM(expression)``."""
    return _aggregate("SUM", expression)


def avg(expression: object) -> Expr:
    """``AVG(expression)``."""
    return _aggregate("AVG", expression)


def min_(expression: object) -> Expr:
    """``MIN(expression)``."""
    return _aggregate("MIN", expression)


def max_(expression: object) -> Expr:
    """``MAX(expression)``."""
    return _aggregate("MAX", expression)


def latest_by_offset(expression: object, *arguments: object) -> Expr:
    """``LATEST_BY_OFFSET(expression[, n[, ignore_nulls]])``."""
    return _aggregate("LATEST_BY_OFFSET", expression, *arguments)


def earliest_by_offset(expression: object, *arguments: object) -> Expr:
    """``EARLIEST_BY_OFFSET(expression[, n[, ignore_nulls]])``."""
    return _aggregate("EARLIEST_BY_OFFSET", expression, *arguments)


def collect_list(expression: object) -> Expr:
    """``COLLECT_LIST(expression)``."""
    return _aggregate("COLLECT_LIST", expression)


def collect_set(expression: object) -> Expr:
    """``COLLECT_SET(expression)``."""
    return _aggregate("COLLECT_SET", expression)


def topk(expression: object, k: int) -> Expr:
    """``TOPK(expression, k)``: the ``k`` largest values."""
    return _aggregate("TOPK", expression, k)


class Expr:
    """A column expression; operators build new expressions, :meth:`alias` names it."""

    __slots__ = ("name", "node")
    __hash__ = None  # type: ignore[assignment]  # == builds an expression

    def __init__(self, node: Expression, name: str | None = None) -> None:
        self.node = node
        self.name = name

    def __repr__(self) -> str:
        from streammesh.streams.dsl.render import expression_sql

        named = f" AS {self.name}" if self.name else ""
        return f"Expr({expression_sql(self.node)}{named})"

    def __bool__(self) -> bool:
        # `a < b < c` and `x and y` would silently drop half the condition.
        raise InvalidPipeline(
            "an expression has no truth value: use & for AND, | for OR, ~ for NOT, and"
            " parenthesize comparisons ((a > 1) & (b < 2))"
        )

    def alias(self, name: str) -> Expr:
        """This expression output as column ``name`` (``AS name``, same naming rules)."""
        return Expr(self.node, name_of(name))

    def _binary(self, operator: BinaryOperator, other: object, *, flip: bool = False) -> Expr:
        right = _node(other)
        left, right = (right, self.node) if flip else (self.node, right)
        return Expr(Binary(operator, left, right))

    def __gt__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.GREATER, other)

    def __ge__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.GREATER_OR_EQUAL, other)

    def __lt__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.LESS, other)

    def __le__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.LESS_OR_EQUAL, other)

    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        return self._binary(BinaryOperator.EQUAL, other)

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return self._binary(BinaryOperator.NOT_EQUAL, other)

    def __add__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.ADD, other)

    def __radd__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.ADD, other, flip=True)

    def __sub__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.SUBTRACT, other)

    def __rsub__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.SUBTRACT, other, flip=True)

    def __mul__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.MULTIPLY, other)

    def __rmul__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.MULTIPLY, other, flip=True)

    def __truediv__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.DIVIDE, other)

    def __rtruediv__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.DIVIDE, other, flip=True)

    def __mod__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.MODULO, other)

    def __and__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.AND, other)

    def __rand__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.AND, other, flip=True)

    def __or__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.OR, other)

    def __ror__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.OR, other, flip=True)

    def __invert__(self) -> Expr:
        """``NOT (self)``; for ``x NOT IN``, ``NOT BETWEEN``, ``NOT LIKE`` use
        :meth:`not_isin`, :meth:`not_between`, :meth:`not_like`."""
        return Expr(Unary(UnaryOperator.NOT, self.node))

    def __neg__(self) -> Expr:
        return Expr(Unary(UnaryOperator.NEGATE, self.node))

    def __getitem__(self, index: object) -> Expr:
        """``self[index]``: an array element (1-based) or a map value."""
        return Expr(Subscript(self.node, _node(index)))

    def field(self, name: str) -> Expr:
        """``self->name``: a field of a struct."""
        return Expr(Dereference(self.node, name_of(name)))

    def concat(self, other: object) -> Expr:
        """``self || other``."""
        return self._binary(BinaryOperator.CONCAT, other)

    def is_null(self) -> Expr:
        """``IS NULL``."""
        return Expr(IsNull(self.node))

    def is_not_null(self) -> Expr:
        """``IS NOT NULL``."""
        return Expr(IsNull(self.node, negated=True))

    def is_distinct_from(self, other: object) -> Expr:
        """``IS DISTINCT FROM``: null-safe inequality."""
        return self._binary(BinaryOperator.IS_DISTINCT_FROM, other)

    def like(self, pattern: str, escape: str | None = None) -> Expr:
        """``LIKE pattern [ESCAPE escape]``."""
        return Expr(Like(self.node, _node(pattern), escape))

    def not_like(self, pattern: str, escape: str | None = None) -> Expr:
        """``NOT LIKE pattern [ESCAPE escape]``."""
        return Expr(Like(self.node, _node(pattern), escape, negated=True))

    def isin(self, *values: object) -> Expr:
        """``IN (values...)``."""
        return Expr(InList(self.node, tuple(_node(item) for item in values)))

    def not_isin(self, *values: object) -> Expr:
        """``NOT IN (values...)``."""
        return Expr(InList(self.node, tuple(_node(item) for item in values), negated=True))

    def between(self, low: object, high: object) -> Expr:
        """``BETWEEN low AND high`` (both included)."""
        return Expr(Between(self.node, _node(low), _node(high)))

    def not_between(self, low: object, high: object) -> Expr:
        """``NOT BETWEEN low AND high``."""
        return Expr(Between(self.node, _node(low), _node(high), negated=True))

    def cast(self, kind: SqlType) -> Expr:
        """``CAST(self AS kind)``."""
        return Expr(Cast(self.node, kind))


def node_of(value: object) -> Expression:
    """The expression node of an :class:`Expr`, a column name (``"price"``) or a constant
    (used by builder steps that take columns by name)."""
    if isinstance(value, str):
        return Column(name_of(value))
    return _node(value)


__all__ = [
    "Expr",
    "avg",
    "call",
    "case",
    "col",
    "collect_list",
    "collect_set",
    "count",
    "count_distinct",
    "earliest_by_offset",
    "latest_by_offset",
    "lit",
    "max_",
    "min_",
    "name_of",
    "node_of",
    "rowtime",
    "sum_",
    "topk",
    "window_end",
    "window_start",
]
