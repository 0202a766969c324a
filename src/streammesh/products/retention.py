"""Retention semantics of a product and what they mean for its topic.

A product promises consumers how much history they can replay, not a byte budget:
``recent:<duration>`` (events within a window), ``compacted`` (the latest event per key,
for state streams) or ``full-history`` (every event, forever).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from streammesh.log import CleanupPolicy, TopicSpec
from streammesh.products.durations import PATTERN as DURATION_PATTERN
from streammesh.products.durations import format_duration, parse_duration


class RetentionMode(StrEnum):
    """How much history a product keeps."""

    RECENT = "recent"
    COMPACTED = "compacted"
    FULL_HISTORY = "full-history"


class RetentionSyntaxError(ValueError):
    """A retention that does not parse; the message lists the accepted spellings."""


_ACCEPTED = "write 'recent:<duration>' (e.g. 'recent:7d'), 'compacted' or 'full-history'"


@dataclass(frozen=True, slots=True)
class Retention:
    """A retention mode, with its window when the mode is ``recent``."""

    mode: RetentionMode
    window: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.mode is RetentionMode.RECENT) != (self.window is not None):
            raise RetentionSyntaxError(f"a window goes with 'recent' and only with it; {_ACCEPTED}")

    @classmethod
    def parse(cls, text: str) -> Retention:
        """The retention spelled by ``text``: ``recent:7d``, ``compacted`` or ``full-history``."""
        cleaned = text.strip().lower()
        mode, _, window = cleaned.partition(":")
        if mode == RetentionMode.RECENT.value:
            if not window:
                raise RetentionSyntaxError(f"'{text}' needs a window, e.g. 'recent:7d'")
            try:
                return cls(RetentionMode.RECENT, parse_duration(window))
            except ValueError as exc:
                raise RetentionSyntaxError(f"in '{text}': {exc}") from exc
        if not window and mode in (RetentionMode.COMPACTED.value, RetentionMode.FULL_HISTORY.value):
            return cls(RetentionMode(mode))
        raise RetentionSyntaxError(f"'{text}' is not a retention; {_ACCEPTED}")

    def __str__(self) -> str:
        if self.window is not None:
            return f"{self.mode.value}:{format_duration(self.window)}"
        return self.mode.value

    @property
    def cleanup_policy(self) -> CleanupPolicy:
        """The topic cleanup policy that keeps this promise."""
        return (
            CleanupPolicy.COMPACT if self.mode is RetentionMode.COMPACTED else CleanupPolicy.DELETE
        )

    @property
    def retention_ms(self) -> int | None:
        """The topic's ``retention.ms`` (``None``: unlimited)."""
        if self.window is None:
            # Compacted topics keep the latest event per key for ever; age never deletes it.
            return None
        return int(self.window.total_seconds() * 1000)

    def topic_spec(self, topic: str, partitions: int) -> TopicSpec:
        """The log settings of ``topic`` under this retention."""
        return TopicSpec(
            name=topic,
            partitions=partitions,
            cleanup_policy=self.cleanup_policy,
            retention_ms=self.retention_ms,
        )


def _validate(value: Any) -> Retention:
    if isinstance(value, Retention):
        return value
    if not isinstance(value, str):
        raise RetentionSyntaxError(f"{value!r} is not a retention; {_ACCEPTED}")
    return Retention.parse(value)


RetentionField = Annotated[
    Retention,
    PlainValidator(_validate),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": rf"^(compacted|full-history|recent:{DURATION_PATTERN[1:-1]})$",
            "examples": ["recent:7d", "compacted", "full-history"],
        }
    ),
]
"""A descriptor field holding a retention: validated from text, written back as text."""
