"""The stream engine: runs a persistent query's plan over the event log.

This first engine runs stateless queries (WHERE, the select list, PARTITION BY) over
streams; aggregations, joins and tables come next. See
:class:`~streammesh.streams.engine.application.StreamApplication`.
"""

from __future__ import annotations

from streammesh.streams.engine.application import (
    DEAD_LETTER_SUFFIX,
    DeadLetter,
    StreamApplication,
    TaskStats,
)
from streammesh.streams.engine.errors import EngineError, UnsupportedPlan

__all__ = [
    "DEAD_LETTER_SUFFIX",
    "DeadLetter",
    "EngineError",
    "StreamApplication",
    "TaskStats",
    "UnsupportedPlan",
]
