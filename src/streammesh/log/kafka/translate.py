"""Translation of confluent-kafka's errors into streammesh's ``LogError`` tree.

Everything that leaves the Kafka backend is a streammesh error; the driver's exception stays
attached as ``__cause__`` for debugging (``raise translate(...) from exc``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from streammesh.log.base import TopicPartition
from streammesh.log.errors import (
    InvalidTopicConfig,
    InvalidTopicName,
    LogError,
    LogUnavailable,
    OffsetOutOfRange,
    TopicAlreadyExists,
    TopicNotFound,
)

# librdkafka's local "cannot reach or talk to the cluster" conditions, and the broker's
# refusals of the client itself: all mean the log cannot be used from here right now.
_UNAVAILABLE = frozenset(
    {
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._TIMED_OUT,
        KafkaError._RESOLVE,
        KafkaError._SSL,
        KafkaError._AUTHENTICATION,
        KafkaError._DESTROY,
        KafkaError.SASL_AUTHENTICATION_FAILED,
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.NETWORK_EXCEPTION,
        KafkaError.BROKER_NOT_AVAILABLE,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
    }
)
_TOPIC_NOT_FOUND = frozenset({KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC})
_BAD_TOPIC_CONFIG = {
    KafkaError.INVALID_PARTITIONS: "partitions",
    KafkaError.INVALID_REPLICATION_FACTOR: "replication factor",
    KafkaError.INVALID_CONFIG: "config",
    KafkaError.POLICY_VIOLATION: "config",
}


def kafka_error_of(exc: BaseException) -> Any:
    """The ``KafkaError`` inside a ``KafkaException`` (``None`` for anything else)."""
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return None


def describe_error(error: Any) -> str:
    """A one-line reason from a ``KafkaError``: its text and its code name."""
    text = str(error.str() or "").strip()
    name = str(error.name())
    return f"{text} ({name})" if text else name


def translate_error(
    error: Any,
    *,
    url: str,
    operation: str,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> LogError:
    """The streammesh error for a ``KafkaError`` raised while doing ``operation``.

    ``topic``, ``partition`` and ``offset`` name what the operation was about, so the error can
    carry them (``TopicNotFound.topic``, ...).
    """
    code = error.code()
    reason = describe_error(error)
    if code in _TOPIC_NOT_FOUND and topic is not None:
        return TopicNotFound(topic)
    if code == KafkaError.TOPIC_ALREADY_EXISTS and topic is not None:
        return TopicAlreadyExists(topic)
    if code == KafkaError.TOPIC_EXCEPTION and topic is not None:
        return InvalidTopicName(topic, f"the cluster refused it: {reason}")
    if code in _BAD_TOPIC_CONFIG and topic is not None:
        return InvalidTopicConfig(
            topic, _BAD_TOPIC_CONFIG[code], f"the cluster refused it: {reason}"
        )
    if code == KafkaError.OFFSET_OUT_OF_RANGE and topic is not None and partition is not None:
        return OffsetOutOfRange(topic, partition, -1 if offset is None else offset, reason)
    if code in _UNAVAILABLE or error.fatal():
        return LogUnavailable(url, f"{operation} failed: {reason}")
    return LogError(f"Kafka log '{url}': {operation} failed: {reason}")


def translate_exception(
    exc: BaseException,
    *,
    url: str,
    operation: str,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> LogError:
    """Like :func:`translate_error`, for an exception a confluent-kafka call raised."""
    error = kafka_error_of(exc)
    if error is None:
        return LogError(f"Kafka log '{url}': {operation} failed: {exc}")
    return translate_error(
        error, url=url, operation=operation, topic=topic, partition=partition, offset=offset
    )


def committed_offsets(entries: Iterable[Any], *, url: str) -> dict[TopicPartition, int | None]:
    """Committed offsets from librdkafka's answer (``None`` where nothing is committed);
    a per-partition error is raised as the matching ``LogError``."""
    result: dict[TopicPartition, int | None] = {}
    for entry in entries:
        if entry.error is not None:
            raise translate_error(
                entry.error,
                url=url,
                operation="reading committed offsets",
                topic=entry.topic,
                partition=entry.partition,
            )
        offset = int(entry.offset)
        result[TopicPartition(entry.topic, entry.partition)] = offset if offset >= 0 else None
    return result
