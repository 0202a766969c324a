"""``kind: jdbc-poll``: SQLite and PostgreSQL tables polled into products, with Kafka
Connect's JDBC source modes (``bulk``, ``incrementing``, ``timestamp``,
``timestamp+incrementing``), a snapshot first and soft deletes as tombstones.

What polling misses, by construction: the states a row goes through between two polls (only
the last is read: Robert → Bob → Robert between two polls is no change at all), and hard
deletes (a deleted row is simply not there any more; use ``soft_delete``, or CDC).
"""

from __future__ import annotations

from typing import Literal

from streammesh.connect.base import ConnectorContext
from streammesh.connect.polling.config import Config, Mode, SoftDelete
from streammesh.connect.polling.errors import (
    ColumnNotFound,
    DatabaseUnreachable,
    PollingError,
    TableNotFound,
)
from streammesh.connect.polling.source import PollingSource

__all__ = [
    "KIND",
    "ROLE",
    "ColumnNotFound",
    "Config",
    "DatabaseUnreachable",
    "Mode",
    "PollingError",
    "PollingSource",
    "SoftDelete",
    "TableNotFound",
    "create",
]

KIND = "jdbc-poll"
ROLE: Literal["source"] = "source"


def create(config: Config, context: ConnectorContext) -> PollingSource:
    """A polling source for ``config`` (started by the worker with its position)."""
    return PollingSource(config, context)
