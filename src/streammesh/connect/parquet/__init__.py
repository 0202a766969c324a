"""The ``parquet`` sink: products landed as time-partitioned Parquet files, exactly once.

See :mod:`streammesh.connect.parquet.sink` for the layout and the exactly-once rule.
"""

from __future__ import annotations

from typing import Final

from streammesh.connect.base import ConnectorContext, SinkTask
from streammesh.connect.parquet.config import Config
from streammesh.connect.parquet.sink import ParquetSink

__all__ = ["KIND", "ROLE", "Config", "ParquetSink", "create"]

KIND: Final = "parquet"
ROLE: Final = "sink"


def create(config: Config, context: ConnectorContext) -> SinkTask:
    """The sink of a ``parquet`` connector."""
    return ParquetSink(config, context)
