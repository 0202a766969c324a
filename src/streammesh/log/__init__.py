"""The event log: topics of partitioned, replayable records, on an embedded or a Kafka backend.

>>> log = open_log("embedded:///tmp/mesh/log")
>>> log.create_topic(TopicSpec("execution.stocktrades.v1", partitions=4))
>>> with log.producer() as producer:
...     producer.send("execution.stocktrades.v1", b'{"symbol": "ZTEST"}', key=b"acct-1")
"""

from __future__ import annotations

from streammesh.errors import MissingDependency
from streammesh.log.base import (
    DEFAULT_MAX_RECORD_BYTES,
    Capability,
    CleanReport,
    CleanupPolicy,
    Consumer,
    ConsumerOptions,
    EventLog,
    GroupMetadata,
    Header,
    IsolationLevel,
    Maintainable,
    OffsetReset,
    Producer,
    ProducerOptions,
    Record,
    TopicDescription,
    TopicPartition,
    TopicSpec,
)
from streammesh.log.config import (
    KafkaSecurity,
    LogConfig,
    SaslMechanism,
    SecurityProtocol,
    parse_log_url,
)
from streammesh.log.errors import (
    ConsumerStateError,
    DeliveryFailed,
    InvalidPartition,
    InvalidRecord,
    InvalidTopicConfig,
    InvalidTopicName,
    KafkaSecurityRefused,
    LogCorrupt,
    LogDiskFull,
    LogError,
    LogTimeout,
    LogUnavailable,
    OffsetOutOfRange,
    ProducerFenced,
    RecordTooLarge,
    TopicAlreadyExists,
    TopicNotFound,
    TransactionAborted,
    TransactionStateError,
)
from streammesh.log.lag import PartitionLag, partition_lags
from streammesh.log.partitioner import murmur2, partition_for_key
from streammesh.log.records import check_headers, check_record
from streammesh.log.topics import validate_topic_spec


def open_log(url: str, config: LogConfig | None = None) -> EventLog:
    """Open the event log at ``url``: ``embedded:///path/to/dir`` or ``kafka://host:port``.

    The embedded directory is created if missing. Security settings for Kafka come in
    ``config``, never in the URL.
    """
    location = parse_log_url(url)
    config = config or LogConfig()
    if location.scheme == "embedded":
        from streammesh.log.embedded import EmbeddedLog

        return EmbeddedLog(location.directory, config)
    try:
        from streammesh.log.kafka import KafkaLog
    except ImportError as exc:  # confluent-kafka is the [kafka] extra
        raise MissingDependency("the Kafka event log", "kafka") from exc
    return KafkaLog(location.target, config)


__all__ = [
    "DEFAULT_MAX_RECORD_BYTES",
    "Capability",
    "CleanReport",
    "CleanupPolicy",
    "Consumer",
    "ConsumerOptions",
    "ConsumerStateError",
    "DeliveryFailed",
    "EventLog",
    "GroupMetadata",
    "Header",
    "InvalidPartition",
    "InvalidRecord",
    "InvalidTopicConfig",
    "InvalidTopicName",
    "IsolationLevel",
    "KafkaSecurity",
    "KafkaSecurityRefused",
    "LogConfig",
    "LogCorrupt",
    "LogDiskFull",
    "LogError",
    "LogTimeout",
    "LogUnavailable",
    "Maintainable",
    "OffsetOutOfRange",
    "OffsetReset",
    "PartitionLag",
    "Producer",
    "ProducerFenced",
    "ProducerOptions",
    "Record",
    "RecordTooLarge",
    "SaslMechanism",
    "SecurityProtocol",
    "TopicAlreadyExists",
    "TopicDescription",
    "TopicNotFound",
    "TopicPartition",
    "TopicSpec",
    "TransactionAborted",
    "TransactionStateError",
    "check_headers",
    "check_record",
    "murmur2",
    "open_log",
    "parse_log_url",
    "partition_for_key",
    "partition_lags",
    "validate_topic_spec",
]
