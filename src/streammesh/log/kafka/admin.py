"""``KafkaAdmin``: the topic and group requests the Kafka backend makes, typed and translated.

A thin layer over confluent-kafka's ``AdminClient``: every call is bounded by
``LogConfig.request_timeout_s`` and raises streammesh errors only.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Sequence
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # the stubs do not re-export it
    AdminClient,
    ConfigResource,
)
from confluent_kafka.cimpl import NewTopic

from streammesh.log.base import TopicPartition, TopicSpec
from streammesh.log.config import LogConfig
from streammesh.log.errors import LogError, LogUnavailable, TopicNotFound
from streammesh.log.kafka.security import SecurityRefusals, client_settings_refused
from streammesh.log.kafka.settings import LIBRDKAFKA_LOGGER, admin_config
from streammesh.log.kafka.topic_configs import SPEC_CONFIGS, spec_to_configs
from streammesh.log.kafka.translate import committed_offsets, translate_exception

TopicConfigs = dict[str, str | None]

_OFFSET_INVALID = -1001
"""librdkafka's "no offset" (nothing committed)."""

_SLICE_S = 0.25
"""How long one wait for the cluster lasts before the client's errors are looked at."""

_CLUSTER_DEFAULT_REPLICATION = -1
"""Ask the cluster for its ``default.replication.factor`` (KIP-464)."""


class KafkaAdmin:
    """Topic metadata, topic configs, topic creation/deletion and group offsets."""

    def __init__(self, url: str, bootstrap: str, config: LogConfig) -> None:
        self._url = url
        self._timeout_s = config.request_timeout_s
        self._refusals = SecurityRefusals(url, config.security)
        settings: dict[str, Any] = {
            **admin_config(bootstrap, config),
            "error_cb": self._refusals.record,
        }
        try:
            self._client: Any = AdminClient(settings, logger=LIBRDKAFKA_LOGGER)
        except KafkaException as exc:  # librdkafka checks files and keys when it starts
            raise client_settings_refused(url, exc) from exc

    @property
    def timeout_s(self) -> float:
        """The bound on every request, ``LogConfig.request_timeout_s``."""
        return self._timeout_s

    def partition_counts(self) -> dict[str, int]:
        """Every topic of the cluster (internal ones too) and its number of partitions."""
        deadline = time.monotonic() + self._timeout_s
        slice_s = _SLICE_S
        while True:
            # In growing slices, so that a refusal of the credentials (reported at once,
            # seen between two slices) ends the wait instead of the whole request timeout,
            # while a slow cluster soon gets a slice long enough for its answer (each slice
            # asks anew).
            left = deadline - time.monotonic()
            try:
                metadata = self._client.list_topics(timeout=max(min(left, slice_s), 0.001))
                break
            except KafkaException as exc:
                self._client.poll(0)  # serves error_cb
                self._refusals.raise_if_any()
                if time.monotonic() >= deadline or not _is_retriable_wait(exc):
                    raise translate_exception(
                        exc, url=self._url, operation="listing topics"
                    ) from exc
                slice_s *= 2
        return {name: len(topic.partitions) for name, topic in metadata.topics.items()}

    def partitions(self, topic: str) -> int:
        """``topic``'s number of partitions; ``TopicNotFound`` if there is no such topic.

        Asks for every topic's metadata, not just this one's: a request naming a missing topic
        would create it on clusters with ``auto.create.topics.enable``.
        """
        count = self.partition_counts().get(topic)
        if count is None:
            raise TopicNotFound(topic)
        return count

    def configs(self, topics: Sequence[str]) -> dict[str, TopicConfigs]:
        """The spec-related configs of each topic, as the cluster reports them (maybe none)."""
        if not topics:
            return {}
        resources = [ConfigResource("topic", topic) for topic in topics]
        futures = self._client.describe_configs(resources, request_timeout=self._timeout_s)
        found: dict[str, TopicConfigs] = {}
        for resource, future in futures.items():
            entries = self._result(future, "describing topic configs", resource.name)
            found[resource.name] = {
                name: entry.value for name, entry in entries.items() if name in SPEC_CONFIGS
            }
        return found

    def create(self, spec: TopicSpec) -> None:
        """Create the topic ``spec`` describes (validated by the caller)."""
        new_topic = NewTopic(
            spec.name,
            num_partitions=spec.partitions,
            replication_factor=_CLUSTER_DEFAULT_REPLICATION,
            config=spec_to_configs(spec),
        )
        futures = self._client.create_topics(
            [new_topic], request_timeout=self._timeout_s, operation_timeout=self._timeout_s
        )
        self._result(futures[spec.name], "creating a topic", spec.name)

    def delete(self, topic: str) -> None:
        """Delete ``topic``; ``TopicNotFound`` if it does not exist."""
        futures = self._client.delete_topics(
            [topic], request_timeout=self._timeout_s, operation_timeout=self._timeout_s
        )
        self._result(futures[topic], "deleting a topic", topic)

    def committed(
        self, group: str, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int | None]:
        """``group``'s committed offset of each partition, ``None`` where there is none."""
        request = ConsumerGroupTopicPartitions(
            group, [KafkaTopicPartition(tp.topic, tp.partition) for tp in partitions]
        )
        futures = self._client.list_consumer_group_offsets(
            [request], request_timeout=self._timeout_s
        )
        answer = self._result(futures[group], "reading committed offsets", None)
        return committed_offsets(answer.topic_partitions, url=self._url)

    def _result(self, future: Any, operation: str, topic: str | None) -> Any:
        # The request already carries the timeout; the margin only guards against a future
        # that is never completed, so nothing can hang forever.
        deadline = time.monotonic() + self._timeout_s + 5.0
        try:
            while True:
                try:
                    return future.result(timeout=min(_SLICE_S, max(deadline - time.monotonic(), 0)))
                except concurrent.futures.TimeoutError:
                    self._client.poll(0)  # serves error_cb
                    self._refusals.raise_if_any()
                    if time.monotonic() >= deadline:
                        raise
        except KafkaException as exc:
            raise translate_exception(exc, url=self._url, operation=operation, topic=topic) from exc
        except concurrent.futures.TimeoutError as exc:
            raise LogUnavailable(
                self._url, f"{operation}: no answer within {self._timeout_s:g} s"
            ) from exc
        except (ValueError, TypeError) as exc:  # confluent-kafka's own argument checks
            raise LogError(f"Kafka log '{self._url}': {operation} failed: {exc}") from exc


def _is_retriable_wait(exc: KafkaException) -> bool:
    """Whether a metadata request ended only because its slice of time ran out."""
    error = exc.args[0] if exc.args else None
    code = error.code() if isinstance(error, KafkaError) else None
    return code in (KafkaError._TRANSPORT, KafkaError._TIMED_OUT)
