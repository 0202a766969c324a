"""Errors of running plans (see :mod:`streammesh.streams.errors`)."""

from __future__ import annotations

from streammesh.streams.errors import StreamsError


class EngineError(StreamsError):
    """Base of the errors of :mod:`streammesh.streams.engine`."""


class UnsupportedPlan(EngineError):
    """A plan this engine cannot run yet (an aggregation, a join), naming the construct.

    Attributes:
        query: The persistent query's id.
        construct: What the engine does not run, as SQL names it (``GROUP BY``, ``JOIN``).
    """

    def __init__(self, query: str, construct: str) -> None:
        self.query = query
        self.construct = construct
        super().__init__(
            f"query {query}: {construct} is not supported by the stream engine yet "
            "(it runs WHERE, the select list, PARTITION BY, GROUP BY with windows, joins of two"
            " inputs)"
        )


class InvalidWindow(EngineError):
    """A window clause the engine refuses (as ksqlDB does), naming the query and why.

    Attributes:
        query: The persistent query's id.
        reason: What is wrong with the window.
    """

    def __init__(self, query: str, reason: str) -> None:
        self.query = query
        self.reason = reason
        super().__init__(f"query {query}: {reason}")
