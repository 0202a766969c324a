"""The logical plan: immutable nodes, each with the schema of the rows it hands on.

Both front ends (SQL and the Python DSL) build these through the planner, and the engine runs
them. A plan is a tree read from its root, the ``Sink``::

    Sink ← Project ← [Rekey] ← [Filter] ← Source          (stateless, this engine runs it)
    Sink ← Project ← Aggregate ← [Filter] ← Source        (GROUP BY, with a window or not)
    Sink ← Project ← Join ← (Source, Source)              (stream-stream, stream-table, ...)

A row is a tuple holding the node's ``schema.columns`` in order. A ``Source`` row is its key
columns, its value columns, then the pseudo-columns ``ROWTIME``, ``ROWPARTITION`` and
``ROWOFFSET`` (ksqlDB's; ``SELECT *`` leaves them out). Nodes compare by value, so two front
ends that mean the same query build equal plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from streammesh.streams.evaluation.schema import Schema, SchemaColumn
from streammesh.streams.expressions import Call, Expression
from streammesh.streams.formats.base import Column as FormatColumn
from streammesh.streams.formats.base import FormatName, FormatOptions
from streammesh.streams.sql.statements import EmitMode, JoinKind, JoinWindow, SourceKind, Window
from streammesh.streams.types import BIGINT, INTEGER, SqlType

__all__ = [
    "PSEUDO_COLUMNS",
    "Aggregate",
    "Filter",
    "Formats",
    "Join",
    "PlanColumn",
    "PlanNode",
    "Project",
    "Projection",
    "Rekey",
    "Role",
    "RowSchema",
    "Sink",
    "Source",
    "children",
]


class Role(StrEnum):
    """Where a column lives in the records a node's rows become."""

    KEY = "KEY"
    VALUE = "VALUE"
    PSEUDO = "PSEUDO"
    """``ROWTIME``, ``ROWPARTITION``, ``ROWOFFSET``: read from the record, never written."""


@dataclass(frozen=True, slots=True)
class PlanColumn:
    """One column of a node's rows: name, type, role and the source (name or alias) that
    qualifies it in expressions (``T.PRICE``), if any."""

    name: str
    type: SqlType
    role: Role = Role.VALUE
    source: str | None = None

    def text(self) -> str:
        """``NAME TYPE`` with `` KEY`` for a key column, as ksqlDB describes columns."""
        suffix = " KEY" if self.role is Role.KEY else ""
        return f"{self.name} {self.type}{suffix}"


PSEUDO_COLUMNS: tuple[tuple[str, SqlType], ...] = (
    ("ROWTIME", BIGINT),
    ("ROWPARTITION", INTEGER),
    ("ROWOFFSET", BIGINT),
)
"""ksqlDB's pseudo-columns of a source row: the record's timestamp, partition and offset."""


@dataclass(frozen=True, slots=True)
class RowSchema:
    """A node's columns in row order."""

    columns: tuple[PlanColumn, ...]

    @property
    def keys(self) -> tuple[PlanColumn, ...]:
        """The key columns, in order."""
        return tuple(column for column in self.columns if column.role is Role.KEY)

    @property
    def values(self) -> tuple[PlanColumn, ...]:
        """The value columns, in order."""
        return tuple(column for column in self.columns if column.role is Role.VALUE)

    def index(self, name: str) -> int:
        """The row index of the column called ``name`` (the first one, if several)."""
        return next(i for i, column in enumerate(self.columns) if column.name == name)

    def evaluation(self) -> Schema:
        """The schema expressions over these rows are typed and compiled against."""
        return Schema(
            tuple(SchemaColumn(column.name, column.type, column.source) for column in self.columns)
        )


@dataclass(frozen=True, slots=True)
class Formats:
    """A topic's key and value formats and their ``WITH`` options."""

    key_format: FormatName = FormatName.KAFKA
    value_format: FormatName = FormatName.JSON
    key_delimiter: str | None = None
    value_delimiter: str | None = None
    wrap_single_value: bool | None = None
    value_schema: str | None = None
    """A registered schema the values are written with instead of the generated one (a
    published product's value schema: its record holds the key columns too)."""

    def key_options(self) -> FormatOptions:
        """The options of the key's serde."""
        return FormatOptions(delimiter=self.key_delimiter or ",")

    def value_options(self) -> FormatOptions:
        """The options of the value's serde."""
        return FormatOptions(
            wrap_single_value=self.wrap_single_value,
            delimiter=self.value_delimiter or ",",
            schema=self.value_schema,
        )

    def text(self) -> str:
        """``key KAFKA, value JSON``."""
        return f"key {self.key_format}, value {self.value_format}"


