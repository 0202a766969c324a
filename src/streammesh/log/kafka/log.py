"""``KafkaLog``: the event log on a Kafka cluster (any Kafka-protocol broker)."""

from __future__ import annotations

import threading
import time

from streammesh.log.base import (
    Capability,
    ConsumerOptions,
    ProducerOptions,
    TopicDescription,
    TopicPartition,
    TopicSpec,
)
from streammesh.log.config import LogConfig
from streammesh.log.errors import TopicNotFound
from streammesh.log.kafka.admin import KafkaAdmin, TopicConfigs
from streammesh.log.kafka.consumer import KafkaConsumer
from streammesh.log.kafka.offsets import OffsetProbe
from streammesh.log.kafka.producer import KafkaProducer
from streammesh.log.kafka.topic_configs import spec_from_configs
from streammesh.log.topics import validate_topic_name, validate_topic_spec

_INTERNAL_PREFIX = "__"
"""Kafka's internal topics (``__consumer_offsets``, ``__transaction_state``, ...)."""

_CREATE_VISIBLE_POLL_S = 0.05


class KafkaLog:
    """The event log on the Kafka cluster at ``bootstrap`` (``host:port[,host:port...]``).

    Topics are managed with Kafka's admin API, records go through idempotent acks=all
    producers, and consumers use Kafka's consumer groups. Retention and compaction are the
    cluster's business, so no optional capability is declared: the cluster's are unknown,
    and the test broker crashes clients on ACL requests and drops DeleteRecords. Kafka's
    transactions are declared: every Kafka-protocol broker since 0.11 has them.
    """

    def __init__(self, bootstrap: str, config: LogConfig | None = None) -> None:
        self._bootstrap = bootstrap
        self._config = config or LogConfig()
        self._url = f"kafka://{bootstrap}"
        self._admin = KafkaAdmin(self._url, bootstrap, self._config)
        self._probe: OffsetProbe | None = None
        self._probe_lock = threading.Lock()

    @property
    def url(self) -> str:
        return self._url

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.TRANSACTIONS})

    def check(self) -> None:
        """Raise unless a broker answers one metadata request (what readiness probes ask).

        Raises:
            LogUnavailable: No broker answered within the request timeout.
        """
        self._admin.partition_counts()

    def create_topic(self, spec: TopicSpec) -> TopicDescription:
        validate_topic_spec(spec)
        self._admin.create(spec)
        # A real cluster propagates a new topic's metadata to every broker asynchronously.
        deadline = time.monotonic() + self._admin.timeout_s
        while True:
            try:
                return self.describe_topic(spec.name)
            except TopicNotFound:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(_CREATE_VISIBLE_POLL_S)

    def describe_topic(self, name: str) -> TopicDescription:
        validate_topic_name(name)
        partitions = self._admin.partitions(name)
        configs = self._admin.configs([name]).get(name, {})
        return self._describe({name: partitions}, {name: configs})[0]

    def list_topics(self) -> list[TopicDescription]:
        counts = {
            name: count
            for name, count in self._admin.partition_counts().items()
            if not name.startswith(_INTERNAL_PREFIX)
        }
        return self._describe(counts, self._admin.configs(sorted(counts)))

    def delete_topic(self, name: str) -> None:
        validate_topic_name(name)
        self._admin.delete(name)

    def producer(self, options: ProducerOptions | None = None) -> KafkaProducer:
        return KafkaProducer(
            self._url, self._bootstrap, self._config, options or ProducerOptions(), self._admin
        )

    def consumer(self, options: ConsumerOptions | None = None) -> KafkaConsumer:
        return KafkaConsumer(
            self._url, self._bootstrap, self._config, options or ConsumerOptions(), self._admin
        )

    def committed_offsets(self, group: str, topic: str) -> dict[int, int | None]:
        partitions = self._admin.partitions(validate_topic_name(topic))
        committed = self._admin.committed(
            group, [TopicPartition(topic, p) for p in range(partitions)]
        )
        return {p: committed.get(TopicPartition(topic, p)) for p in range(partitions)}

    def close(self) -> None:
        with self._probe_lock:
            probe, self._probe = self._probe, None
        if probe is not None:
            probe.close()

    def _describe(
        self, counts: dict[str, int], configs: dict[str, TopicConfigs]
    ) -> list[TopicDescription]:
        partitions = [
            TopicPartition(name, p) for name, count in counts.items() for p in range(count)
        ]
        probe = self._offset_probe()
        beginnings = probe.beginnings(partitions)
        ends = probe.ends(partitions)
        return [
            TopicDescription(
                spec=spec_from_configs(name, count, configs.get(name, {})),
                beginning_offsets={p: beginnings[TopicPartition(name, p)] for p in range(count)},
                end_offsets={p: ends[TopicPartition(name, p)] for p in range(count)},
            )
            for name, count in sorted(counts.items())
        ]

    def _offset_probe(self) -> OffsetProbe:
        with self._probe_lock:
            if self._probe is None:
                self._probe = OffsetProbe(self._url, self._bootstrap, self._config)
            return self._probe
