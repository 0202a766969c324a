"""Events held in clear under a label that is protected now: what the compliance report scans.

A field is encrypted when it is produced only if the policy in force protected its label at
that moment. Events written before (before every label was protected by default, or while a
policy left the label out) keep the field in clear on the log, in every copy of it. The
report finds them by reading a bounded window of each partition: the oldest and the newest
:data:`SCAN_PER_PARTITION` records. The oldest are where events from before a change live; the
newest catch a writer that does not protect. A protected field with a value and without its
ciphertext header (see :func:`streammesh.privacy.fields_in_clear`) is held in clear.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from streammesh.errors import MeshError
from streammesh.log import ConsumerOptions, EventLog, Record, TopicPartition
from streammesh.privacy import fields_in_clear
from streammesh.registry import SchemaRegistry
from streammesh.serde import Deserializer, RegistryResolver

SCAN_PER_PARTITION = 500
"""How many of the oldest and of the newest records of each partition the report reads."""

_READ_S = 5.0
"""How long reading one window of a topic may take at most."""


@dataclass(frozen=True, slots=True)
class ClearExposure:
    """What a scan of one product version found.

    Attributes:
        scanned: How many records were read.
        fields: Per protected field path, how many of them hold it in clear.
    """

    scanned: int
    fields: dict[str, int]


def scan_for_clear_fields(
    log: EventLog,
    registry: SchemaRegistry,
    topic: str,
    protected: Collection[str],
    *,
    per_partition: int = SCAN_PER_PARTITION,
) -> ClearExposure:
    """Read the oldest and newest ``per_partition`` records of each partition of ``topic``
    and count, per field of ``protected``, those that hold it in clear.

    Records that do not deserialize (not events of the product) are left out.
    """
    if not protected:
        return ClearExposure(0, {})
    deserializer = Deserializer(RegistryResolver(registry))
    found: Counter[str] = Counter()
    scanned = 0
    for record in _window_records(log, topic, per_partition):
        if record.value is None:
            continue
        try:
            value = deserializer.deserialize(record.value)
        except MeshError:
            continue
        if not isinstance(value, dict):
            continue
        scanned += 1
        found.update(fields_in_clear(value, dict(record.headers), protected))
    return ClearExposure(scanned, dict(sorted(found.items())))


def _window_records(log: EventLog, topic: str, size: int) -> Iterator[Record]:
    """The oldest ``size`` and the newest ``size`` records of each partition, each once."""
    description = log.describe_topic(topic)
    head: dict[int, tuple[int, int]] = {}
    tail: dict[int, tuple[int, int]] = {}
    for partition, end in description.end_offsets.items():
        begin = description.beginning_offsets.get(partition, 0)
        head_end = min(begin + size, end)
        if begin < head_end:
            head[partition] = (begin, head_end)
        tail_start = max(end - size, head_end)
        if tail_start < end:
            tail[partition] = (tail_start, end)
    for windows in (head, tail):
        if windows:
            yield from _read(log, topic, windows)


def _read(log: EventLog, topic: str, windows: dict[int, tuple[int, int]]) -> list[Record]:
    wanted = {TopicPartition(topic, p): window for p, window in windows.items()}
    found: list[Record] = []
    options = ConsumerOptions(auto_commit=False, client_id="streammesh-governance-report")
    with log.consumer(options) as consumer:
        consumer.assign(list(wanted))
        for tp, (start, _end) in wanted.items():
            consumer.seek(tp, start)
        deadline = time.monotonic() + _READ_S
        while time.monotonic() < deadline:
            found.extend(consumer.poll(0.1))
            if all(consumer.position(tp) >= end for tp, (_start, end) in wanted.items()):
                break
    return [r for r in found if r.offset < wanted[TopicPartition(r.topic, r.partition)][1]]
