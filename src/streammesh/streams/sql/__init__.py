"""The SQL front end: ksqlDB's statements, parsed by a sqlglot dialect of our own.

Example:
    >>> from streammesh.streams.sql import parse_statements
    >>> [create] = parse_statements(
    ...     "CREATE STREAM trades (symbol STRING KEY, price INT)"
    ...     " WITH (kafka_topic='trades', value_format='json');"
    ... )
    >>> create.name, create.properties.value_format
    ('TRADES', 'JSON')
"""

from __future__ import annotations

from streammesh.streams.sql.dialect import KsqlDialect
from streammesh.streams.sql.errors import (
    InvalidSqlProperty,
    SqlError,
    SqlSyntaxError,
    SqlTooLarge,
    UnsupportedSql,
)
from streammesh.streams.sql.parser import parse_statements
from streammesh.streams.sql.statements import (
    AliasedSource,
    ColumnDefinition,
    ColumnRole,
    CreateAsSelect,
    CreateSource,
    Drop,
    EmitMode,
    HoppingWindow,
    InsertInto,
    InsertValues,
    Join,
    JoinKind,
    JoinWindow,
    Query,
    SelectAll,
    SelectExpression,
    SelectItem,
    SelectStructAll,
    SessionWindow,
    SourceKind,
    SourceProperties,
    Statement,
    TumblingWindow,
    Window,
)

__all__ = [
    "AliasedSource",
    "ColumnDefinition",
    "ColumnRole",
    "CreateAsSelect",
    "CreateSource",
    "Drop",
    "EmitMode",
    "HoppingWindow",
    "InsertInto",
    "InsertValues",
    "InvalidSqlProperty",
    "Join",
    "JoinKind",
    "JoinWindow",
    "KsqlDialect",
    "Query",
    "SelectAll",
    "SelectExpression",
    "SelectItem",
    "SelectStructAll",
    "SessionWindow",
    "SourceKind",
    "SourceProperties",
    "SqlError",
    "SqlSyntaxError",
    "SqlTooLarge",
    "Statement",
    "TumblingWindow",
    "UnsupportedSql",
    "Window",
    "parse_statements",
]
