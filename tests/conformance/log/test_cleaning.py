"""Retention and compaction, run on demand through ``Maintainable.clean(now_ms)``.

Only backends declaring ``Capability.ON_DEMAND_CLEANING`` run these (the ``cleaner``
fixture skips the others): a Kafka broker cleans on its own schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from streammesh.log import (
    CleanReport,
    CleanupPolicy,
    Consumer,
    EventLog,
    LogError,
    Maintainable,
    Producer,
    Record,
    TopicPartition,
)

HOUR_MS = 3_600_000


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def send_one_by_one(
    producer: Producer, topic: str, values: list[bytes], timestamps: list[int] | None = None
) -> None:
    """Flush after every record: retention drops whole batches (Kafka: whole segments), and
    a record flushed on its own is its own batch."""
    for n, value in enumerate(values):
        producer.send(topic, value, timestamp_ms=timestamps[n] if timestamps else None)
        producer.flush()


def kept(records: list[Record]) -> list[tuple[int, bytes | None, bytes | None]]:
    return [(r.offset, r.key, r.value) for r in records]


def test_time_retention_removes_records_older_than_retention(
    log: EventLog,
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    topic = new_topic(retention_ms=60_000)
    now = wall_ms()
    ages_ms = [300_000, 200_000, 61_000, 30_000, 0]
    send_one_by_one(
        producer, topic, [f"v{n}".encode() for n in range(5)], [now - age for age in ages_ms]
    )

    report = cleaner.clean(now)

    assert report.records_removed_by_retention == 3
    assert kept(read_all(topic)) == [(3, None, b"v3"), (4, None, b"v4")]
    described = log.describe_topic(topic)
    assert (described.beginning_offsets[0], described.end_offsets[0]) == (3, 5)


def test_time_retention_is_measured_from_now_ms(
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    topic = new_topic(retention_ms=60_000)
    now = wall_ms()
    send_one_by_one(producer, topic, [b"v0", b"v1", b"v2"], [now] * 3)

    assert cleaner.clean(now + 59_000).records_removed_by_retention == 0
    assert len(read_all(topic)) == 3
    assert cleaner.clean(now + 61_000).records_removed_by_retention == 3
    assert read_all(topic) == []


def test_size_retention_keeps_the_newest_records_within_the_limit(
    log: EventLog,
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    topic = new_topic(partitions=2, retention_ms=None, retention_bytes=2_000)
    for n in range(50):  # 100 bytes each, each its own batch (see send_one_by_one)
        producer.send(topic, n.to_bytes(2, "big") * 50, partition=0)
        producer.flush()
    producer.send(topic, b"small", partition=1)
    producer.flush()

    report = cleaner.clean()

    survivors = [r for r in read_all(topic) if r.partition == 0]
    # About 2,000 bytes of 100-byte values, whatever the per-record overhead.
    assert 5 <= len(survivors) <= 20
    assert [r.offset for r in survivors] == list(range(50 - len(survivors), 50))
    assert report.records_removed_by_retention == 50 - len(survivors)
    assert log.describe_topic(topic).beginning_offsets == {0: 50 - len(survivors), 1: 0}
    assert cleaner.clean() == CleanReport()


def test_consumer_behind_the_retained_records_restarts_at_the_new_beginning(
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
) -> None:
    topic = new_topic(retention_ms=60_000)
    now = wall_ms()
    send_one_by_one(
        producer,
        topic,
        [f"v{n}".encode() for n in range(6)],
        [now - (HOUR_MS if n < 4 else 0) for n in range(6)],
    )
    tp = TopicPartition(topic, 0)
    consumer = make_consumer()
    consumer.assign([tp])
    consumer.seek(tp, 1)

    cleaner.clean(now)

    assert [r.offset for r in consume(consumer, 2)] == [4, 5]
    consumer.seek_to_beginning()
    assert consumer.position(tp) == 4


def test_delete_policy_topics_are_not_compacted(
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    topic = new_topic()
    for value in (b"1", b"2", b"3"):
        producer.send(topic, value, key=b"same")
    producer.flush()

    assert cleaner.clean(wall_ms() + 1_000) == CleanReport()
    assert len(read_all(topic)) == 3


def test_compaction_keeps_the_newest_record_per_key_at_its_offset(
    log: EventLog,
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    topic = new_topic(cleanup_policy=CleanupPolicy.COMPACT, retention_ms=None)
    sent = [
        (b"a", b"a1"),
        (b"b", b"b1"),
        (b"a", b"a2"),
        (b"c", b"c1"),
        (b"b", b"b2"),
        (b"a", b"a3"),
    ]
    for key, value in sent:
        producer.send(topic, value, key=key, headers=[("h", value)])
    producer.flush()

    report = cleaner.clean(wall_ms() + 1_000)

    assert report.records_removed_by_compaction == 3
    survivors = read_all(topic)
    assert kept(survivors) == [(3, b"c", b"c1"), (4, b"b", b"b2"), (5, b"a", b"a3")]
    assert [r.headers for r in survivors] == [(("h", b"c1"),), (("h", b"b2"),), (("h", b"a3"),)]
    assert log.describe_topic(topic).end_offsets == {0: 6}


def test_compaction_is_per_partition(
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    topic = new_topic(partitions=2, cleanup_policy=CleanupPolicy.COMPACT, retention_ms=None)
    # The same key in two partitions (explicit partition) is two separate histories.
    for partition in (0, 1):
        for value in (b"old", b"new"):
            producer.send(topic, value + str(partition).encode(), key=b"k", partition=partition)
    producer.flush()

    cleaner.clean(wall_ms() + 1_000)

    assert [(r.partition, r.offset, r.value) for r in read_all(topic)] == [
        (0, 1, b"new0"),
        (1, 1, b"new1"),
    ]


def test_a_consumer_reading_during_compaction_misses_no_survivor(
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
) -> None:
    topic = new_topic(cleanup_policy=CleanupPolicy.COMPACT, retention_ms=None)
    written = {n: (b"even" if n % 2 == 0 else b"odd", str(n).encode()) for n in range(10)}
    for key, value in written.values():
        producer.send(topic, value, key=key)
    producer.flush()
    tp = TopicPartition(topic, 0)
    consumer = make_consumer()
    consumer.assign([tp])
    assert [r.offset for r in consume(consumer, 2, max_records=2)] == [0, 1]

    cleaner.clean(wall_ms() + 1_000)

    # Records fetched ahead of the compaction may still arrive, as with Kafka; survivors must.
    rest: list[Record] = []
    deadline = time.monotonic() + 10
    while consumer.position(tp) < 10 and time.monotonic() < deadline:
        rest.extend(consumer.poll(timeout=0.2))
    offsets = [r.offset for r in rest]
    assert offsets == sorted(set(offsets))
    assert offsets[-2:] == [8, 9]
    assert all((r.key, r.value) == written[r.offset] for r in rest)
    assert consumer.position(tp) == 10
    assert consumer.lag() == {tp: 0}


def test_min_compaction_lag_protects_recent_records(
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    topic = new_topic(
        cleanup_policy=CleanupPolicy.COMPACT, retention_ms=None, min_compaction_lag_ms=60_000
    )
    now = wall_ms()
    for value in (b"v1", b"v2", b"v3"):
        producer.send(topic, value, key=b"k", timestamp_ms=now)
    producer.flush()

    assert cleaner.clean(now + 30_000).records_removed_by_compaction == 0
    assert len(read_all(topic)) == 3

    assert cleaner.clean(now + 120_000).records_removed_by_compaction == 2
    assert kept(read_all(topic)) == [(2, b"k", b"v3")]


def test_tombstones_stay_until_delete_retention_has_passed(
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    topic = new_topic(
        cleanup_policy=CleanupPolicy.COMPACT, retention_ms=None, delete_retention_ms=60_000
    )
    now = wall_ms()
    producer.send(topic, b"v", key=b"gone", timestamp_ms=now)
    producer.send(topic, None, key=b"gone", timestamp_ms=now)
    producer.send(topic, b"w", key=b"kept", timestamp_ms=now)
    producer.flush()

    first = cleaner.clean(now + 1_000)
    assert (first.records_removed_by_compaction, first.tombstones_removed) == (1, 0)
    assert kept(read_all(topic)) == [(1, b"gone", None), (2, b"kept", b"w")]

    assert cleaner.clean(now + 30_000).tombstones_removed == 0
    assert kept(read_all(topic)) == [(1, b"gone", None), (2, b"kept", b"w")]

    assert cleaner.clean(now + 1_000 + 120_000).tombstones_removed == 1
    assert kept(read_all(topic)) == [(2, b"kept", b"w")]


def test_worked_example_of_seed_compaction(
    log: EventLog,
    cleaner: Maintainable,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    # Issue 2: K=10 at 0, K=20 at 1, K=10 tombstone at 2, another key at 3, K=20 at 4.
    topic = new_topic(
        cleanup_policy=CleanupPolicy.COMPACT, retention_ms=None, delete_retention_ms=60_000
    )
    now = wall_ms()
    for key, value in [
        (b"10", b"first 10"),
        (b"20", b"first 20"),
        (b"10", None),
        (b"30", b"only 30"),
        (b"20", b"second 20"),
    ]:
        producer.send(topic, value, key=key, timestamp_ms=now)
    producer.flush()

    cleaner.clean(now + 1_000)
    assert kept(read_all(topic)) == [
        (2, b"10", None),
        (3, b"30", b"only 30"),
        (4, b"20", b"second 20"),
    ]

    cleaner.clean(now + 1_000 + 120_000)
    assert kept(read_all(topic)) == [(3, b"30", b"only 30"), (4, b"20", b"second 20")]
    assert log.describe_topic(topic).end_offsets == {0: 5}


def test_compacted_topic_refuses_keyless_records(
    log: EventLog,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    # Kafka's broker rejects them ("Compacted topic cannot accept message without key").
    topic = new_topic(cleanup_policy=CleanupPolicy.COMPACT, retention_ms=None)

    with pytest.raises(LogError) as raised:
        producer.send(topic, b"no key")
        producer.flush()

    assert topic in str(raised.value)
    assert log.describe_topic(topic).end_offsets == {0: 0}
    producer.send(topic, b"keyed", key=b"k")
    producer.flush()
    assert kept(read_all(topic)) == [(0, b"k", b"keyed")]


def test_seek_into_a_compacted_gap_reads_the_next_surviving_record(
    log: EventLog, new_topic: Callable[..., str], cleaner: Maintainable
) -> None:
    """Offsets removed by compaction are skipped, as a Kafka consumer skips them."""
    topic = new_topic(partitions=1, cleanup_policy=CleanupPolicy.COMPACT)
    tp = TopicPartition(topic, 0)
    with log.producer() as producer:
        producer.send(topic, b"x1", key=b"x")
        producer.send(topic, b"a1", key=b"a")
        producer.flush()
        producer.send(topic, b"a2", key=b"a")
        producer.flush()
    cleaner.clean(now_ms=int(time.time() * 1000) + 60_000)
    with log.consumer() as consumer:
        consumer.assign([tp])
        consumer.seek(tp, 1)  # a1, removed: a2 at offset 2 supersedes it
        seen: list[Record] = []
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            seen.extend(consumer.poll(timeout=0.5))
        assert [(r.offset, r.value) for r in seen] == [(2, b"a2")]
        assert consumer.position(tp) == 3
