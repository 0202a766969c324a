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
    ConnectorFailed,
    ConnectorRefused,
    DefinitionInvalid,
    KindInvalid,
    PrincipalNotAllowed,
    UnknownKind,
)
from streammesh.connect.kinds import (
    ConnectorKind,
    Role,
    kind,
    kind_names,
    register_kind,
    unregister_kind,
)
from streammesh.connect.managed import (
    Connector,
    ConnectorConfigInvalid,
    ConnectorExists,
    ConnectorHost,
    ConnectorInstance,
    ConnectorManagementError,
    ConnectorManager,
    ConnectorStatus,
    PathNotAllowed,
    ProcessReport,
    SecretInClear,
    UnknownConnector,
    config_from_definition,
    progress_document,
    start_connector_host,
)
from streammesh.connect.managed import Desired as ConnectorDesired
from streammesh.connect.managed import Next as ConnectorNext
from streammesh.connect.managed import Placement as ConnectorPlacement
from streammesh.connect.progress import PartitionLag, WorkerProgress, WorkerState
from streammesh.connect.service import ConnectService
from streammesh.connect.services import (
    WorkerServices,
    consumer_group,
    dead_letter_topic,
    offsets_topic,
    transactional_id,
)
from streammesh.connect.worker import Worker, WorkerOptions, freeze_start_up_objects

__all__ = [
    "ConnectError",
    "ConnectService",
    "Connector",
    "ConnectorConfigInvalid",
    "ConnectorContext",
    "ConnectorDefinition",
    "ConnectorDesired",
    "ConnectorExists",
    "ConnectorFailed",
    "ConnectorHost",
    "ConnectorInstance",
    "ConnectorKind",
    "ConnectorManagementError",
    "ConnectorManager",
    "ConnectorNext",
    "ConnectorPlacement",
    "ConnectorRefused",
    "ConnectorStatus",
    "DeadLetter",
    "DefinitionInvalid",
    "KindInvalid",
    "PartitionLag",
    "PathNotAllowed",
    "Position",
    "PrincipalNotAllowed",
    "ProcessReport",
    "Role",
    "SecretInClear",
    "SinkRecord",
    "SinkTask",
    "SourceRecord",
    "SourceTask",
    "UnknownConnector",
    "UnknownKind",
    "Worker",
    "WorkerOptions",
    "WorkerProgress",
    "WorkerServices",
    "WorkerState",
    "config_from_definition",
    "consumer_group",
    "dead_letter_topic",
    "freeze_start_up_objects",
    "kind",
    "kind_names",
    "offsets_topic",
    "parse_definition",
    "progress_document",
    "read_definition",
    "register_kind",
    "start_connector_host",
    "transactional_id",
    "unregister_kind",
]
