"""Connectors: bootstrap data products from databases and files, land them in data at rest.

Sources (PostgreSQL change data capture, the transactional outbox, polling, files) and sinks
(Parquet, Apache Iceberg, PostgreSQL and SQLite tables) run under a worker that gives them the
mesh's guarantees: service accounts and grants, contracts, field protection, lineage, dead
letters and exactly-once delivery (see :mod:`streammesh.connect.base` for the contract).
"""

from __future__ import annotations

from streammesh.connect.base import (
    ConnectorContext,
    DeadLetter,
    Position,
    SinkRecord,
    SinkTask,
    SourceRecord,
    SourceTask,
)
from streammesh.connect.definition import (
    ConnectorDefinition,
    parse_definition,
    read_definition,
)
from streammesh.connect.errors import (
    ConnectError,
    ConnectorRefused,
    DefinitionInvalid,
    KindInvalid,
    UnknownKind,
)
from streammesh.connect.kinds import ConnectorKind, Role, kind, kind_names, register_kind

__all__ = [
    "ConnectError",
    "ConnectorContext",
    "ConnectorDefinition",
    "ConnectorKind",
    "ConnectorRefused",
    "DeadLetter",
    "DefinitionInvalid",
    "KindInvalid",
    "Position",
    "Role",
    "SinkRecord",
    "SinkTask",
    "SourceRecord",
    "SourceTask",
    "UnknownKind",
    "kind",
    "kind_names",
    "parse_definition",
    "read_definition",
    "register_kind",
]
