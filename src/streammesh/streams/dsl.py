"""The Python front end: an immutable builder that compiles to the same plan as SQL.

Example:
    >>> from streammesh.streams.dsl import col, stream
    >>> pipeline = (
    ...     stream("TRADES")
    ...     .filter(col("PRICE") > 500)
    ...     .select(col("ID"), col("SYMBOL").alias("SYM"), (col("PRICE") * col("QTY")).alias("T"))
    ...     .to("BIG")
    ... )
    >>> plan = pipeline.compile(catalog)  # doctest: +SKIP

Column expressions build :mod:`streammesh.streams.expressions` nodes through operator
overloading (``> >= < <= == != + - * / %``, ``&`` for AND, ``|`` for OR, ``~`` for NOT), so
``col("PRICE") > 500`` is the node the SQL parser builds for ``PRICE > 500``. Each builder
step returns a new builder; :meth:`Sink.compile` hands the equivalent statement to the
planner, so a DSL pipeline and its SQL twin give equal plans.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from streammesh.streams.expressions import (
    Between,
    Binary,
    BinaryOperator,
    Call,
    Cast,
    Column,
    Expression,
    InList,
    IsNull,
    Like,
    Literal,
    Unary,
    UnaryOperator,
)
from streammesh.streams.functions.registry import FunctionRegistry
from streammesh.streams.plan.nodes import Sink as SinkNode
from streammesh.streams.planner import Catalog, plan_query
from streammesh.streams.sql.statements import (
    AliasedSource,
    Query,
    SelectAll,
    SelectExpression,
    SelectItem,
    SourceKind,
    SourceProperties,
)
from streammesh.streams.types import BIGINT, BOOLEAN, DOUBLE, INTEGER, STRING, SqlType, decimal

_INT32 = range(-(2**31), 2**31)


def lit(value: bool | int | float | Decimal | str | None) -> Expr:
    """A literal, typed as the SQL parser types it (an int beyond 32 bits is BIGINT, a
    ``Decimal`` DECIMAL of its digits, a float DOUBLE)."""
    kind: SqlType | None
    if value is None:
        kind = None
    elif isinstance(value, bool):
        kind = BOOLEAN
    elif isinstance(value, int):
        kind = INTEGER if value in _INT32 else BIGINT
    elif isinstance(value, float):
        kind = DOUBLE
    elif isinstance(value, Decimal):
        digits = value.as_tuple()
        exponent = digits.exponent if isinstance(digits.exponent, int) else 0
        scale = max(-exponent, 0)
        kind = decimal(max(len(digits.digits), scale), scale)
    else:
        kind = STRING
    return Expr(Literal(value, kind))


def _node(value: Expr | bool | int | float | Decimal | str | None) -> Expression:
    return value.node if isinstance(value, Expr) else lit(value).node


def col(name: str, source: str | None = None) -> Expr:
    """The column ``name`` (as stored: ``PRICE`` for SQL's unquoted ``price``), optionally
    qualified by its source's name or alias."""
    return Expr(Column(name, source))


def call(name: str, *arguments: Expr | bool | int | float | Decimal | str | None) -> Expr:
    """A function call, built-in or user-defined: ``call("UCASE", col("NAME"))``."""
    return Expr(Call(name.upper(), tuple(_node(item) for item in arguments)))


class Expr:
    """A column expression; operators build new expressions, :meth:`alias` names it."""

    __slots__ = ("name", "node")
    __hash__ = None  # type: ignore[assignment]  # == builds an expression

    def __init__(self, node: Expression, name: str | None = None) -> None:
        self.node = node
        self.name = name

    def alias(self, name: str) -> Expr:
        """This expression output as column ``name`` (``AS name``)."""
        return Expr(self.node, name)

    def _binary(self, operator: BinaryOperator, other: object, *, flip: bool = False) -> Expr:
        right = _node(other)  # type: ignore[arg-type]
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

    def __mod__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.MODULO, other)

    def __and__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.AND, other)

    def __or__(self, other: object) -> Expr:
        return self._binary(BinaryOperator.OR, other)

    def __invert__(self) -> Expr:
        return Expr(Unary(UnaryOperator.NOT, self.node))

    def __neg__(self) -> Expr:
        return Expr(Unary(UnaryOperator.NEGATE, self.node))

    def concat(self, other: object) -> Expr:
        """``self || other``."""
        return self._binary(BinaryOperator.CONCAT, other)

    def is_null(self) -> Expr:
        """``IS NULL``."""
        return Expr(IsNull(self.node))

    def is_not_null(self) -> Expr:
        """``IS NOT NULL``."""
        return Expr(IsNull(self.node, negated=True))

    def like(self, pattern: str, escape: str | None = None) -> Expr:
        """``LIKE pattern``."""
        return Expr(Like(self.node, _node(pattern), escape))

    def isin(self, *values: Expr | bool | int | float | Decimal | str | None) -> Expr:
        """``IN (values...)``."""
        return Expr(InList(self.node, tuple(_node(item) for item in values)))

    def between(
        self,
        low: Expr | bool | int | float | Decimal | str | None,
        high: Expr | bool | int | float | Decimal | str | None,
    ) -> Expr:
        """``BETWEEN low AND high``."""
        return Expr(Between(self.node, _node(low), _node(high)))

    def cast(self, kind: SqlType) -> Expr:
        """``CAST(self AS kind)``."""
        return Expr(Cast(self.node, kind))


