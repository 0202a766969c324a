"""``measure_product``: a product version's throughput, last event time and end offsets.

Rates are measured over a recent window (a minute by default), not sampled over time, so a
server that keeps no state can answer them: the events in the window are counted from
offsets (end offset minus the offset ``seek_to_timestamp`` finds for the window's start,
per partition), and the bytes are the sizes (key + value + headers) of the window's
records read from the log — at most ``max_read`` of them; beyond that the bytes are the
mean size of those read times the events counted. The log is read without a consumer
group, so measuring moves no application's offsets.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from streammesh.log import Consumer, ConsumerOptions, EventLog, Record, TopicPartition

DEFAULT_WINDOW = timedelta(minutes=1)
DEFAULT_MAX_READ = 5_000
"""How many records of the window are read at most to size them."""
_READ_S = 2.0
"""How long reading the window's records and the last records may take at most."""
_OPTIONS = ConsumerOptions(auto_commit=False, client_id="streammesh-observe")


@dataclass(frozen=True, slots=True)
class PartitionOffsets:
    """Where one partition of a product's topic begins and ends (the next offset)."""

    partition: int
    beginning: int
    end: int


@dataclass(frozen=True, slots=True)
class ProductMetrics:
    """A product version's stream as measured at ``measured_at``.

    Attributes:
        product: ``<name>.v<N>``.
        topic: Its topic.
        window: How far back the rates look.
        partitions: Offsets per partition, by partition number.
        events_in_window: Records whose timestamp falls in the window.
        bytes_in_window: Their total size (estimated when more than ``bytes_sampled``).
        bytes_sampled: How many of them were read to size them.
        last_event_at: Timestamp of the newest record, ``None`` for an empty stream.
        measured_at: The end of the window.
    """

    product: str
    topic: str
    window: timedelta
    partitions: tuple[PartitionOffsets, ...]
    events_in_window: int
    bytes_in_window: int
    bytes_sampled: int
    last_event_at: datetime | None
    measured_at: datetime

    @property
    def events_per_second(self) -> float:
        return self.events_in_window / self.window.total_seconds()

    @property
    def bytes_per_second(self) -> float:
        return self.bytes_in_window / self.window.total_seconds()

    @property
    def end_offsets(self) -> dict[int, int]:
        return {p.partition: p.end for p in self.partitions}

    def document(self) -> dict[str, Any]:
        """The JSON shape in the REST API and ``--json`` output."""
        return {
            "product": self.product,
            "topic": self.topic,
            "window_seconds": self.window.total_seconds(),
            "events_in_window": self.events_in_window,
            "bytes_in_window": self.bytes_in_window,
            "bytes_sampled": self.bytes_sampled,
            "events_per_second": self.events_per_second,
            "bytes_per_second": self.bytes_per_second,
            "last_event_at": None if self.last_event_at is None else self.last_event_at.isoformat(),
            "measured_at": self.measured_at.isoformat(),
            "partitions": [
                {"partition": p.partition, "beginning_offset": p.beginning, "end_offset": p.end}
                for p in self.partitions
            ],
        }


def measure_product(
    log: EventLog,
    product: str,
    topic: str,
    *,
    now: datetime | None = None,
    window: timedelta = DEFAULT_WINDOW,
    max_read: int = DEFAULT_MAX_READ,
) -> ProductMetrics:
    """Measure ``topic`` (the stream of ``product``) over the ``window`` before ``now``.

    Raises:
        TopicNotFound: The topic is gone.
        LogError: The log cannot be read.
    """
    now = now or datetime.now(UTC)
    description = log.describe_topic(topic)
    ends = dict(description.end_offsets)
    beginnings = {p: description.beginning_offsets.get(p, 0) for p in ends}
    partitions = tuple(PartitionOffsets(p, beginnings[p], ends[p]) for p in sorted(ends))
    since_ms = int((now - window).timestamp() * 1000)
    starts: dict[int, int] = {}
    sizes: list[int] = []
    last_ms: int | None = None
    filled = {p: end for p, end in ends.items() if end > beginnings[p]}
    if filled:
        with log.consumer(_OPTIONS) as consumer:
            assigned = [TopicPartition(topic, p) for p in filled]
            consumer.assign(assigned)
            consumer.seek_to_timestamp(since_ms, assigned)
            starts = {tp.partition: consumer.position(tp) for tp in assigned}
            sizes = _window_sizes(consumer, topic, starts, filled, max_read)
            last_ms = _last_timestamp(consumer, topic, beginnings, filled)
    events = sum(max(filled[p] - start, 0) for p, start in starts.items())
    read = sum(sizes)
    estimated = read if len(sizes) >= events or not sizes else round(read / len(sizes) * events)
    return ProductMetrics(
        product=product,
        topic=topic,
        window=window,
        partitions=partitions,
        events_in_window=events,
        bytes_in_window=estimated,
        bytes_sampled=len(sizes),
        last_event_at=None if last_ms is None else datetime.fromtimestamp(last_ms / 1000, UTC),
        measured_at=now,
    )


def record_size(record: Record) -> int:
    """Bytes a record takes on the wire, roughly: key, value and headers."""
    headers = sum(len(name) + len(value) for name, value in record.headers)
    return len(record.key or b"") + len(record.value or b"") + headers


def _window_sizes(
    consumer: Consumer,
    topic: str,
    starts: Mapping[int, int],
    ends: Mapping[int, int],
    max_read: int,
) -> list[int]:
    wanted = {p: min(ends[p], start + max_read) for p, start in starts.items() if start < ends[p]}
    sizes: list[int] = []
    if not wanted:
        return sizes
    deadline = time.monotonic() + _READ_S
    while len(sizes) < max_read and time.monotonic() < deadline:
        for record in consumer.poll(0.1):
            if record.offset < wanted.get(record.partition, -1):
                sizes.append(record_size(record))
        if all(consumer.position(TopicPartition(topic, p)) >= end for p, end in wanted.items()):
            break
    return sizes[:max_read]


def _last_timestamp(
    consumer: Consumer, topic: str, beginnings: Mapping[int, int], ends: Mapping[int, int]
) -> int | None:
    # The last record of each partition; a record compacted away at the very end leaves the
    # partition's newest surviving one among the few before it.
    newest: int | None = None
    pending: dict[int, int] = {}
    for partition, end in ends.items():
        start = max(beginnings[partition], end - 5)
        consumer.seek(TopicPartition(topic, partition), start)
        pending[partition] = end
    deadline = time.monotonic() + _READ_S
    while pending and time.monotonic() < deadline:
        for record in consumer.poll(0.1):
            if record.offset < ends[record.partition]:
                newest = record.timestamp_ms if newest is None else max(newest, record.timestamp_ms)
        for partition in list(pending):
            if consumer.position(TopicPartition(topic, partition)) >= pending[partition]:
                del pending[partition]
    return newest
