"""The Kafka backend against a real Kafka-protocol broker (tansu, started by the session)."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from streammesh.log import (
    CleanupPolicy,
    ConsumerOptions,
    ConsumerStateError,
    EventLog,
    InvalidRecord,
    InvalidTopicConfig,
    LogConfig,
    LogUnavailable,
    Record,
    TopicAlreadyExists,
    TopicNotFound,
    TopicPartition,
    TopicSpec,
    open_log,
    partition_for_key,
)
from tests.support.processes import free_port
from tests.support.tansu import GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS

pytestmark = pytest.mark.kafka

GROUP_OPTIONS = {
    "session_timeout_ms": GROUP_SESSION_TIMEOUT_MS,
    "heartbeat_interval_ms": GROUP_HEARTBEAT_INTERVAL_MS,
}
WAIT_S = 30.0


@pytest.fixture
def log(kafka_bootstrap: str) -> Iterator[EventLog]:
    opened = open_log(f"kafka://{kafka_bootstrap}")
    yield opened
    opened.close()


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Names unique to this test: the broker is shared by the whole session."""
    prefix = f"kafka-{uuid.uuid4().hex[:8]}"
    counter = itertools.count()
    return lambda kind: f"{prefix}-{kind}-{next(counter)}"


def read_until(consumer: object, count: int) -> list[Record]:
    records: list[Record] = []
    deadline = time.monotonic() + WAIT_S
    while len(records) < count and time.monotonic() < deadline:
        records.extend(consumer.poll(timeout=0.5))  # type: ignore[attr-defined]
    return records


def test_keys_land_in_the_partition_of_the_shared_murmur2_partitioner(
    log: EventLog, unique: Callable[[str], str]
) -> None:
    topic = unique("topic")
    log.create_topic(TopicSpec(topic, partitions=16))
    keys = [f"account-{n}".encode() for n in range(2_000)] + [b"", b"\xff\x00", "ключ".encode()]
    with log.producer() as producer:
        for key in keys:
            producer.send(topic, b"v", key=key)

    with log.consumer() as consumer:
        consumer.assign([TopicPartition(topic, p) for p in range(16)])
        records = read_until(consumer, len(keys))

    placed = {record.key: record.partition for record in records}
    assert placed == {key: partition_for_key(key, 16) for key in keys}
    assert len(set(placed.values())) == 16


def test_round_trip_keeps_headers_timestamps_and_tombstones(
    log: EventLog, unique: Callable[[str], str]
) -> None:
    topic = unique("topic")
    log.create_topic(TopicSpec(topic, partitions=1))
    past = time.time_ns() // 1_000_000 - 86_400_000
    headers = [("trace", b"t-1"), ("trace", b"t-2"), ("empty", b"")]
    before = time.time_ns() // 1_000_000
    with log.producer() as producer:
        producer.send(topic, b"created", key=b"k1", headers=headers, timestamp_ms=past)
        producer.send(topic, None, key=b"k1")
        producer.send(topic, b"", key=b"k2")
    after = time.time_ns() // 1_000_000

    with log.consumer() as consumer:
        consumer.assign([TopicPartition(topic, 0)])
        first, tombstone, empty = read_until(consumer, 3)

    assert first == Record(topic, 0, 0, b"k1", b"created", tuple(headers), past)
    assert (tombstone.offset, tombstone.key, tombstone.value, tombstone.headers) == (
        1,
        b"k1",
        None,
        (),
    )
    assert before <= tombstone.timestamp_ms <= after
    assert (empty.key, empty.value) == (b"k2", b"")


