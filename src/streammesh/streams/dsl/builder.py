"""The DSL's builders: a pipeline is an immutable value, each step returns a new one.

A :class:`Stream` holds the clauses of one ksqlDB query (``FROM``, ``JOIN``, ``WINDOW``,
``WHERE``, ``GROUP BY``, ``PARTITION BY``, ``HAVING``, ``EMIT``); :meth:`Stream.to` and
:meth:`Stream.to_product` finish it into a :class:`Sink`, whose :meth:`Sink.statement` is the
``CREATE STREAM|TABLE ... AS SELECT`` the SQL parser builds for the same pipeline written in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Literal

from streammesh.streams.dsl.columns import Expr, name_of, node_of
from streammesh.streams.dsl.errors import InvalidPipeline
from streammesh.streams.expressions import Binary, BinaryOperator, Expression
from streammesh.streams.functions.registry import FunctionRegistry
from streammesh.streams.plan.nodes import Sink as SinkNode
from streammesh.streams.planner import Catalog, plan_query
from streammesh.streams.sql.expression_grammar import UNITS, unit_milliseconds
from streammesh.streams.sql.statements import (
    AliasedSource,
    CreateAsSelect,
    EmitMode,
    HoppingWindow,
    Join,
    JoinKind,
    JoinWindow,
    Query,
    SelectAll,
    SelectExpression,
    SelectItem,
    SessionWindow,
    SourceKind,
    SourceProperties,
    TumblingWindow,
    Window,
)

Duration = timedelta | str
"""A duration: a ``timedelta`` (whole milliseconds) or ksqlDB's words (``"15 minutes"``)."""

JoinHow = Literal["inner", "left", "right", "full"]
"""The kind of join, as ``[INNER] JOIN``, ``LEFT JOIN``, ``RIGHT JOIN``, ``FULL OUTER JOIN``."""

_DURATION = re.compile(r"\s*(\d+)\s*([A-Za-z]+)\s*")


def duration_ms(value: Duration, what: str) -> int:
    """``value`` in milliseconds.

    Raises:
        InvalidPipeline: not a positive whole number of milliseconds, or words that are not
            ``<number> <unit>`` with ksqlDB's units; ``what`` names the argument.
    """
    if isinstance(value, timedelta):
        milliseconds, rest = divmod(value, timedelta(milliseconds=1))
        if rest or milliseconds < 0:
            raise InvalidPipeline(f"{what} {value} is not a whole, non-negative millisecond count")
        return int(milliseconds)
    if isinstance(value, str):
        found = _DURATION.fullmatch(value)
        unit = found.group(2).upper() if found else ""
        if found and unit in UNITS:
            return int(found.group(1)) * unit_milliseconds(unit)
    raise InvalidPipeline(
        f"{what} {value!r} is not a duration: give a timedelta or '<number> <unit>' with"
        " MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS (e.g. '15 minutes')"
    )


def _optional_ms(value: Duration | None, what: str) -> int | None:
    return None if value is None else duration_ms(value, what)


def tumbling(
    size: Duration, *, retention: Duration | None = None, grace: Duration | None = None
) -> TumblingWindow:
    """``WINDOW TUMBLING (SIZE size[, RETENTION retention][, GRACE PERIOD grace])``."""
    return TumblingWindow(
        duration_ms(size, "size"),
        _optional_ms(retention, "retention"),
        _optional_ms(grace, "grace"),
    )


def hopping(
    size: Duration,
    advance: Duration,
    *,
    retention: Duration | None = None,
    grace: Duration | None = None,
) -> HoppingWindow:
    """``WINDOW HOPPING (SIZE size, ADVANCE BY advance[, RETENTION ...][, GRACE PERIOD ...])``."""
    return HoppingWindow(
        duration_ms(size, "size"),
        duration_ms(advance, "advance"),
        _optional_ms(retention, "retention"),
        _optional_ms(grace, "grace"),
    )


def session(
    gap: Duration, *, retention: Duration | None = None, grace: Duration | None = None
) -> SessionWindow:
    """``WINDOW SESSION (gap[, RETENTION ...][, GRACE PERIOD ...])``: ``gap`` of inactivity
    closes a session."""
    return SessionWindow(
        duration_ms(gap, "gap"), _optional_ms(retention, "retention"), _optional_ms(grace, "grace")
    )


def _source(name: str, alias: str | None) -> AliasedSource:
    # A dotted name is a data product, kept as written (product names are the mesh's, not SQL
    # identifiers), as the SQL parser reads `FROM execution.stocktrades`.
    is_product = "." in name and not name.startswith("`")
    return AliasedSource(
        name if is_product else name_of(name),
        name_of(alias) if alias is not None else None,
        is_product,
    )


