"""Statements to logical plans, with ksqlDB's rules on names, keys and types.

:func:`plan_statements` walks a script in order, keeping a :class:`Catalog` of the streams and
tables it creates (``CREATE STREAM|TABLE``), and plans each persistent query (``CREATE ... AS
SELECT``, ``INSERT INTO``) into a :class:`~streammesh.streams.plan.Sink` rooted plan. Every
expression is typed here (an error names the expression, both types and where it is), so a
plan that comes out of the planner runs without type errors.

ksqlDB's rules followed here:

- an unaliased select expression is named after its column (``PRICE``), its struct field
  (``ADDRESS->CITY`` is ``CITY``), else ``KSQL_COL_<n>``, ``n`` counting up from one past the
  largest ``KSQL_COL_<n>`` of the input;
- the key is never copied implicitly: a persistent query's projection must name each key
  column (or the ``PARTITION BY`` / ``GROUP BY`` expression) exactly once, possibly aliased;
- ``PARTITION BY`` makes its expressions the key (``PARTITION BY NULL``: no key);
- the pseudo-columns ``ROWTIME``, ``ROWPARTITION`` and ``ROWOFFSET`` can be read but must be
  aliased to be output.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from streammesh.streams.evaluation.compiler import compile_aggregate, compile_predicate, type_of
from streammesh.streams.evaluation.schema import Schema
from streammesh.streams.evaluation.text import text_of
from streammesh.streams.expressions import (
    Binary,
    BinaryOperator,
    Call,
    Column,
    Dereference,
    Expression,
    Literal,
    Position,
)
from streammesh.streams.formats.base import Column as FormatColumn
from streammesh.streams.formats.base import FormatName
from streammesh.streams.formats.errors import UnsupportedFormat
from streammesh.streams.formats.factory import serde_for
from streammesh.streams.functions.registry import FunctionRegistry, default_registry
from streammesh.streams.plan.errors import (
    DuplicateKey,
    InvalidQuery,
    KeyNotProjected,
    SourceExists,
    UnknownSource,
)
from streammesh.streams.plan.nodes import (
    PSEUDO_COLUMNS,
    Aggregate,
    Filter,
    Formats,
    Join,
    PlanColumn,
    PlanNode,
    Project,
    Projection,
    Rekey,
    Role,
    RowSchema,
    Sink,
    Source,
)
from streammesh.streams.sql.errors import UnsupportedSql
from streammesh.streams.sql.statements import (
    ColumnRole,
    CreateAsSelect,
    CreateSource,
    Drop,
    EmitMode,
    InsertInto,
    InsertValues,
    JoinKind,
    Query,
    SelectAll,
    SelectExpression,
    SelectStructAll,
    SourceKind,
    SourceProperties,
    Statement,
)
from streammesh.streams.sql.statements import (
    Join as SqlJoin,
)
from streammesh.streams.types import BIGINT, TIMESTAMP, SqlType, StructType

_GENERATED = re.compile(r"KSQL_COL_(\d+)")
_RESERVED = frozenset({"ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND"})


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A stream or table the script created: its topic, columns and formats."""

    name: str
    kind: SourceKind
    topic: str
    key_columns: tuple[FormatColumn, ...]
    value_columns: tuple[FormatColumn, ...]
    formats: Formats
    timestamp_column: str | None = None
    partitions: int | None = None
    """The topic's partition count when the statement gives it."""


@dataclass(frozen=True, slots=True)
class Catalog:
    """The streams and tables known so far, by name (immutable: changes give a new one)."""

    entries: tuple[CatalogEntry, ...] = ()

    def get(self, name: str) -> CatalogEntry | None:
        """The entry called ``name``, or ``None``."""
        return next((entry for entry in self.entries if entry.name == name), None)

    def names(self) -> tuple[str, ...]:
        """Every name, in creation order."""
        return tuple(entry.name for entry in self.entries)

    def with_entry(self, entry: CatalogEntry) -> Catalog:
        """This catalog with ``entry`` added (replacing one of the same name)."""
        return Catalog((*self.without(entry.name).entries, entry))

    def without(self, name: str) -> Catalog:
        """This catalog without the entry called ``name``."""
        return Catalog(tuple(entry for entry in self.entries if entry.name != name))


class ProductSources(Protocol):
    """Where the planner finds a data product named in ``FROM`` (``execution.stocktrades``):
    the product catalog of :mod:`streammesh.streams.products` reads the control plane and the
    registry; without one, a product in ``FROM`` is refused as unsupported."""

    def entry(self, name: str, position: Position | None, text: str) -> CatalogEntry:
        """The product ``name`` (``domain.product`` or ``domain.product.vN``) as a source.

        Raises:
            PlanError: no such product (the nearest name suggested), or its schema has no
                SQL columns.
        """
        ...


@dataclass(frozen=True, slots=True)
class PersistentQuery:
    """A query that runs until stopped, writing its sink: ksqlDB's id (``CSAS_OUTPUT_0``),
    the plan and the statement's text."""

    id: str
    plan: Sink
    text: str = dataclasses.field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Script:
    """What a script declares: the catalog at its end and its persistent queries, in order."""

    catalog: Catalog
    queries: tuple[PersistentQuery, ...]