def test_every_combination_of_partition_timestamp_and_headers_is_delivered(
    log: EventLog, unique: Callable[[str], str]
) -> None:
    # Each optional argument takes its own path to librdkafka's produce(); a None partition or
    # timestamp reaching it would raise TypeError instead of sending.
    topic = unique("topic")
    log.create_topic(TopicSpec(topic, partitions=2))
    stamp = time.time_ns() // 1_000_000 - 60_000
    header = ("h", b"1")
    sends: list[tuple[int | None, int | None, tuple[tuple[str, bytes], ...]]] = [
        (partition, timestamp, headers)
        for partition in (None, 1)
        for timestamp in (None, stamp)
        for headers in ((), (header,))
    ]
    with log.producer() as producer:
        for n, (partition, timestamp, headers) in enumerate(sends):
            producer.send(
                topic,
                str(n).encode(),
                key=b"k",
                headers=headers,
                timestamp_ms=timestamp,
                partition=partition,
            )

    with log.consumer() as consumer:
        consumer.assign([TopicPartition(topic, p) for p in range(2)])
        records = {int(record.value or b""): record for record in read_until(consumer, len(sends))}

    assert sorted(records) == list(range(len(sends)))
    keyed_partition = partition_for_key(b"k", 2)
    for n, (partition, timestamp, headers) in enumerate(sends):
        record = records[n]
        assert record.partition == (keyed_partition if partition is None else partition)
        assert record.headers == headers
        if timestamp is not None:
            assert record.timestamp_ms == timestamp
        else:
            assert record.timestamp_ms > stamp


def test_timestamp_beyond_64_bits_is_refused_before_sending(
    log: EventLog, unique: Callable[[str], str]
) -> None:
    topic = unique("topic")
    log.create_topic(TopicSpec(topic, partitions=1))

    with log.producer() as producer, pytest.raises(InvalidRecord) as refused:
        producer.send(topic, b"v", key=b"k", timestamp_ms=2**63)

    assert refused.value.field == "timestamp_ms"
    assert dict(log.describe_topic(topic).end_offsets) == {0: 0}


def test_end_offsets_count_every_record_of_a_multi_record_batch(
    log: EventLog, unique: Callable[[str], str]
) -> None:
    # tansu answers ListOffsets "latest" with the last batch's base offset + 1; the backend
    # confirms ends with a fetch, so one batch of 50 records still ends at 50.
    topic = unique("topic")
    log.create_topic(TopicSpec(topic, partitions=1))
    with log.producer() as producer:
        for n in range(50):
            producer.send(topic, str(n).encode())

    tp = TopicPartition(topic, 0)
    assert dict(log.describe_topic(topic).end_offsets) == {0: 50}
    with log.consumer() as consumer:
        consumer.assign([tp])
        assert consumer.end_offsets([tp]) == {tp: 50}
        consumer.seek_to_end()
        assert consumer.position(tp) == 50


def test_topic_errors_are_translated(log: EventLog, unique: Callable[[str], str]) -> None:
    topic = unique("topic")
    log.create_topic(TopicSpec(topic, partitions=2))

    with pytest.raises(TopicAlreadyExists) as exists:
        log.create_topic(TopicSpec(topic, partitions=3))
    missing = unique("missing")
    with pytest.raises(TopicNotFound) as not_found:
        log.describe_topic(missing)
    with log.producer() as producer, pytest.raises(TopicNotFound):
        producer.send(missing, b"v")

    assert exists.value.topic == topic
    assert not_found.value.topic == missing
    assert log.describe_topic(topic).partitions == 2
    # a metadata request must not have created the missing topic
    assert missing not in [t.name for t in log.list_topics()]


def test_keyless_record_for_a_compacted_topic_is_refused_before_sending(
    log: EventLog, unique: Callable[[str], str]
) -> None:
    topic = unique("topic")
    log.create_topic(TopicSpec(topic, cleanup_policy=CleanupPolicy.COMPACT))

    with log.producer() as producer, pytest.raises(InvalidRecord) as refused:
        producer.send(topic, b"v")

    assert refused.value.field == "key"
    assert dict(log.describe_topic(topic).end_offsets) == {0: 0}


def test_bad_partition_count_is_refused_without_a_request() -> None:
    # Nothing listens on this port: an error other than LogUnavailable proves no request.
    unreachable = open_log(f"kafka://127.0.0.1:{free_port()}", LogConfig(request_timeout_s=1.0))
    try:
        started = time.monotonic()
        with pytest.raises(InvalidTopicConfig) as refused:
            unreachable.create_topic(TopicSpec("orders", partitions=0))
        assert time.monotonic() - started < 0.5
    finally:
        unreachable.close()
    assert refused.value.setting == "partitions"


