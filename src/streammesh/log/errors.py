"""Errors raised by event logs, whatever the backend.

Backends translate their driver's exceptions into these at the boundary, so callers
never see a ``sqlite3`` or ``confluent_kafka`` exception.
"""

from __future__ import annotations

from streammesh.errors import MeshError


class LogError(MeshError):
    """Base of every event-log error."""


class InvalidTopicName(LogError):
    """A topic name breaks Kafka's naming rules."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(
            f"invalid topic name '{name}': {reason}; use 1-249 characters from "
            "letters, digits, '.', '_' and '-'"
        )


class InvalidTopicConfig(LogError):
    """A topic setting (partition count, retention, ...) is out of range."""

    def __init__(self, topic: str, setting: str, reason: str) -> None:
        self.topic = topic
        self.setting = setting
        self.reason = reason
        super().__init__(f"topic '{topic}': invalid {setting}: {reason}")


class TopicNotFound(LogError):
    """The named topic does not exist."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        super().__init__(
            f"topic '{topic}' does not exist; create it first (`streammesh topics create {topic}`)"
        )


class TopicAlreadyExists(LogError):
    """A topic of that name exists already."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        super().__init__(f"topic '{topic}' already exists")


class InvalidRecord(LogError):
    """A record's key, value, headers or timestamp has the wrong type or value."""

    def __init__(self, topic: str, field: str, reason: str) -> None:
        self.topic = topic
        self.field = field
        self.reason = reason
        super().__init__(f"invalid record for topic '{topic}': {field} {reason}")


class RecordTooLarge(LogError):
    """A record is larger than the configured maximum."""

    def __init__(self, topic: str, size: int, limit: int) -> None:
        self.topic = topic
        self.size = size
        self.limit = limit
        super().__init__(
            f"record for topic '{topic}' is {size} bytes, above the limit of {limit} "
            "bytes; split it or raise max_record_bytes"
        )


class InvalidPartition(LogError):
    """A partition number outside the topic's range."""

    def __init__(self, topic: str, partition: int, partitions: int) -> None:
        self.topic = topic
        self.partition = partition
        self.partitions = partitions
        super().__init__(
            f"topic '{topic}' has no partition {partition}; it has partitions 0..{partitions - 1}"
        )


class ConsumerStateError(LogError):
    """A consumer call that its current state does not allow."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class OffsetOutOfRange(LogError):
    """A seek or commit to an offset that is not a valid position."""

    def __init__(self, topic: str, partition: int, offset: int, reason: str) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        super().__init__(f"offset {offset} of '{topic}' partition {partition}: {reason}")


class DeliveryFailed(LogError):
    """Some sent records could not be made durable."""

    def __init__(self, failed: int, first_reason: str) -> None:
        self.failed = failed
        self.first_reason = first_reason
        super().__init__(f"{failed} record(s) were not delivered; first failure: {first_reason}")


class LogTimeout(LogError):
    """An operation did not complete within its timeout."""

    def __init__(self, operation: str, timeout_s: float) -> None:
        self.operation = operation
        self.timeout_s = timeout_s
        super().__init__(f"{operation} did not complete within {timeout_s:g} s")


class LogUnavailable(LogError):
    """The log's storage or cluster cannot be reached or opened."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"event log '{url}' is unavailable: {reason}")


class KafkaSecurityRefused(LogUnavailable):
    """The Kafka cluster refused the client's credentials or TLS settings.

    Raised as soon as librdkafka reports it, instead of after the request timeout: a wrong
    password is not a cluster that is slow to answer.

    Attributes:
        url: The log's URL.
        reason: What librdkafka reported (no secret is in it).
        settings: The ``kafka.security`` settings to check (``mesh.yaml`` names; each is also
            ``$STREAMMESH_KAFKA_<NAME>``).
    """

    def __init__(self, url: str, reason: str, settings: tuple[str, ...]) -> None:
        self.settings = settings
        names = ", ".join(f"kafka.security.{name}" for name in settings)
        super().__init__(url, f"the cluster refused this client: {reason}; check {names}")
        self.reason = reason


class LogCorrupt(LogUnavailable):
    """A file of the log is damaged: not a database, truncated, or a page that does not read."""

    def __init__(self, url: str, path: str, reason: str) -> None:
        self.path = path
        super().__init__(
            url,
            f"the log file '{path}' is damaged ({reason}); stop every streammesh process using "
            "this mesh and restore the log directory from a backup (or, for a log that holds "
            "nothing yet, delete the file to start empty)",
        )


class LogDiskFull(LogUnavailable):
    """A write failed because the disk (or a quota or file size limit) is full."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, f"disk full ({reason}); nothing was written — free space and retry")


class TransactionStateError(LogError):
    """A transactional call the producer's state does not allow: the producer has no
    ``transactional_id``, or the call is out of order (``send`` outside a transaction, a
    second ``begin_transaction``, a commit with none open, ...)."""

    def __init__(self, operation: str, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__(f"cannot {operation}: {reason}")


class ProducerFenced(LogError):
    """A newer producer initialised transactions with the same ``transactional_id``: this
    one is a zombie and may not write again (its open transaction was aborted)."""

    def __init__(self, transactional_id: str) -> None:
        self.transactional_id = transactional_id
        super().__init__(
            f"producer with transactional id '{transactional_id}' was fenced: a newer producer "
            "initialised transactions with the same id; its open transaction was aborted, "
            "close this producer"
        )


class TransactionAborted(LogError):
    """``commit_transaction`` could not commit and the transaction was aborted instead:
    none of its records or offsets were written; begin a new transaction and redo the work."""

    def __init__(self, transactional_id: str, reason: str) -> None:
        self.transactional_id = transactional_id
        self.reason = reason
        super().__init__(
            f"the transaction of '{transactional_id}' was aborted, nothing of it was "
            f"committed: {reason}"
        )