def plan_statements(
    statements: Sequence[Statement],
    *,
    text: str = "",
    catalog: Catalog | None = None,
    registry: FunctionRegistry | None = None,
    products: ProductSources | None = None,
) -> Script:
    """Plan a script: create its streams and tables, plan its persistent queries.

    Args:
        statements: The statements, as :func:`~streammesh.streams.sql.parse_statements` gives.
        text: The script's text, so that errors can show the line and a caret.
        catalog: Streams and tables known before the script (default: none).
        registry: The functions expressions may call (default: the built-ins and plugins).
        products: Where data products named in ``FROM`` are found (default: nowhere, and a
            product in ``FROM`` is refused).

    Raises:
        PlanError: a statement that cannot be planned (unknown source, missing key...).
        ExpressionError: an expression that does not type (names it, the types, where).
        UnsupportedSql: a statement streammesh does not run yet (a transient query,
            ``INSERT ... VALUES``, a data product in ``FROM`` without ``products``).
    """
    planner = _ScriptPlanner(catalog or Catalog(), registry or default_registry(), text, products)
    for statement in statements:
        planner.statement(statement)
    return Script(planner.catalog, tuple(planner.queries))


def plan_query(
    query: Query,
    *,
    sink: str,
    kind: SourceKind,
    catalog: Catalog,
    properties: SourceProperties | None = None,
    registry: FunctionRegistry | None = None,
    text: str = "",
) -> Sink:
    """Plan one persistent query writing a new stream or table ``sink``
    (``CREATE kind sink WITH (properties) AS query``)."""
    planner = _ScriptPlanner(catalog, registry or default_registry(), text)
    return planner.create_as(query, sink, kind, properties or SourceProperties(), None)


