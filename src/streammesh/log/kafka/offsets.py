"""``OffsetProbe``: a partition's first and end offsets, and the offset for a timestamp.

Kafka answers these with ListOffsets requests. The Fetch response, however, is what every
broker gets right: the test broker (tansu 0.6, memory storage) answers ListOffsets "latest"
with the last *batch*'s base offset + 1 and ignores the timestamp of a time lookup. So the
probe takes ListOffsets' answer as a starting point and confirms it with a fetch from there:
the end offset is the high watermark the fetch reports, and the offset for a timestamp is the
first record read at or after the answer whose timestamp is at or after the one asked for.
On a broker that answers ListOffsets correctly the confirming fetch is one short round trip
(a few ms, ``fetch.wait.max.ms=10``), which is why it is always made, never guessed at.

A ``read_committed`` probe reports the last stable offset as the end: its fetches stop there,
so the end is where the fetch reports end of partition, never the high watermark.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from streammesh.log.base import IsolationLevel, TopicPartition
from streammesh.log.config import LogConfig
from streammesh.log.errors import LogTimeout
from streammesh.log.kafka.settings import LIBRDKAFKA_LOGGER, probe_config
from streammesh.log.kafka.translate import translate_error, translate_exception

_EARLIEST = -2
_LATEST = -1
"""ListOffsets' special timestamps: the first offset, and the end offset."""

_STALE = frozenset(
    {KafkaError._UNKNOWN_PARTITION, KafkaError._UNKNOWN_TOPIC, KafkaError.UNKNOWN_TOPIC_OR_PART}
)
"""Per-partition answers that may only mean this client's metadata is out of date."""

_BATCH = 1_000
_WAIT_S = 0.005


class OffsetProbe:
    """Looks up offsets with a private consumer that joins no group and commits nothing."""

    def __init__(
        self,
        url: str,
        bootstrap: str,
        config: LogConfig,
        isolation: IsolationLevel = IsolationLevel.READ_UNCOMMITTED,
    ) -> None:
        self._url = url
        self._timeout_s = config.request_timeout_s
        self._committed_only = isolation is IsolationLevel.READ_COMMITTED
        group = f"streammesh-offset-probe-{uuid.uuid4().hex}"
        self._settings = probe_config(bootstrap, config, group, isolation)
        self._client: Any = Consumer(self._settings, logger=LIBRDKAFKA_LOGGER)
        self._lock = threading.Lock()
        self._closed = False

    def beginnings(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """The offset of the first retained record of each partition."""
        with self._lock:
            return self._list_offsets(partitions, _EARLIEST)

    def ends(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """The offset the next record appended to each partition will get."""
        with self._lock:
            listed = self._list_offsets(partitions, _LATEST)
            return self._scan(listed, timestamp_ms=None)

    def offsets_for_time(
        self, partitions: Sequence[TopicPartition], timestamp_ms: int
    ) -> dict[TopicPartition, int]:
        """Per partition, the first offset whose record's timestamp is at or after
        ``timestamp_ms``, or the end offset where there is none."""
        with self._lock:
            listed = self._list_offsets(partitions, timestamp_ms)
            # No record at or after the timestamp: the answer is the end, so start there.
            beyond = [tp for tp, offset in listed.items() if offset < 0]
            listed.update(self._list_offsets(beyond, _LATEST))
            return self._scan(listed, timestamp_ms=timestamp_ms)

    def close(self) -> None:
        """Release the probe's consumer."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._client.close()

    def _list_offsets(
        self, partitions: Iterable[TopicPartition], timestamp: int
    ) -> dict[TopicPartition, int]:
        """ListOffsets for ``timestamp`` (or ``_EARLIEST``/``_LATEST``); -1 where none."""
        request = [KafkaTopicPartition(tp.topic, tp.partition, timestamp) for tp in partitions]
        if not request:
            return {}
        answer = self._offsets_for_times(request)
        if any(entry.error is not None and entry.error.code() in _STALE for entry in answer):
            # This client's metadata predates a re-created topic: refresh it, then ask again.
            for topic in {entry.topic for entry in answer}:
                self._refresh_metadata(topic)
            answer = self._offsets_for_times(request)
        result: dict[TopicPartition, int] = {}
        for entry in answer:
            if entry.error is not None:
                raise translate_error(
                    entry.error,
                    url=self._url,
                    operation="listing offsets",
                    topic=entry.topic,
                    partition=entry.partition,
                )
            result[TopicPartition(entry.topic, entry.partition)] = int(entry.offset)
        return result

    def _offsets_for_times(self, request: list[Any]) -> list[Any]:
        try:
            answer: list[Any] = self._client.offsets_for_times(request, timeout=self._timeout_s)
        except KafkaException as exc:
            raise translate_exception(exc, url=self._url, operation="listing offsets") from exc
        return answer

    def _refresh_metadata(self, topic: str) -> None:
        try:
            self._client.list_topics(topic, timeout=self._timeout_s)
        except KafkaException as exc:
            raise translate_exception(
                exc, url=self._url, operation="refreshing metadata", topic=topic
            ) from exc

    def _scan(
        self, starts: dict[TopicPartition, int], timestamp_ms: int | None
    ) -> dict[TopicPartition, int]:
        """Fetch from each start offset until the answer is known (see the module docstring).

        Without ``timestamp_ms`` the answer is the high watermark; with it, the offset of the
        first record at or after it, or the high watermark if no record is.
        """
        if not starts:
            return {}
        # A consumer that assigned a topic crashes librdkafka (a NULL topic name in its metadata
        # cache) when the test broker deletes that topic, so each scan uses its own consumer.
        client: Any = Consumer(self._settings, logger=LIBRDKAFKA_LOGGER)
        client.assign(
            [
                KafkaTopicPartition(
                    tp.topic, tp.partition, offset if offset >= 0 else OFFSET_BEGINNING
                )
                for tp, offset in starts.items()
            ]
        )
        found: dict[TopicPartition, int] = {}
        deadline = time.monotonic() + self._timeout_s
        try:
            while len(found) < len(starts):
                if time.monotonic() >= deadline:
                    raise LogTimeout("looking up offsets", self._timeout_s)
                for message in client.consume(_BATCH, _WAIT_S):
                    tp = TopicPartition(message.topic(), message.partition())
                    if tp in found or tp not in starts:
                        continue
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            found[tp] = int(message.offset())
                        elif not error.retriable():
                            raise translate_error(
                                error,
                                url=self._url,
                                operation="fetching to confirm offsets",
                                topic=tp.topic,
                                partition=tp.partition,
                            )
                    elif timestamp_ms is None and self._committed_only:
                        continue  # records before the last stable offset: read on to the end
                    elif timestamp_ms is None:
                        high = client.get_watermark_offsets(
                            KafkaTopicPartition(tp.topic, tp.partition), cached=True
                        )[1]
                        found[tp] = max(int(high), int(message.offset()) + 1)
                    elif message.timestamp()[1] >= timestamp_ms:
                        found[tp] = int(message.offset())
        finally:
            client.close()
        return found
