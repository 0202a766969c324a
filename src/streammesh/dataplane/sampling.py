"""A product's stream read without a consumer group: its latest events (a sample) and its
offsets, so looking at a product never moves any application's offsets."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from streammesh.access import ContentAccess
from streammesh.control import ProductContract
from streammesh.dataplane.decoding import RecordDecoder
from streammesh.dataplane.errors import UnreadableEvent
from streammesh.dataplane.events import ProductEvent
from streammesh.log import ConsumerOptions, EventLog, Header, Record, TopicPartition
from streammesh.privacy import FieldProtection, PrivacyError
from streammesh.serde import SchemaResolver

READ_S = 2.0
"""How long a sample or stats read may take at most."""


def latest_records(
    log: EventLog, topic: str, limit: int, *, per_partition: bool = False
) -> list[Record]:
    """The last ``limit`` records of ``topic`` by timestamp (or of each partition)."""
    description = log.describe_topic(topic)
    wanted: dict[TopicPartition, tuple[int, int]] = {}
    for partition, end in description.end_offsets.items():
        start = max(description.beginning_offsets.get(partition, 0), end - limit)
        if start < end:
            wanted[TopicPartition(topic, partition)] = (start, end)
    if not wanted:
        return []
    found: list[Record] = []
    with log.consumer(ConsumerOptions(auto_commit=False, client_id="streammesh-sample")) as c:
        c.assign(list(wanted))
        for tp, (start, _end) in wanted.items():
            c.seek(tp, start)
        deadline = time.monotonic() + READ_S
        while time.monotonic() < deadline:
            found.extend(c.poll(0.1))
            if all(c.position(tp) >= end for tp, (_start, end) in wanted.items()):
                break
    # Compaction may leave records past the end we asked for; keep the asked range.
    found = [r for r in found if r.offset < wanted[TopicPartition(r.topic, r.partition)][1]]
    found.sort(key=lambda record: (record.timestamp_ms, record.partition, record.offset))
    return found if per_partition else found[-limit:]


def count_since(log: EventLog, topic: str, end: dict[int, int], since_ms: int) -> int:
    """How many records of ``topic`` were written at or after ``since_ms``, up to ``end``."""
    if not end:
        return 0
    partitions = [TopicPartition(topic, p) for p in end]
    with log.consumer(ConsumerOptions(auto_commit=False, client_id="streammesh-stats")) as c:
        c.assign(partitions)
        c.seek_to_timestamp(since_ms, partitions)
        return sum(max(end[tp.partition] - c.position(tp), 0) for tp in partitions)


class SampleDecoder:
    """Turns records of one product into events as a reader may see them; ``None`` for what
    is not one (a sample leaves such records out rather than failing)."""

    def __init__(
        self,
        contract: ProductContract,
        resolver: SchemaResolver,
        protection: FieldProtection | None,
        reading: ContentAccess,
    ) -> None:
        self._decoder = RecordDecoder(contract, resolver)
        self._protection = protection
        self._reading = reading

    def event(self, record: Record) -> ProductEvent | None:
        """``record`` as an event of the product, or ``None`` if it is not one."""
        try:
            return self._decoder.event(record, None if self._protection is None else self._shown)
        except UnreadableEvent:
            return None

    def _shown(
        self, value: dict[str, Any], record_headers: Sequence[Header], key: bytes
    ) -> dict[str, Any]:
        """``value`` with protected fields revealed or masked for the reader."""
        assert self._protection is not None  # only used with protection
        headers = dict(record_headers)
        reveal = self._protection.reveal
        principal = self._reading.principal
        if self._reading.clear:
            try:
                return reveal(value, headers, key, clear=True, principal=principal)
            except PrivacyError:
                pass  # an event that cannot be revealed stays masked
        return reveal(value, headers, key, clear=False, principal=principal)