class _ScriptPlanner:
    def __init__(
        self,
        catalog: Catalog,
        registry: FunctionRegistry,
        text: str,
        products: ProductSources | None = None,
    ) -> None:
        self.catalog = catalog
        self.registry = registry
        self.text = text
        self.products = products
        self.queries: list[PersistentQuery] = []

    def fail(self, detail: str, position: Position | None) -> InvalidQuery:
        return InvalidQuery(detail, position, self.text)

    def unsupported(self, construct: str, position: Position | None) -> UnsupportedSql:
        where = position or Position(1, 1)
        return UnsupportedSql(construct, line=where.line, column=where.column, text=self.text)

    def statement(self, statement: Statement) -> None:
        if isinstance(statement, CreateSource):
            self.create_source(statement)
        elif isinstance(statement, CreateAsSelect):
            self.create_as_select(statement)
        elif isinstance(statement, InsertInto):
            self.insert_into(statement)
        elif isinstance(statement, Drop):
            self.drop(statement)
        elif isinstance(statement, InsertValues):
            raise self.unsupported("INSERT INTO ... VALUES", statement.position)
        else:
            raise self.unsupported(
                "a query outside CREATE ... AS SELECT or INSERT INTO", statement.position
            )

    # -- CREATE STREAM|TABLE -------------------------------------------------------------

    def create_source(self, statement: CreateSource) -> None:
        existing = self.catalog.get(statement.name)
        if existing is not None and not statement.or_replace:
            if statement.if_not_exists:
                return
            raise SourceExists(statement.name, existing.kind.value, statement.position, self.text)
        properties = statement.properties
        if properties.kafka_topic is None:
            raise self.fail(
                'Missing required property "KAFKA_TOPIC" which has no default value.',
                statement.position,
            )
        if not statement.columns:
            raise self.unsupported(
                "a CREATE without columns (columns from the schema registry)", statement.position
            )
        keys: list[FormatColumn] = []
        values: list[FormatColumn] = []
        for column in statement.columns:
            if column.role in (ColumnRole.HEADERS, ColumnRole.HEADER):
                raise self.unsupported("HEADER columns", column.position)
            if column.role is ColumnRole.KEY and statement.kind is SourceKind.TABLE:
                raise self.fail(
                    f"Column `{column.name}` is a 'KEY' column: please use 'PRIMARY KEY' for"
                    " tables.",
                    column.position,
                )
            if column.role is ColumnRole.PRIMARY_KEY and statement.kind is SourceKind.STREAM:
                raise self.fail(
                    f"Column `{column.name}` is a 'PRIMARY KEY' column: please use 'KEY' for"
                    " streams.",
                    column.position,
                )
            if any(item.name == column.name for item in (*keys, *values)):
                raise self.fail(f"Duplicate column names: {column.name}", column.position)
            target = values if column.role is ColumnRole.VALUE else keys
            target.append(FormatColumn(column.name, column.type))
        if statement.kind is SourceKind.TABLE and not keys:
            raise self.fail(
                "Tables require a PRIMARY KEY. Please define the PRIMARY KEY.",
                statement.position,
            )
        formats = self.formats(properties, None, statement.position, required=True)
        self.check_formats(formats, keys, values, statement.position)
        timestamp = self.timestamp_column(
            properties,
            {column.name: column.type for column in (*keys, *values)},
            statement.position,
        )
        entry = CatalogEntry(
            statement.name,
            statement.kind,
            properties.kafka_topic,
            tuple(keys),
            tuple(values),
            formats,
            timestamp,
            properties.partitions,
        )
        self.catalog = self.catalog.with_entry(entry)

    def formats(
        self,
        properties: SourceProperties,
        inherited: Formats | None,
        position: Position | None,
        *,
        required: bool = False,
    ) -> Formats:
        base = inherited or Formats()
        value = properties.value_format or properties.format
        key = properties.key_format or properties.format
        if value is None and required:
            raise self.fail(
                'Missing required property "VALUE_FORMAT" which has no default value.', position
            )
        return Formats(
            key_format=self.format_name(key, position) if key else base.key_format,
            value_format=self.format_name(value, position) if value else base.value_format,
            key_delimiter=properties.key_delimiter or (base.key_delimiter if not key else None),
            value_delimiter=properties.value_delimiter
            or (base.value_delimiter if not value else None),
            wrap_single_value=properties.wrap_single_value
            if properties.wrap_single_value is not None
            else (base.wrap_single_value if not value else None),
        )

    def check_formats(
        self,
        formats: Formats,
        keys: Sequence[FormatColumn],
        values: Sequence[FormatColumn],
        position: Position | None,
    ) -> None:
        """Refuse formats that cannot carry the columns (KAFKA with two key columns, an ARRAY
        in DELIMITED...) now rather than when the query runs; registry formats are checked
        when their schemas are registered."""
        try:
            if keys and not formats.key_format.uses_registry:
                serde_for(formats.key_format, keys, part="key", options=formats.key_options())
            if not formats.value_format.uses_registry:
                serde_for(
                    formats.value_format, values, part="value", options=formats.value_options()
                )
        except UnsupportedFormat as exc:
            raise self.fail(str(exc), position) from None

    def format_name(self, name: str, position: Position | None) -> FormatName:
        try:
            return FormatName(name.upper())
        except ValueError:
            known = ", ".join(item.value for item in FormatName)
            raise self.fail(f"Unknown format: {name} (known: {known})", position) from None

    def timestamp_column(
        self,
        properties: SourceProperties,
        columns: dict[str, SqlType],
        position: Position | None,
    ) -> str | None:
        name = properties.timestamp
        if name is None:
            return None
        kind = columns.get(name)
        if kind is None:
            raise self.fail(
                f"The TIMESTAMP column set in the WITH clause does not exist in the schema:"
                f" '{name}'",
                position,
            )
        if properties.timestamp_format is not None:
            raise self.unsupported("TIMESTAMP_FORMAT", position)
        if kind not in (BIGINT, TIMESTAMP):
            raise self.fail(
                f"Timestamp column, `{name}`, should be LONG(INT64), TIMESTAMP, or a String with"
                " a timestamp_format specified.",
                position,
            )
        return name

    # -- DROP ----------------------------------------------------------------------------

    def drop(self, statement: Drop) -> None:
        entry = self.catalog.get(statement.name)
        if entry is None:
            if statement.if_exists:
                return
            raise UnknownSource(statement.name, self.catalog.names(), statement.position, self.text)
        self.catalog = self.catalog.without(statement.name)

    # -- persistent queries --------------------------------------------------------------

    def create_as_select(self, statement: CreateAsSelect) -> None:
        existing = self.catalog.get(statement.name)
        if existing is not None and not statement.or_replace:
            if statement.if_not_exists:
                return
            raise SourceExists(statement.name, existing.kind.value, statement.position, self.text)
        sink = self.create_as(
            statement.query, statement.name, statement.kind, statement.properties, statement
        )
        prefix = "CSAS" if statement.kind is SourceKind.STREAM else "CTAS"
        query_id = statement.properties.query_id or f"{prefix}_{statement.name}_{len(self.queries)}"
        replaced = next(
            (
                index
                for index, query in enumerate(self.queries)
                if query.plan.name == statement.name and query.id.startswith(("CSAS_", "CTAS_"))
            ),
            None,
        )
        if existing is not None and replaced is not None:
            # CREATE OR REPLACE: the query keeps its id and its place, with the new plan.
            old = self.queries[replaced]
            self.queries[replaced] = PersistentQuery(old.id, sink, statement.text)
        else:
            self.queries.append(PersistentQuery(query_id, sink, statement.text))
        keys = tuple(FormatColumn(column.name, column.type) for column in sink.schema.keys)
        values = tuple(FormatColumn(column.name, column.type) for column in sink.schema.values)
        partitions = sink.partitions
        self.catalog = self.catalog.with_entry(
            CatalogEntry(
                sink.name,
                sink.kind,
                sink.topic,
                keys,
                values,
                sink.formats,
                sink.timestamp_column,
                partitions,
            )
        )

    def create_as(
        self,
        query: Query,
        name: str,
        kind: SourceKind,
        properties: SourceProperties,
        statement: CreateAsSelect | None,
    ) -> Sink:
        planned = _QueryPlanner(self, query, name).plan()
        produced = _result_kind(planned)
        if produced is not kind:
            wanted = "TABLE" if produced is SourceKind.TABLE else "STREAM"
            raise self.fail(
                f"Invalid result type. Your SELECT query produces a {wanted}. Please use CREATE"
                f" {wanted} AS SELECT statement instead.",
                statement.position if statement else query.position,
            )
        source = self.catalog.get(query.source.name)
        inherited = source.formats if source else None
        formats = self.formats(properties, inherited, query.position)
        if not planned.schema.keys and formats.key_format is not FormatName.NONE:
            formats = dataclasses.replace(formats, key_format=FormatName.NONE, key_delimiter=None)
        self.check_formats(
            formats,
            [FormatColumn(c.name, c.type) for c in planned.schema.keys],
            [FormatColumn(c.name, c.type) for c in planned.schema.values],
            statement.position if statement else query.position,
        )
        columns = {column.name: column.type for column in planned.schema.columns}
        timestamp = self.timestamp_column(properties, columns, query.position)
        return Sink(
            planned,
            name,
            kind,
            properties.kafka_topic or name,
            formats,
            properties.partitions,
            timestamp,
            planned.schema,
        )

    def insert_into(self, statement: InsertInto) -> None:
        target = self.catalog.get(statement.target)
        if target is None:
            raise UnknownSource(
                statement.target, self.catalog.names(), statement.position, self.text
            )
        if target.kind is not SourceKind.STREAM:
            raise self.fail(
                f"INSERT INTO can only be used to insert into a stream. {target.name} is a table.",
                statement.position,
            )
        planned = _QueryPlanner(self, statement.query, target.name).plan()
        if _result_kind(planned) is not SourceKind.STREAM:
            raise self.fail(
                "INSERT INTO can only be used with a query that produces a stream.",
                statement.position,
            )
        expected = [(c.name, c.type) for c in target.key_columns] + [
            (c.name, c.type) for c in target.value_columns
        ]
        got = [(c.name, c.type) for c in planned.schema.keys] + [
            (c.name, c.type) for c in planned.schema.values
        ]
        if expected != got:
            raise self.fail(
                f"Incompatible schema between results and sink. Result schema is {_text(got)},"
                f" but the sink schema is {_text(expected)}.",
                statement.position,
            )
        sink = Sink(
            planned,
            target.name,
            target.kind,
            target.topic,
            target.formats,
            target.partitions,
            target.timestamp_column,
            planned.schema,
        )
        query_id = statement.properties.query_id or f"INSERTQUERY_{len(self.queries)}"
        self.queries.append(PersistentQuery(query_id, sink, statement.text))