@dataclass(frozen=True, slots=True)
class Stream:
    """A query being built. Its steps mirror ksqlDB's clauses; the order they are called in
    does not matter except that :meth:`group_by` ... ``aggregate`` ends the row-wise part.

    Attributes:
        source: ``FROM``: the stream, table or data product read.
        kind: Whether the source is read as a stream (``stream(...)``) or a table
            (``table(...)``); with the joins and ``GROUP BY``, it decides whether the pipeline
            writes a stream or a table, as in ksqlDB.
    """

    source: AliasedSource
    kind: SourceKind = SourceKind.STREAM
    joins: tuple[Join, ...] = ()
    joined_kinds: tuple[SourceKind, ...] = ()
    windowing: Window | None = None
    where: Expression | None = None
    items: tuple[SelectItem, ...] = ()
    group: tuple[Expression, ...] = ()
    partition: tuple[Expression, ...] = ()
    having_condition: Expression | None = None
    emit: EmitMode | None = None
    aggregated: bool = False

    @property
    def result_kind(self) -> SourceKind:
        """What the pipeline writes: a table after ``GROUP BY`` or over tables only, else a
        stream."""
        if self.group or (
            self.kind is SourceKind.TABLE
            and all(kind is SourceKind.TABLE for kind in self.joined_kinds)
        ):
            return SourceKind.TABLE
        return SourceKind.STREAM

    def _clauses(self) -> bool:
        return bool(
            self.joins
            or self.windowing
            or self.where
            or self.items
            or self.group
            or self.partition
            or self.having_condition
            or self.emit
        )

    def _row_step(self, step: str) -> None:
        if self.aggregated:
            raise InvalidPipeline(
                f"{step} after aggregate(...): it would apply before the aggregation in SQL;"
                " call it before group_by(...), or use having(...) to filter the groups"
            )

    def alias(self, name: str) -> Stream:
        """``FROM source AS name``: the qualifier of its columns (``col("userid", "t")``)."""
        return replace(self, source=replace(self.source, alias=name_of(name)))

    def filter(self, condition: Expr) -> Stream:
        """``WHERE``: keep the rows for which ``condition`` is true (filters are ANDed)."""
        self._row_step("filter(...)")
        node = condition.node
        where = node if self.where is None else Binary(BinaryOperator.AND, self.where, node)
        return replace(self, where=where)

    def select(self, *items: Expr | str) -> Stream:
        """The output columns: expressions (named with :meth:`Expr.alias`), column names, or
        ``"*"`` for all of them."""
        self._row_step("select(...)")
        return replace(self, items=_select_items(items))

    def partition_by(self, *expressions: Expr | str | None) -> Stream:
        """``PARTITION BY``: the new key (``None``: no key)."""
        self._row_step("partition_by(...)")
        return replace(self, partition=tuple(node_of(item) for item in expressions))

    def window(self, window: Window) -> Stream:
        """``WINDOW``: :func:`tumbling`, :func:`hopping` or :func:`session`, for the
        aggregation that follows."""
        return replace(self, windowing=window)

    def group_by(self, *columns: Expr | str) -> Grouped:
        """``GROUP BY columns``: finish with :meth:`Grouped.aggregate`."""
        self._row_step("group_by(...)")
        if not columns:
            raise InvalidPipeline("group_by(...) needs at least one column or expression")
        return Grouped(replace(self, group=tuple(node_of(item) for item in columns)))

    def having(self, condition: Expr) -> Stream:
        """``HAVING``: keep the groups for which ``condition`` is true."""
        if not self.group:
            raise InvalidPipeline("having(...) filters groups: call group_by(...) first")
        node = condition.node
        having = (
            node
            if self.having_condition is None
            else Binary(BinaryOperator.AND, self.having_condition, node)
        )
        return replace(self, having_condition=having)

    def emit_final(self) -> Stream:
        """``EMIT FINAL``: a window's result once, when it closes (after its grace period)."""
        return replace(self, emit=EmitMode.FINAL)

    def emit_changes(self) -> Stream:
        """``EMIT CHANGES``: every update (the default of a persistent query)."""
        return replace(self, emit=EmitMode.CHANGES)

    def join(
        self,
        other: Stream,
        on: Expr,
        *,
        how: JoinHow = "inner",
        within: Duration | tuple[Duration, Duration] | None = None,
        grace: Duration | None = None,
    ) -> Stream:
        """``JOIN other [WITHIN ...] ON on``: a stream-stream join (``within`` required), a
        stream-table join or a table-table join (a foreign-key join when ``on`` is not the
        right table's key).

        Args:
            other: What to join with: ``stream(...)`` or ``table(...)`` without clauses (an
                alias at most).
            on: The join condition.
            how: ``inner``, ``left``, ``right`` or ``full``.
            within: A stream-stream join's window: one duration (before and after) or
                ``(before, after)``.
            grace: The window's grace period.

        Raises:
            InvalidPipeline: ``other`` has clauses, ``how`` is unknown, or ``grace`` without
                ``within``.
        """
        self._row_step("join(...)")
        if other._clauses():
            raise InvalidPipeline(
                f"join(...) takes a source without clauses (ksqlDB has no sub-queries):"
                f" write the pipeline over {other.source.name} to a stream or table first and"
                " join that"
            )
        try:
            kind = JoinKind(str(how).upper())
        except ValueError:
            raise InvalidPipeline(
                f"join how={how!r}: give 'inner', 'left', 'right' or 'full'"
            ) from None
        window: JoinWindow | None = None
        if within is not None:
            before, after = within if isinstance(within, tuple) else (within, within)
            window = JoinWindow(
                duration_ms(before, "within"),
                duration_ms(after, "within"),
                _optional_ms(grace, "grace"),
            )
        elif grace is not None:
            raise InvalidPipeline("join grace=... needs within=... (a stream-stream join window)")
        return replace(
            self,
            joins=(*self.joins, Join(kind, other.source, on.node, window)),
            joined_kinds=(*self.joined_kinds, other.kind),
        )

    def query(self) -> Query:
        """The ``SELECT`` this builder stands for (``SELECT *`` when nothing was selected)."""
        return Query(
            select=self.items or (SelectAll(),),
            source=self.source,
            joins=self.joins,
            window=self.windowing,
            where=self.where,
            group_by=self.group,
            partition_by=self.partition,
            having=self.having_condition,
            emit=self.emit,
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
        """Write the rows to a new stream or table ``name`` (``CREATE STREAM|TABLE name WITH
        (...) AS SELECT``)."""
        properties = SourceProperties(
            kafka_topic=topic,
            value_format=value_format.upper() if value_format else None,
            key_format=key_format.upper() if key_format else None,
            partitions=partitions,
        )
        return Sink(self, name_of(name), properties)

    def to_product(
        self, reference: str, *, name: str | None = None, partitions: int | None = None
    ) -> Sink:
        """Publish the rows as the data product ``reference`` (``analytics.trending_stocks``):
        ``CREATE STREAM|TABLE name WITH (product='reference') AS SELECT``; ``name`` defaults
        to the product's last part (``TRENDING_STOCKS``)."""
        if name is None:
            name = re.sub(r"\W", "_", reference.rsplit(".", 1)[-1])
        properties = SourceProperties(product=reference, partitions=partitions)
        return Sink(self, name_of(name), properties)


@dataclass(frozen=True, slots=True)
class Grouped:
    """A pipeline after :meth:`Stream.group_by`, waiting for its aggregates."""

    stream: Stream

    def aggregate(self, *items: Expr | str) -> Stream:
        """The output columns of the aggregation: the grouping columns (each exactly once, as
        ksqlDB requires), aggregate calls (``count()``, ``sum_("qty")``...),
        ``window_start()``/``window_end()``."""
        if not items:
            raise InvalidPipeline("aggregate(...) needs the output columns")
        return replace(self.stream, items=_select_items(items), aggregated=True)


def _select_items(items: Sequence[Expr | str]) -> tuple[SelectItem, ...]:
    built: list[SelectItem] = []
    for item in items:
        if isinstance(item, str):
            built.append(SelectAll() if item == "*" else SelectExpression(node_of(item)))
        elif isinstance(item, Expr):
            built.append(SelectExpression(item.node, item.name))
        else:
            raise InvalidPipeline(f"{item!r} is not a column: use col(...) or a column name")
    return tuple(built)


@dataclass(frozen=True, slots=True)
class Sink:
    """A finished pipeline: the query and the stream or table (or data product) it creates."""

    stream: Stream
    name: str
    properties: SourceProperties = field(default_factory=SourceProperties)

    @property
    def kind(self) -> SourceKind:
        """Stream or table, as ksqlDB decides from the sources and ``GROUP BY``."""
        return self.stream.result_kind

    def statement(self) -> CreateAsSelect:
        """The ``CREATE STREAM|TABLE ... AS SELECT`` the SQL parser builds for this pipeline."""
        return CreateAsSelect(self.kind, self.name, self.stream.query(), self.properties)

    def sql(self) -> str:
        """The statement as ksqlDB SQL text (with its ``;``); it parses back to
        :meth:`statement`."""
        from streammesh.streams.dsl.render import statement_sql

        return statement_sql(self.statement()) + ";"

    def compile(self, catalog: Catalog, *, registry: FunctionRegistry | None = None) -> SinkNode:
        """The plan, through the same planner as ``CREATE STREAM|TABLE name AS SELECT ...``.

        Raises:
            PlanError, ExpressionError: as for the SQL statement.
        """
        return plan_query(
            self.stream.query(),
            sink=self.name,
            kind=self.kind,
            catalog=catalog,
            properties=self.properties,
            registry=registry,
        )


def stream(name: str, alias: str | None = None) -> Stream:
    """Start a pipeline reading the stream ``name``: a stream of the script (``"trades"`` is
    ``TRADES``) or a data product (``"execution.stocktrades"``, kept as written)."""
    return Stream(_source(name, alias))


def table(name: str, alias: str | None = None) -> Stream:
    """Start a pipeline reading the table ``name`` (or a data product of state events)."""
    return Stream(_source(name, alias), SourceKind.TABLE)


__all__ = [
    "Duration",
    "Grouped",
    "JoinHow",
    "Sink",
    "Stream",
    "duration_ms",
    "hopping",
    "session",
    "stream",
    "table",
    "tumbling",
]
