"""The statements of ksqlDB's SQL that streammesh runs, as the parser hands them to the planner.

Names follow ksqlDB's rules (unquoted upper-cased, back-quoted kept as written); durations are
in milliseconds; expressions are :mod:`streammesh.streams.expressions` nodes and types
:mod:`streammesh.streams.types` values. Every statement keeps its ``text`` (as written, without
the ``;``) and the ``position`` of its first character in the parsed text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from streammesh.streams.expressions import Expression, Position
from streammesh.streams.types import SqlType


class SourceKind(StrEnum):
    """What a statement creates, inserts into or drops."""

    STREAM = "STREAM"
    TABLE = "TABLE"


class ColumnRole(StrEnum):
    """Where a declared column lives in a record: its value (the default), its key, its headers."""

    VALUE = "VALUE"
    KEY = "KEY"
    """``KEY`` in a ``CREATE STREAM``."""
    PRIMARY_KEY = "PRIMARY KEY"
    """``PRIMARY KEY`` in a ``CREATE TABLE``."""
    HEADERS = "HEADERS"
    """``HEADERS``: all headers, as ``ARRAY<STRUCT<KEY STRING, VALUE BYTES>>``."""
    HEADER = "HEADER"
    """``HEADER('name')``: the bytes of one header."""


@dataclass(frozen=True, slots=True)
class ColumnDefinition:
    """One column of ``CREATE STREAM|TABLE name (columns)``."""

    name: str
    type: SqlType
    role: ColumnRole = ColumnRole.VALUE
    header: str | None = None
    """The header's name for ``HEADER('name')``."""
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class SourceProperties:
    """The ``WITH (...)`` clause. Formats are upper-cased (``'json'`` is ``JSON``); the
    ``TIMESTAMP`` column follows identifier rules (``'ts'`` is ``TS``, ``'`ts`'`` is ``ts``).
    ``product`` is streammesh's own: the data product the output is published as."""

    kafka_topic: str | None = None
    value_format: str | None = None
    key_format: str | None = None
    format: str | None = None
    partitions: int | None = None
    replicas: int | None = None
    timestamp: str | None = None
    timestamp_format: str | None = None
    value_delimiter: str | None = None
    key_delimiter: str | None = None
    wrap_single_value: bool | None = None
    retention_ms: int | None = None
    product: str | None = None
    query_id: str | None = None
    """``QUERY_ID``: the persistent query's id, as ``INSERT INTO ... WITH (QUERY_ID='q')``."""


@dataclass(frozen=True, slots=True)
class AliasedSource:
    """A stream, table or data product named in ``FROM`` or ``JOIN``, with its alias.

    A dotted name (``execution.stocktrades``) names a data product of the mesh: ``name`` is
    then the product's name as written (back-quotes removed, case kept, since product names
    are the mesh's, not SQL identifiers) and ``is_product`` is set.
    """

    name: str
    alias: str | None = None
    is_product: bool = False
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class SelectExpression:
    """``expression [AS alias]`` in the select list."""

    expression: Expression
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class SelectAll:
    """``*`` (``source`` is ``None``) or ``T.*`` (every column of source or alias ``T``)."""

    source: str | None = None
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class SelectStructAll:
    """``base->*``: every field of a struct, each as its own column."""

    base: Expression


SelectItem = SelectExpression | SelectAll | SelectStructAll


class JoinKind(StrEnum):
    """``[INNER] JOIN``, ``LEFT [OUTER] JOIN``, ``RIGHT [OUTER] JOIN``, ``FULL [OUTER] JOIN``."""

    INNER = "INNER"
    LEFT = "LEFT"
    RIGHT = "RIGHT"
    FULL = "FULL"