def _text(columns: Sequence[tuple[str, SqlType]]) -> str:
    return "[" + ", ".join(f"`{name}` {kind}" for name, kind in columns) + "]"


def _result_kind(node: PlanNode) -> SourceKind:
    """A query over a table (without a stream join) or with GROUP BY produces a table."""
    if isinstance(node, Aggregate):
        return SourceKind.TABLE
    if isinstance(node, Source):
        return node.kind
    if isinstance(node, Join):
        left, right = _result_kind(node.left), _result_kind(node.right)
        both_tables = left is SourceKind.TABLE and right is SourceKind.TABLE
        return SourceKind.TABLE if both_tables else SourceKind.STREAM
    if isinstance(node, Sink):
        return node.kind
    return _result_kind(node.input)


def _qualified(expression: Expression, source: str) -> Expression:
    """``expression`` with its unqualified columns qualified by ``source`` (for messages)."""
    if isinstance(expression, Column):
        return expression if expression.source else Column(expression.name, source)
    changes: dict[str, object] = {}
    for item in dataclasses.fields(expression):
        value = getattr(expression, item.name)
        if isinstance(value, Expression):
            changes[item.name] = _qualified(value, source)
        elif isinstance(value, tuple) and value and all(isinstance(v, Expression) for v in value):
            changes[item.name] = tuple(_qualified(v, source) for v in value)
    return dataclasses.replace(expression, **changes) if changes else expression  # type: ignore[arg-type]


def _natural_name(expression: Expression) -> str | None:
    if isinstance(expression, Column):
        return expression.name
    if isinstance(expression, Dereference):
        return expression.field_name
    return None


class _Names:
    """ksqlDB's generated aliases: ``KSQL_COL_<n>`` from one past the input's largest."""

    def __init__(self, taken: Iterable[str]) -> None:
        found = [int(m.group(1)) for name in taken if (m := _GENERATED.fullmatch(name))]
        self.next = max(found, default=-1) + 1

    def generate(self) -> str:
        name = f"KSQL_COL_{self.next}"
        self.next += 1
        return name


