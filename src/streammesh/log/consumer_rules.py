"""The rules on the order of consumer calls, shared by every backend's consumer.

Kafka's clients enforce these (no ``subscribe`` after ``assign``, no commit without a group,
nothing after ``close``); keeping them in one place keeps both backends' messages identical.
"""

from __future__ import annotations

from collections.abc import Sequence

from streammesh.log.base import ConsumerOptions, TopicPartition
from streammesh.log.errors import ConsumerStateError
from streammesh.log.topics import validate_topic_name


class ConsumerRules:
    """Tracks how a consumer is being used and refuses calls its state does not allow."""

    def __init__(self, options: ConsumerOptions) -> None:
        self._options = options
        self.subscribed = False
        self.manual = False
        self.closed = False

    def check_open(self) -> None:
        if self.closed:
            raise ConsumerStateError("this consumer is closed")

    def subscription(self, topics: Sequence[str]) -> list[str]:
        """Check a ``subscribe`` call; return the validated topic names."""
        self.check_open()
        if self._options.group is None:
            raise ConsumerStateError(
                "subscribe needs a consumer group: pass ConsumerOptions(group=...), "
                "or use assign() to read partitions directly"
            )
        if self.manual:
            raise ConsumerStateError("this consumer uses assign(); it cannot also subscribe")
        if isinstance(topics, str) or not topics:
            raise ConsumerStateError("subscribe needs a non-empty list of topic names")
        return [validate_topic_name(topic) for topic in topics]

    def assignment(self, partitions: Sequence[TopicPartition]) -> list[TopicPartition]:
        """Check an ``assign`` call; return the partitions without duplicates, in order."""
        self.check_open()
        if self.subscribed:
            raise ConsumerStateError("this consumer subscribed to a group; it cannot also assign")
        return list(dict.fromkeys(TopicPartition(*tp) for tp in partitions))

    def poll_limit(self, max_records: int | None) -> int:
        """The number of records a ``poll`` may return."""
        self.check_open()
        limit = self._options.max_poll_records if max_records is None else max_records
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConsumerStateError(f"max_records must be at least 1, not {limit!r}")
        return limit

    def group(self, operation: str) -> str:
        """The consumer's group, which ``operation`` needs."""
        if self._options.group is None:
            raise ConsumerStateError(
                f"{operation} needs a consumer group: pass ConsumerOptions(group=...)"
            )
        return self._options.group


def not_assigned(partition: TopicPartition) -> ConsumerStateError:
    """The error for an operation on a partition the consumer does not read."""
    return ConsumerStateError(
        f"'{partition[0]}' partition {partition[1]} is not assigned to this consumer; "
        "assign it, or poll until the group assigns it"
    )