@dataclass(frozen=True, slots=True)
class Stream:
    """A query being built: its source, filters, select list and partitioning."""

    source: str
    alias: str | None = None
    kind: SourceKind = SourceKind.STREAM
    """What the query produces: a stream (``stream(...)``) or a table (``table(...)``)."""
    where: Expression | None = None
    items: tuple[SelectItem, ...] = ()
    partition: tuple[Expression, ...] = ()

    def filter(self, condition: Expr) -> Stream:
        """Keep the rows for which ``condition`` is true (several filters are ANDed)."""
        node = condition.node
        where = node if self.where is None else Binary(BinaryOperator.AND, self.where, node)
        return replace(self, where=where)

    def select(self, *items: Expr | str) -> Stream:
        """The output columns: expressions (named with :meth:`Expr.alias`), column names, or
        ``"*"`` for all of them."""
        built: list[SelectItem] = []
        for item in items:
            if isinstance(item, str):
                built.append(SelectAll() if item == "*" else SelectExpression(Column(item)))
            else:
                built.append(SelectExpression(item.node, item.name))
        return replace(self, items=tuple(built))

    def partition_by(self, *expressions: Expr | str | None) -> Stream:
        """``PARTITION BY``: the new key (``None``: no key)."""
        nodes = tuple(
            Column(item) if isinstance(item, str) else _node(item) for item in expressions
        )
        return replace(self, partition=nodes)

    def query(self) -> Query:
        """The ``SELECT`` this builder stands for (``SELECT *`` when nothing was selected)."""
        return Query(
            select=self.items or (SelectAll(),),
            source=AliasedSource(self.source, self.alias),
            where=self.where,
            partition_by=self.partition,
        )

    def to(
        self,
        name: str,
        *,
        topic: str | None = None,
        value_format: str | None = None,
        key_format: str | None = None,
        partitions: int | None = None,
    ) -> Sink:
        """Write the rows to a new stream or table ``name`` (``CREATE STREAM|TABLE name AS
        SELECT``)."""
        properties = SourceProperties(
            kafka_topic=topic,
            value_format=value_format.upper() if value_format else None,
            key_format=key_format.upper() if key_format else None,
            partitions=partitions,
        )
        return Sink(self, name, properties)


@dataclass(frozen=True, slots=True)
class Sink:
    """A finished pipeline: the query and the stream it creates."""

    stream: Stream
    name: str
    properties: SourceProperties = field(default_factory=SourceProperties)

    @property
    def kind(self) -> SourceKind:
        """Stream or table, as the pipeline started."""
        return self.stream.kind

    def compile(self, catalog: Catalog, *, registry: FunctionRegistry | None = None) -> SinkNode:
        """The plan, through the same planner as ``CREATE STREAM|TABLE name AS SELECT ...``.

        Raises:
            PlanError, ExpressionError: as for the SQL statement.
        """
        return plan_query(
            self.stream.query(),
            sink=self.name,
            kind=self.stream.kind,
            catalog=catalog,
            properties=self.properties,
            registry=registry,
        )


def stream(name: str, alias: str | None = None) -> Stream:
    """Start a pipeline reading the stream ``name`` (a stream of the catalog)."""
    return Stream(name, alias)


def table(name: str, alias: str | None = None) -> Stream:
    """Start a pipeline reading the table ``name``; it writes a table (``CREATE TABLE AS``)."""
    return Stream(name, alias, SourceKind.TABLE)


__all__ = ["Expr", "Sink", "Stream", "call", "col", "lit", "stream", "table"]
