"""Connectors managed by the mesh like any application: recorded with their definition (in
the metadata store, SQLite or PostgreSQL), paused, resumed, restarted and deleted, hosted by
``streammesh up`` (placement ``server``) or run as ``connect run`` processes (placement
``process``), each worker heartbeating its state, counters, lag and last error.

:class:`ConnectorManager` is the face; :mod:`.configs` maps a definition to Kafka Connect's
config and back; :mod:`.hosting` runs the ``server`` connectors in threads.
"""

from __future__ import annotations

from streammesh.connect.managed.configs import (
    RESERVED_KEYS,
    check_credentials,
    config_from_definition,
    connect_config,
    definition_from_config,
)
from streammesh.connect.managed.errors import (
    ConnectorConfigInvalid,
    ConnectorExists,
    ConnectorManagementError,
    PathNotAllowed,
    SecretInClear,
    UnknownConnector,
)
from streammesh.connect.managed.hosting import (
    ConnectorHost,
    Next,
    ProcessReport,
    progress_document,
    start_connector_host,
)
from streammesh.connect.managed.manager import ConnectorManager
from streammesh.connect.managed.paths import check_paths
from streammesh.connect.managed.records import (
    Connector,
    ConnectorInstance,
    ConnectorStatus,
    Desired,
    Placement,
)
from streammesh.connect.managed.store import CONNECTORS_LOCK, ConnectorStore

__all__ = [
    "CONNECTORS_LOCK",
    "RESERVED_KEYS",
    "Connector",
    "ConnectorConfigInvalid",
    "ConnectorExists",
    "ConnectorHost",
    "ConnectorInstance",
    "ConnectorManagementError",
    "ConnectorManager",
    "ConnectorStatus",
    "ConnectorStore",
    "Desired",
    "Next",
    "PathNotAllowed",
    "Placement",
    "ProcessReport",
    "SecretInClear",
    "UnknownConnector",
    "check_credentials",
    "check_paths",
    "config_from_definition",
    "connect_config",
    "definition_from_config",
    "progress_document",
    "start_connector_host",
]
