"""Errors of the Python DSL: a pipeline built wrong, a ``module:attribute`` that names none."""

from __future__ import annotations

from streammesh.streams.errors import StreamsError


class DslError(StreamsError):
    """Base of the DSL's own errors (planning a pipeline raises the planner's errors)."""


class InvalidPipeline(DslError):
    """A builder step used where it means nothing (a filter after an aggregation, a join of a
    pipeline that already has clauses, a duration that is not one).

    Attributes:
        detail: What is wrong, in the DSL's words.
    """

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"invalid pipeline: {detail}")


class PipelineNotFound(DslError):
    """A ``module:attribute`` argument whose module does not import, whose attribute is
    missing, or whose value is not a pipeline.

    Attributes:
        argument: The argument as given (``trending:pipeline``).
        reason: Why it names no pipeline.
    """

    def __init__(self, argument: str, reason: str) -> None:
        self.argument = argument
        self.reason = reason
        super().__init__(f"{argument}: {reason}")