@dataclass(frozen=True, slots=True)
class Source:
    """A stream or table read from a topic.

    Attributes:
        name: The stream's or table's name.
        kind: Stream or table.
        topic: The topic it reads.
        key_columns: The columns of the record key, in order.
        value_columns: The columns of the record value, in order.
        formats: The key and value formats.
        timestamp_column: ``WITH (TIMESTAMP=...)``: the column whose value is the row's
            ROWTIME instead of the record timestamp.
        alias: The alias the query gives it (``FROM trades t``), or ``None``.
        schema: Keys, values and pseudo-columns, qualified by the alias (or the name).
    """

    name: str
    kind: SourceKind
    topic: str
    key_columns: tuple[FormatColumn, ...]
    value_columns: tuple[FormatColumn, ...]
    formats: Formats
    timestamp_column: str | None
    alias: str | None
    schema: RowSchema


@dataclass(frozen=True, slots=True)
class Filter:
    """``WHERE condition``: keeps the rows for which it is TRUE (NULL drops the row)."""

    input: PlanNode
    condition: Expression
    schema: RowSchema


@dataclass(frozen=True, slots=True)
class Rekey:
    """``PARTITION BY expressions``: the rows get a new key (none for ``PARTITION BY NULL``);
    the old key columns become value columns."""

    input: PlanNode
    expressions: tuple[Expression, ...]
    schema: RowSchema


@dataclass(frozen=True, slots=True)
class Projection:
    """One output column of a ``Project``: its name, the expression over the input rows, and
    whether it is a key column."""

    name: str
    expression: Expression
    key: bool = False


@dataclass(frozen=True, slots=True)
class Project:
    """The select list: one output column per ``Projection``; the schema lists the key
    columns first, as ksqlDB does."""

    input: PlanNode
    items: tuple[Projection, ...]
    schema: RowSchema


@dataclass(frozen=True, slots=True)
class Aggregate:
    """``GROUP BY``: one row per group (and window) holding the group-by values (the key) and
    the aggregates' results; ``having`` filters the groups (over this node's schema).

    Attributes:
        group_by: The grouping expressions (over the input rows): the output key.
        aggregates: The aggregate calls, each an output column ``KSQL_AGG_VARIABLE_<i>``.
        window: The ``WINDOW`` clause, or ``None``.
        having: ``HAVING``, over this node's schema.
        emit: ``EMIT CHANGES`` (every update) or ``EMIT FINAL``.
    """

    input: PlanNode
    group_by: tuple[Expression, ...]
    aggregates: tuple[Call, ...]
    window: Window | None
    having: Expression | None
    emit: EmitMode
    schema: RowSchema


@dataclass(frozen=True, slots=True)
class Join:
    """``left kind JOIN right [WITHIN ...] ON on``; rows hold the left's columns, then the
    right's, each qualified by its source."""

    left: PlanNode
    right: PlanNode
    kind: JoinKind
    on: Expression
    within: JoinWindow | None
    schema: RowSchema


@dataclass(frozen=True, slots=True)
class Sink:
    """The output of a persistent query: a stream or table written to a topic.

    Attributes:
        input: The rows to write: key columns to the record key, value columns to its value.
        name: The stream or table written.
        kind: Stream or table.
        topic: Its topic.
        formats: Its key and value formats.
        partitions: The topic's partition count, when the statement fixes it.
        timestamp_column: ``WITH (TIMESTAMP=...)``: the output column whose value becomes
            the record timestamp (default: the input row's ROWTIME).
        schema: The columns written (the input's).
    """

    input: PlanNode
    name: str
    kind: SourceKind
    topic: str
    formats: Formats
    partitions: int | None
    timestamp_column: str | None
    schema: RowSchema


PlanNode = Source | Filter | Rekey | Project | Aggregate | Join | Sink
"""Any node of a plan."""


def children(node: PlanNode) -> tuple[PlanNode, ...]:
    """The nodes ``node`` reads from (none for a ``Source``)."""
    if isinstance(node, Source):
        return ()
    if isinstance(node, Join):
        return (node.left, node.right)
    return (node.input,)