class _QueryPlanner:
    """Plans one query: source (and joins), WHERE, GROUP BY or PARTITION BY, projection."""

    def __init__(self, script: _ScriptPlanner, query: Query, sink: str) -> None:
        self.script = script
        self.query = query
        self.sink = sink
        self.registry = script.registry

    def plan(self) -> PlanNode:
        query = self.query
        if query.limit is not None:
            raise self.script.unsupported("LIMIT in a persistent query", query.position)
        node: PlanNode = self.source(query.source.name, query.source.alias, query.source)
        for join in query.joins:
            right = self.source(join.source.name, join.source.alias, join.source)
            node = self.join(node, right, join)
        if query.where is not None:
            compile_predicate(query.where, node.schema.evaluation(), registry=self.registry)
            node = Filter(node, query.where, node.schema)
        names = self.expression_names(node.schema)
        aggregating = bool(query.group_by) or query.window is not None or self.has_aggregates()
        if query.emit is EmitMode.FINAL and query.window is None:
            # Only a window closes: ksqlDB refuses final results of anything else.
            raise self.script.fail(
                "EMIT FINAL is only supported for windowed aggregations.", query.position
            )
        if aggregating:
            return self.aggregate(node, names)
        if query.having is not None:
            raise self.script.fail("HAVING requires GROUP BY", query.having.position)
        keys_from: tuple[Expression, ...] = ()
        if query.partition_by:
            if _result_kind(node) is SourceKind.TABLE:
                raise self.script.fail(
                    "PARTITION BY is only supported on streams, not on tables",
                    query.partition_by[0].position,
                )
            node = self.rekey(node, names)
            keys_from = query.partition_by
        return self.project(node, names, keys_from)

    def join(self, left: PlanNode, right: Source, join: SqlJoin) -> Join:
        """The join's rows: the left's columns, then the right's. Its key is the left column
        of an equality between two columns (ksqlDB's join key), else none yet."""
        columns = tuple(
            dataclasses.replace(c, role=Role.VALUE) if c.role is Role.KEY else c
            for c in left.schema.columns + right.schema.columns
        )
        evaluation = RowSchema(columns).evaluation()
        compile_predicate(join.on, evaluation, registry=self.registry)
        pair = _equi_join(join.on)
        key_column = pair[0] if pair is not None else _column_operand(join.on)
        foreign_key = self.check_join_kind(left, right, join, pair, evaluation)
        if foreign_key:
            # A foreign-key join's result is keyed by the left table's primary key.
            key_column = next(
                (Column(c.name, c.source) for c in left.schema.columns if c.role is Role.KEY),
                None,
            )
        if key_column is not None:
            index = evaluation.resolve(key_column.name, key_column.source).index
            key = dataclasses.replace(columns[index], role=Role.KEY)
            columns = (key, *columns[:index], *columns[index + 1 :])
        return Join(left, right, join.kind, join.on, join.within, RowSchema(columns))

    def check_join_kind(
        self,
        left: PlanNode,
        right: Source,
        join: SqlJoin,
        pair: tuple[Column, Column] | None,
        evaluation: Schema,
    ) -> bool:
        """Refuse the join kinds ksqlDB refuses between these inputs, in its words; whether
        it is a foreign-key table-table join (the left side not joined on its key)."""
        left_kind, right_kind = _result_kind(left), right.kind
        left_name = left.name if isinstance(left, Source) else "the join"
        shown = f"Got {left_name} {_JOIN_TEXT[join.kind]} {right.name}."
        position = getattr(join.source, "position", None)
        width = len(left.schema.columns)
        if left_kind is SourceKind.STREAM and right_kind is SourceKind.STREAM:
            if join.within is None:
                raise self.script.fail(
                    "Stream-Stream joins must have a WITHIN clause specified. None was provided."
                    " To learn about how to specify a WITHIN clause with a stream-stream join,"
                    " please visit: https://docs.confluent.io/current/ksql/docs/"
                    "syntax-reference.html#create-stream-as-select",
                    position,
                )
            return False
        if left_kind is SourceKind.TABLE and right_kind is SourceKind.STREAM:
            if join.kind is not JoinKind.RIGHT:
                raise self.script.fail(
                    "Invalid join order: table-stream joins are not supported; only"
                    " stream-table joins. " + shown,
                    position,
                )
            return False
        if left_kind is SourceKind.STREAM and right_kind is SourceKind.TABLE:
            operands = _operands_by_side(join.on, evaluation, width)
            right_keys = [c for c in right.schema.columns if c.role is Role.KEY]
            on_right = operands[1] if operands is not None else None
            if operands is not None and not (
                isinstance(on_right, Column)
                and len(right_keys) == 1
                and evaluation.resolve(on_right.name, on_right.source).column.name
                == right_keys[0].name
            ):
                left_text = text_of(_qualified(operands[0], _qualifier_of(left)))
                right_text = text_of(_qualified(operands[1], _qualifier_of(right)))
                raise self.script.fail(
                    "Invalid join condition: stream-table joins require to join on the table's"
                    f" primary key. Got {left_text} = {right_text}.",
                    position,
                )
            if join.kind is JoinKind.FULL:
                raise self.script.fail(
                    "Invalid join type: full-outer join not supported for stream-table join. "
                    + shown,
                    position,
                )
            if join.kind is JoinKind.RIGHT:
                # ksqlDB turns a RIGHT join into a LEFT join of the swapped sides.
                raise self.script.fail(
                    "Invalid join order: table-stream joins are not supported; only"
                    f" stream-table joins. Got {right.name} LEFT [OUTER] JOIN {left_name}.",
                    position,
                )
            return False
        if left_kind is not SourceKind.TABLE or right_kind is not SourceKind.TABLE:
            return False
        left_columns = [
            resolved.column
            for c in (pair or ())
            if (resolved := evaluation.resolve(c.name, c.source)).index < width
        ]
        keys = [c for c in left.schema.columns if c.role is Role.KEY]
        keyed = (
            len(left_columns) == 1
            and len(keys) == 1
            and (left_columns[0].name, left_columns[0].source) == (keys[0].name, keys[0].source)
        )
        if keyed or not isinstance(left, Source):
            return False
        if join.kind in (JoinKind.FULL, JoinKind.RIGHT):
            what = "full-outer" if join.kind is JoinKind.FULL else "right"
            raise self.script.fail(
                f"Invalid join type: {what} join not supported for foreign-key table-table"
                " join. " + shown,
                position,
            )
        return True

    def source(self, name: str, alias: str | None, written: object) -> Source:
        position = getattr(written, "position", None)
        entry: CatalogEntry | None
        if getattr(written, "is_product", False):
            if self.script.products is None:
                raise self.script.unsupported(f"a data product in FROM ({name})", position)
            entry = self.script.products.entry(name, position, self.script.text)
        else:
            entry = self.script.catalog.get(name)
        if entry is None:
            raise UnknownSource(name, self.script.catalog.names(), position, self.script.text)
        qualifier = alias or entry.name
        columns = (
            tuple(PlanColumn(c.name, c.type, Role.KEY, qualifier) for c in entry.key_columns)
            + tuple(PlanColumn(c.name, c.type, Role.VALUE, qualifier) for c in entry.value_columns)
            + tuple(PlanColumn(n, t, Role.PSEUDO, qualifier) for n, t in PSEUDO_COLUMNS)
        )
        return Source(
            entry.name,
            entry.kind,
            entry.topic,
            entry.key_columns,
            entry.value_columns,
            entry.formats,
            entry.timestamp_column,
            alias,
            RowSchema(columns),
        )

    def has_aggregates(self) -> bool:
        return any(
            self.aggregate_calls(item.expression)
            for item in self.query.select
            if isinstance(item, SelectExpression)
        )

    def aggregate_calls(self, expression: Expression) -> list[Call]:
        found: list[Call] = []

        def walk(node: object) -> None:
            if isinstance(node, Call) and self.registry.is_aggregate(node.name):
                if node not in found:
                    found.append(node)
                return
            if isinstance(node, Expression):
                for item in dataclasses.fields(node):
                    walk(getattr(node, item.name))
            elif isinstance(node, tuple):
                for part in node:
                    walk(part)

        walk(expression)
        return found

    def expression_names(self, schema: RowSchema) -> dict[int, str]:
        """The output name of each select expression, by its index in the select list."""
        generator = _Names(column.name for column in schema.columns)
        names: dict[int, str] = {}
        for index, item in enumerate(self.query.select):
            if isinstance(item, SelectExpression):
                natural = _natural_name(item.expression)
                expression = item.expression
                if (
                    self.query.joins
                    and isinstance(expression, Column)
                    and expression.source is not None
                    and len({c.source for c in schema.columns if c.name == expression.name}) > 1
                ):
                    # A column both sides of a join have: ksqlDB names it SOURCE_COLUMN.
                    natural = f"{expression.source}_{expression.name}"
                if item.alias is not None:
                    names[index] = item.alias
                elif natural is not None:
                    names[index] = natural
                else:
                    names[index] = generator.generate()
        return names

    def matching_item(self, expression: Expression) -> int | None:
        for index, item in enumerate(self.query.select):
            if isinstance(item, SelectExpression) and item.expression == expression:
                return index
        return None

    def rekey(self, node: PlanNode, names: dict[int, str]) -> Rekey:
        expressions = self.query.partition_by
        evaluation = node.schema.evaluation()
        if len(expressions) == 1 and _is_null(expressions[0]):
            columns = tuple(
                dataclasses.replace(c, role=Role.VALUE) if c.role is Role.KEY else c
                for c in node.schema.columns
            )
            return Rekey(node, expressions, RowSchema(columns))
        keys: list[PlanColumn] = []
        generator = _Names([*names.values(), *(c.name for c in node.schema.columns)])
        for expression in expressions:
            kind = type_of(expression, evaluation, registry=self.registry)
            if kind is None:
                raise self.script.fail("PARTITION BY NULL must be the only expression", None)
            if isinstance(expression, Column):
                resolved = evaluation.resolve(expression.name, expression.source)
                keys.append(PlanColumn(expression.name, kind, Role.KEY, resolved.column.source))
                continue
            index = self.matching_item(expression)
            natural = _natural_name(expression)
            name = names[index] if index is not None else natural or generator.generate()
            keys.append(PlanColumn(name, kind, Role.KEY))
        taken = {key.name for key in keys}
        rest = tuple(
            dataclasses.replace(c, role=Role.VALUE) if c.role is Role.KEY else c
            for c in node.schema.columns
            if c.name not in taken
        )
        return Rekey(node, expressions, RowSchema(tuple(keys) + rest))

    def project(
        self, node: PlanNode, names: dict[int, str], keys_from: tuple[Expression, ...]
    ) -> Project:
        """The select list over ``node``; ``keys_from`` are the PARTITION BY expressions."""
        schema = node.schema
        evaluation = schema.evaluation()
        keys = schema.keys
        qualifier = self.query.source.alias or self.query.source.name
        # Which select expression stands for which key column: the key column itself (for
        # PARTITION BY a column or the source's key) or the partitioning expression.
        key_of: dict[str, Expression] = {}
        for position, key in enumerate(keys):
            expressions = keys_from if keys_from else ()
            if expressions and not isinstance(expressions[position], Column):
                key_of[key.name] = expressions[position]
            else:
                key_of[key.name] = Column(key.name, key.source)
        join = _join_under(node)
        pair = _equi_join(join.on) if join is not None else None
        if join is not None and pair is not None and not _keyed_by(join, pair[0]):
            pair = None  # a foreign-key join: keyed by the left primary key, not by ON
        alternates: list[Expression] = [pair[1]] if pair is not None else []
        items: list[Projection] = []
        holders: dict[str, list[str]] = {key.name: [] for key in keys}
        for index, item in enumerate(self.query.select):
            if isinstance(item, SelectAll):
                items.extend(self.expand_all(item, node, holders))
                continue
            if isinstance(item, SelectStructAll):
                items.extend(self.expand_struct(item, evaluation))
                continue
            name = names[index]
            expression = item.expression
            key_name = self.key_named_by(expression, key_of)
            if key_name is None and keys and any(expression == other for other in alternates):
                key_name = keys[0].name  # the join's other column holds the same key
            if key_name is not None:
                holders[key_name].append(name)
                expression = Column(key_name, next(k.source for k in keys if k.name == key_name))
            elif name in _RESERVED and item.alias is None:
                raise self.script.fail(
                    f"Reserved column name in select: {name}. Please remove or alias the column.",
                    item.expression.position,
                )
            items.append(Projection(name, expression, key_name is not None))
        for key in keys:
            aliases = holders[key.name]
            if len(aliases) > 1:
                raise DuplicateKey(key.name, aliases, self.query.position, self.script.text)
        missing = [key for key in keys if not holders[key.name]]
        if missing:
            if pair is not None:
                raise KeyNotProjected(
                    self.sink,
                    "join expression",
                    [text_of(pair[0]), text_of(pair[1])],
                    self.query.position,
                    self.script.text,
                    alternatives=True,
                )
            if keys_from and not all(isinstance(e, Column) for e in keys_from):
                what = "partitioning expression"
                shown = [text_of(_qualified(key_of[key.name], qualifier)) for key in missing]
            elif keys_from:
                what = "partitioning expression"
                shown = [f"{qualifier}.{key.name}" for key in missing]
            else:
                what = "key column"
                shown = [key.name for key in missing]
            raise KeyNotProjected(self.sink, what, shown, self.query.position, self.script.text)
        return Project(node, tuple(items), self.output_schema(items, evaluation))

    def key_named_by(self, expression: Expression, key_of: dict[str, Expression]) -> str | None:
        """The key column ``expression`` stands for: the key's expression, or its column
        written with or without the qualifier."""
        for key_name, key_expression in key_of.items():
            if expression == key_expression:
                return key_name
            if (
                isinstance(expression, Column)
                and isinstance(key_expression, Column)
                and expression.name == key_expression.name
                and expression.source in (None, key_expression.source)
            ):
                return key_name
        return None

    def expand_all(
        self, item: SelectAll, node: PlanNode, holders: dict[str, list[str]]
    ) -> list[Projection]:
        columns = [c for c in node.schema.columns if c.role is not Role.PSEUDO]
        if item.source is not None:
            columns = [c for c in columns if c.source == item.source]
            if not columns:
                known = sorted({c.source for c in node.schema.columns if c.source})
                raise UnknownSource(item.source, known, item.position, self.script.text)
        joined = isinstance(node, Join) or (
            not isinstance(node, Source) and _has_join(node) and item.source is None
        )
        found: list[Projection] = []
        for column in columns:
            name = f"{column.source}_{column.name}" if joined and column.source else column.name
            if column.role is Role.KEY:
                holders[column.name].append(name)
            found.append(
                Projection(name, Column(column.name, column.source), column.role is Role.KEY)
            )
        return found

    def expand_struct(self, item: SelectStructAll, evaluation: Schema) -> list[Projection]:
        kind = type_of(item.base, evaluation, registry=self.registry)
        if not isinstance(kind, StructType):
            raise self.script.fail(
                f"{text_of(item.base)}->* needs a STRUCT, not {kind}", item.base.position
            )
        return [Projection(field.name, Dereference(item.base, field.name)) for field in kind.fields]

    def output_schema(self, items: Sequence[Projection], evaluation: Schema) -> RowSchema:
        seen: set[str] = set()
        keys: list[PlanColumn] = []
        values: list[PlanColumn] = []
        for item in items:
            if item.name in seen:
                raise self.script.fail(
                    f"The projection contains the column `{item.name}` more than once",
                    item.expression.position,
                )
            seen.add(item.name)
            kind = type_of(item.expression, evaluation, registry=self.registry)
            if kind is None:
                raise self.script.fail(
                    "Can't infer a type of null. Please explicitly cast it to a required type,"
                    " e.g. CAST(null AS VARCHAR).",
                    item.expression.position,
                )
            column = PlanColumn(item.name, kind, Role.KEY if item.key else Role.VALUE)
            (keys if item.key else values).append(column)
        return RowSchema(tuple(keys + values))

    def aggregate(self, node: PlanNode, names: dict[int, str]) -> Project:
        """GROUP BY: an ``Aggregate`` (group keys, then one column per aggregate call) under a
        ``Project`` of the select list over it."""
        query = self.query
        evaluation = node.schema.evaluation()
        if not query.group_by:
            raise self.script.unsupported("an aggregate without GROUP BY", query.position)
        calls: list[Call] = []
        for item in query.select:
            if isinstance(item, SelectExpression):
                calls.extend(c for c in self.aggregate_calls(item.expression) if c not in calls)
        if query.having is not None:
            calls.extend(c for c in self.aggregate_calls(query.having) if c not in calls)
        generator = _Names([*names.values(), *(c.name for c in node.schema.columns)])
        keys: list[PlanColumn] = []
        key_of: dict[str, Expression] = {}
        for expression in query.group_by:
            kind = type_of(expression, evaluation, registry=self.registry)
            index = self.matching_item(expression)
            natural = _natural_name(expression)
            name = names[index] if index is not None else natural or generator.generate()
            keys.append(PlanColumn(name, kind or BIGINT, Role.KEY))
            key_of[name] = expression
        aggregated = [
            PlanColumn(
                f"KSQL_AGG_VARIABLE_{i}",
                compile_aggregate(call, evaluation, registry=self.registry).aggregate.result_type,
            )
            for i, call in enumerate(calls)
        ]
        window = (
            [
                PlanColumn("WINDOWSTART", BIGINT, Role.PSEUDO),
                PlanColumn("WINDOWEND", BIGINT, Role.PSEUDO),
            ]
            if query.window is not None
            else []
        )
        schema = RowSchema(tuple(keys + aggregated + window))
        replacements: list[tuple[Expression, Expression]] = [
            (call, Column(f"KSQL_AGG_VARIABLE_{i}")) for i, call in enumerate(calls)
        ] + [(expression, Column(name)) for name, expression in key_of.items()]
        having = _replace(query.having, replacements) if query.having is not None else None
        if having is not None:
            compile_predicate(having, schema.evaluation(), registry=self.registry)
        emit = query.emit or EmitMode.CHANGES
        aggregate = Aggregate(
            node, tuple(query.group_by), tuple(calls), query.window, having, emit, schema
        )
        items: list[Projection] = []
        holders: dict[str, list[str]] = {key.name: [] for key in keys}
        for index, item in enumerate(query.select):
            if not isinstance(item, SelectExpression):
                raise self.script.unsupported("SELECT * with GROUP BY", query.position)
            name = names[index]
            expression = _replace(item.expression, replacements)
            key_name = (
                expression.name
                if isinstance(expression, Column) and expression.name in holders
                else None
            )
            if key_name is not None:
                holders[key_name].append(name)
            items.append(Projection(name, expression, key_name is not None))
        missing = [key.name for key in keys if not holders[key.name]]
        if missing:
            shown = [text_of(key_of[name]) for name in missing]
            raise KeyNotProjected(
                self.sink, "grouping expression", shown, query.position, self.script.text
            )
        return Project(aggregate, tuple(items), self.output_schema(items, schema.evaluation()))