@dataclass(frozen=True, slots=True)
class JoinWindow:
    """``WITHIN n unit`` (``before == after``) or ``WITHIN (before, after)``, and its
    ``GRACE PERIOD``; all in milliseconds."""

    before_ms: int
    after_ms: int
    grace_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Join:
    """``kind JOIN source [WITHIN ...] ON condition``."""

    kind: JoinKind
    source: AliasedSource
    on: Expression
    within: JoinWindow | None = None


@dataclass(frozen=True, slots=True)
class TumblingWindow:
    """``WINDOW TUMBLING (SIZE n unit[, RETENTION n unit][, GRACE PERIOD n unit])``."""

    size_ms: int
    retention_ms: int | None = None
    grace_ms: int | None = None


@dataclass(frozen=True, slots=True)
class HoppingWindow:
    """``WINDOW HOPPING (SIZE n unit, ADVANCE BY n unit[, RETENTION ...][, GRACE PERIOD ...])``."""

    size_ms: int
    advance_ms: int
    retention_ms: int | None = None
    grace_ms: int | None = None


@dataclass(frozen=True, slots=True)
class SessionWindow:
    """``WINDOW SESSION (n unit[, RETENTION ...][, GRACE PERIOD ...])``: ``gap_ms`` of
    inactivity closes a session."""

    gap_ms: int
    retention_ms: int | None = None
    grace_ms: int | None = None


Window = TumblingWindow | HoppingWindow | SessionWindow


class EmitMode(StrEnum):
    """``EMIT CHANGES`` (every update) or ``EMIT FINAL`` (a window's result once it closes)."""

    CHANGES = "CHANGES"
    FINAL = "FINAL"


@dataclass(frozen=True, slots=True)
class Query:
    """``SELECT ... FROM ...`` with ksqlDB's clauses, in ksqlDB's order.

    A top-level query without ``EMIT`` is a pull query; inside ``CREATE ... AS`` and
    ``INSERT INTO`` the query is persistent whatever its ``emit``.
    """

    select: tuple[SelectItem, ...]
    source: AliasedSource
    joins: tuple[Join, ...] = ()
    window: Window | None = None
    where: Expression | None = None
    group_by: tuple[Expression, ...] = ()
    partition_by: tuple[Expression, ...] = ()
    having: Expression | None = None
    emit: EmitMode | None = None
    limit: int | None = None
    text: str = field(default="", compare=False)
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class CreateSource:
    """``CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] name [(columns)]
    [WITH (...)]``: declare a stream or table over a topic (or a data product)."""

    kind: SourceKind
    name: str
    columns: tuple[ColumnDefinition, ...] = ()
    properties: SourceProperties = SourceProperties()
    or_replace: bool = False
    if_not_exists: bool = False
    source: bool = False
    """``CREATE SOURCE``: read-only, materialized for pull queries."""
    text: str = field(default="", compare=False)
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class CreateAsSelect:
    """``CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] name [WITH (...)] AS query``: a
    persistent query writing a new stream or table."""

    kind: SourceKind
    name: str
    query: Query
    properties: SourceProperties = SourceProperties()
    or_replace: bool = False
    if_not_exists: bool = False
    text: str = field(default="", compare=False)
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class InsertInto:
    """``INSERT INTO name [WITH (...)] query``: a persistent query writing an existing stream."""

    target: str
    query: Query
    properties: SourceProperties = SourceProperties()
    text: str = field(default="", compare=False)
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class InsertValues:
    """``INSERT INTO name [(columns)] VALUES (values)``: write one row."""

    target: str
    columns: tuple[str, ...]
    values: tuple[Expression, ...]
    text: str = field(default="", compare=False)
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Drop:
    """``DROP STREAM|TABLE [IF EXISTS] name [DELETE TOPIC]``."""

    kind: SourceKind
    name: str
    if_exists: bool = False
    delete_topic: bool = False
    text: str = field(default="", compare=False)
    position: Position | None = field(default=None, compare=False)


Statement = CreateSource | CreateAsSelect | InsertInto | InsertValues | Drop | Query
