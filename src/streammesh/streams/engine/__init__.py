"""The stream engine: runs a persistent query's plan over the event log.

It runs WHERE, the select list, PARTITION BY and GROUP BY (windowed or not, with state
stores and changelogs; see :mod:`~streammesh.streams.engine.aggregation`) over streams and
tables, and joins of two inputs (stream-stream, stream-table, table-table, foreign key; see
:mod:`~streammesh.streams.engine.join_task`). See
:class:`~streammesh.streams.engine.application.StreamApplication`.
"""

from __future__ import annotations

from streammesh.streams.engine.application import (
    COMMIT_INTERVAL_MS,
    DEAD_LETTER_SUFFIX,
    DeadLetter,
    StreamApplication,
    TaskStats,
)
from streammesh.streams.engine.errors import EngineError, InvalidWindow, UnsupportedPlan
from streammesh.streams.engine.join_errors import JoinError, PartitionMismatch

__all__ = [
    "COMMIT_INTERVAL_MS",
    "DEAD_LETTER_SUFFIX",
    "DeadLetter",
    "EngineError",
    "InvalidWindow",
    "JoinError",
    "PartitionMismatch",
    "StreamApplication",
    "TaskStats",
    "UnsupportedPlan",
]