def _equi_join(on: Expression) -> tuple[Column, Column] | None:
    """``(left, right)`` for ``ON left = right`` between two columns, else ``None``."""
    if (
        isinstance(on, Binary)
        and on.operator is BinaryOperator.EQUAL
        and isinstance(on.left, Column)
        and isinstance(on.right, Column)
    ):
        return on.left, on.right
    return None


_JOIN_TEXT: dict[JoinKind, str] = {
    JoinKind.INNER: "[INNER] JOIN",
    JoinKind.LEFT: "LEFT [OUTER] JOIN",
    JoinKind.RIGHT: "RIGHT [OUTER] JOIN",
    JoinKind.FULL: "[FULL] OUTER JOIN",
}
"""How ksqlDB prints a join type in its messages."""


def _qualifier_of(node: PlanNode) -> str:
    if isinstance(node, Source):
        return node.alias or node.name
    return ""


def _operands_by_side(
    on: Expression, evaluation: Schema, width: int
) -> tuple[Expression, Expression] | None:
    """The operands of ``ON a = b`` as (left side's, right side's), by the columns each reads
    (the first ``width`` columns are the left's); ``None`` when that is not clear."""
    if not isinstance(on, Binary) or on.operator is not BinaryOperator.EQUAL:
        return None

    def side(expression: Expression) -> set[bool]:
        found: set[bool] = set()

        def walk(node: object) -> None:
            if isinstance(node, Column):
                found.add(evaluation.resolve(node.name, node.source).index < width)
            elif isinstance(node, Expression):
                for item in dataclasses.fields(node):
                    walk(getattr(node, item.name))
            elif isinstance(node, tuple):
                for part in node:
                    walk(part)

        walk(expression)
        return found

    first, second = side(on.left), side(on.right)
    if first == {True} and second == {False}:
        return on.left, on.right
    if first == {False} and second == {True}:
        return on.right, on.left
    return None


