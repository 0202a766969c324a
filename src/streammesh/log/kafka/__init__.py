"""The Kafka event log: the ``EventLog`` interface over confluent-kafka (the ``[kafka]`` extra)."""

from streammesh.log.kafka.acls import KafkaAcls
from streammesh.log.kafka.log import KafkaLog

__all__ = [
    "KafkaAcls",
    "KafkaLog",
]
