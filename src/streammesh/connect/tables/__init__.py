"""The ``table`` sink: products landed in PostgreSQL or SQLite tables, exactly once.

See :mod:`streammesh.connect.tables.sink` for the rules (upsert, delete, append, schema
evolution, offsets in the same transaction as the rows).
"""

from __future__ import annotations

from typing import Final

from streammesh.connect.base import ConnectorContext, SinkTask
from streammesh.connect.tables.config import Config
from streammesh.connect.tables.sink import OFFSETS_TABLE, TableSink

__all__ = ["KIND", "OFFSETS_TABLE", "ROLE", "Config", "TableSink", "create"]

KIND: Final = "table"
ROLE: Final = "sink"


def create(config: Config, context: ConnectorContext) -> SinkTask:
    """The sink of a ``table`` connector."""
    return TableSink(config, context)