def _column_operand(on: Expression) -> Column | None:
    """For ``ON expression = column`` (either way round), the column: the join's key, as
    ksqlDB keys a join by a column of its condition."""
    if isinstance(on, Binary) and on.operator is BinaryOperator.EQUAL:
        columns = [side for side in (on.left, on.right) if isinstance(side, Column)]
        if len(columns) == 1:
            return columns[0]
    return None


def _keyed_by(join: Join, column: Column) -> bool:
    """Whether ``column`` of the ON condition is the join's key column."""
    keys = join.schema.keys
    if len(keys) != 1:
        return False
    resolved = join.schema.evaluation().resolve(column.name, column.source).column
    return (resolved.name, resolved.source) == (keys[0].name, keys[0].source)


def _join_under(node: PlanNode) -> Join | None:
    while isinstance(node, Filter):
        node = node.input
    return node if isinstance(node, Join) else None


def _has_join(node: PlanNode) -> bool:
    if isinstance(node, Join):
        return True
    if isinstance(node, Source):
        return False
    return _has_join(node.input)


def _is_null(expression: Expression) -> bool:
    return isinstance(expression, Literal) and expression.value is None


def _replace(
    expression: Expression, replacements: Sequence[tuple[Expression, Expression]]
) -> Expression:
    for old, new in replacements:
        if expression == old:
            return new
    changes: dict[str, object] = {}
    for item in dataclasses.fields(expression):
        value = getattr(expression, item.name)
        if isinstance(value, Expression):
            changes[item.name] = _replace(value, replacements)
        elif isinstance(value, tuple) and value and all(isinstance(v, Expression) for v in value):
            changes[item.name] = tuple(_replace(v, replacements) for v in value)
    return dataclasses.replace(expression, **changes) if changes else expression  # type: ignore[arg-type]


__all__ = [
    "Catalog",
    "CatalogEntry",
    "PersistentQuery",
    "ProductSources",
    "Script",
    "plan_query",
    "plan_statements",
]