def test_unreachable_broker_raises_log_unavailable_within_the_request_timeout() -> None:
    unreachable = open_log(f"kafka://127.0.0.1:{free_port()}", LogConfig(request_timeout_s=1.0))
    try:
        for operation in (
            unreachable.list_topics,
            lambda: unreachable.create_topic(TopicSpec("orders")),
            lambda: unreachable.producer().send("orders", b"v"),
        ):
            started = time.monotonic()
            with pytest.raises(LogUnavailable) as raised:
                operation()
            assert time.monotonic() - started < 5.0
            assert "127.0.0.1" in str(raised.value)
    finally:
        unreachable.close()


def test_group_member_resumes_from_the_commit_and_positions_are_real_offsets(
    log: EventLog, unique: Callable[[str], str]
) -> None:
    topic, group = unique("topic"), unique("group")
    log.create_topic(TopicSpec(topic, partitions=2))
    with log.producer() as producer:
        for n in range(20):
            producer.send(topic, str(n).encode(), partition=n % 2)
    options = ConsumerOptions(group=group, auto_commit=False, **GROUP_OPTIONS)  # type: ignore[arg-type]

    with log.consumer(options) as first:
        first.subscribe([topic])
        deadline = time.monotonic() + WAIT_S
        records: list[Record] = []
        while len(first.assignment()) < 2 and time.monotonic() < deadline:
            records.extend(first.poll(timeout=0.2, max_records=1))
        tp0 = TopicPartition(topic, 0)
        first.seek(tp0, 7)  # seeking works as soon as the group assigned the partition
        assert first.position(tp0) == 7
        first.commit({tp0: 7, TopicPartition(topic, 1): 4})

    assert log.committed_offsets(group, topic) == {0: 7, 1: 4}
    with log.consumer(options) as second:
        second.subscribe([topic])
        resumed = read_until(second, 9)
        assert second.position(TopicPartition(topic, 0)) == 10
    assert sorted((r.partition, r.offset) for r in resumed) == [(0, n) for n in range(7, 10)] + [
        (1, n) for n in range(4, 10)
    ]


def test_group_less_consumer_can_only_assign(log: EventLog, unique: Callable[[str], str]) -> None:
    topic = unique("topic")
    log.create_topic(TopicSpec(topic))

    with log.consumer() as consumer:
        with pytest.raises(ConsumerStateError, match="consumer group"):
            consumer.subscribe([topic])
        consumer.assign([TopicPartition(topic, 0)])
        with pytest.raises(ConsumerStateError, match="consumer group"):
            consumer.commit()


def test_log_keeps_working_after_a_consumed_topic_is_deleted(
    log: EventLog, unique: Callable[[str], str]
) -> None:
    # librdkafka crashed (NULL topic name in its metadata cache) when a client that had
    # fetched from a topic saw the broker delete it; offset lookups use throwaway consumers.
    topic, other = unique("topic"), unique("topic")
    log.create_topic(TopicSpec(topic, partitions=2))
    log.create_topic(TopicSpec(other))
    with log.producer() as producer:
        producer.send(topic, b"v", partition=1)
    assert dict(log.describe_topic(topic).end_offsets) == {0: 0, 1: 1}

    log.delete_topic(topic)

    assert topic not in [t.name for t in log.list_topics()]
    assert dict(log.describe_topic(other).end_offsets) == {0: 0}


def test_auto_commit_covers_a_polls_records_once_the_next_poll_starts(
    log: EventLog, unique: Callable[[str], str]
) -> None:
    topic, group = unique("topic"), unique("group")
    log.create_topic(TopicSpec(topic))
    with log.producer() as producer:
        for n in range(10):
            producer.send(topic, str(n).encode())
    tp = TopicPartition(topic, 0)
    options = ConsumerOptions(group=group, auto_commit_interval_ms=100)

    with log.consumer(options) as consumer:
        consumer.assign([tp])
        batches: list[list[Record]] = []
        deadline = time.monotonic() + WAIT_S
        while sum(map(len, batches)) < 10 and time.monotonic() < deadline:
            batch = consumer.poll(timeout=0.5, max_records=4)
            if batch:
                batches.append(batch)
        time.sleep(0.6)  # several auto-commit intervals
        # the last poll's records may still be in flight in the caller: not committed yet
        assert log.committed_offsets(group, topic) == {0: batches[-1][0].offset}

        consumer.poll(timeout=0.1)
        time.sleep(0.6)
        assert log.committed_offsets(group, topic) == {0: 10}
