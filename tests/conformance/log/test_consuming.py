"""Consuming: assignment, polling, seeking, positions, offsets, lag and committed offsets."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from streammesh.log import (
    Consumer,
    ConsumerOptions,
    ConsumerStateError,
    EventLog,
    OffsetReset,
    Producer,
    Record,
    TopicPartition,
)

BASE_TS = time.time_ns() // 1_000_000 - 3_600_000
"""Timestamps an hour ago: recent enough that no broker retention touches them."""


def fill(producer: Producer, topic: str, partition: int, count: int, start: int = 0) -> None:
    """Send ``count`` records to ``partition``, value = sequence, timestamp 1 s apart."""
    for seq in range(start, start + count):
        producer.send(
            topic,
            str(seq).encode(),
            key=b"k",
            partition=partition,
            timestamp_ms=BASE_TS + seq * 1_000,
        )
    producer.flush()


def offsets(records: list[Record]) -> list[tuple[int, int]]:
    return [(r.partition, r.offset) for r in records]


@pytest.fixture
def topic(new_topic: Callable[..., str], producer: Producer) -> str:
    """A two-partition topic: 10 records in partition 0, 5 in partition 1."""
    name = new_topic(partitions=2)
    fill(producer, name, 0, 10)
    fill(producer, name, 1, 5)
    return name


def test_assigned_consumer_reads_every_partition_in_offset_order(
    topic: str, make_consumer: Callable[..., Consumer], consume: Callable[..., list[Record]]
) -> None:
    consumer = make_consumer()
    consumer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])

    records = consume(consumer, 15)

    assert consumer.assignment() == {TopicPartition(topic, 0), TopicPartition(topic, 1)}
    assert len(records) == 15
    for partition, count in ((0, 10), (1, 5)):
        mine = [r for r in records if r.partition == partition]
        assert [r.offset for r in mine] == list(range(count))
        assert [r.value for r in mine] == [str(n).encode() for n in range(count)]
    assert consumer.poll(timeout=0.3) == []


def test_poll_honours_max_records(
    topic: str, make_consumer: Callable[..., Consumer], consume: Callable[..., list[Record]]
) -> None:
    consumer = make_consumer()
    consumer.assign([TopicPartition(topic, 0)])

    batches: list[list[Record]] = []
    deadline = time.monotonic() + 30
    while sum(map(len, batches)) < 10 and time.monotonic() < deadline:
        batches.append(consumer.poll(timeout=0.5, max_records=3))

    assert all(len(batch) <= 3 for batch in batches)
    assert [r.offset for batch in batches for r in batch] == list(range(10))


def test_max_poll_records_option_bounds_every_poll(
    topic: str, make_consumer: Callable[..., Consumer]
) -> None:
    consumer = make_consumer(ConsumerOptions(max_poll_records=4))
    consumer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])

    seen: list[Record] = []
    deadline = time.monotonic() + 30
    while len(seen) < 15 and time.monotonic() < deadline:
        batch = consumer.poll(timeout=0.5)
        assert len(batch) <= 4
        seen.extend(batch)

    assert len(seen) == 15


def test_seek_to_an_offset(
    topic: str, make_consumer: Callable[..., Consumer], consume: Callable[..., list[Record]]
) -> None:
    tp = TopicPartition(topic, 0)
    consumer = make_consumer()
    consumer.assign([tp])
    consume(consumer, 10)

    consumer.seek(tp, 4)

    assert consumer.position(tp) == 4
    assert [r.offset for r in consume(consumer, 6)] == [4, 5, 6, 7, 8, 9]
    assert consumer.position(tp) == 10


def test_seek_to_beginning_and_end(
    topic: str,
    make_consumer: Callable[..., Consumer],
    producer: Producer,
    consume: Callable[..., list[Record]],
) -> None:
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer = make_consumer()
    consumer.assign([tp0, tp1])

    consumer.seek_to_end()
    assert (consumer.position(tp0), consumer.position(tp1)) == (10, 5)
    assert consumer.poll(timeout=0.3) == []
    fill(producer, topic, 0, 1, start=10)
    assert offsets(consume(consumer, 1)) == [(0, 10)]

    consumer.seek_to_beginning([tp1])
    assert consumer.position(tp1) == 0
    assert offsets(consume(consumer, 5)) == [(1, n) for n in range(5)]

    consumer.seek_to_beginning()
    assert (consumer.position(tp0), consumer.position(tp1)) == (0, 0)
    assert len(consume(consumer, 16)) == 16


@pytest.mark.parametrize(
    ("timestamp", "expected_position"),
    [
        pytest.param(BASE_TS + 3_000, 3, id="exact"),
        pytest.param(BASE_TS + 3_500, 4, id="between"),
        pytest.param(0, 0, id="before-all"),
        pytest.param(BASE_TS + 100_000, 10, id="after-all"),
    ],
)
def test_seek_to_timestamp(
    topic: str,
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
    timestamp: int,
    expected_position: int,
) -> None:
    tp = TopicPartition(topic, 0)
    consumer = make_consumer()
    consumer.assign([tp])

    consumer.seek_to_timestamp(timestamp, [tp])

    assert consumer.position(tp) == expected_position
    records = consume(consumer, 10 - expected_position, timeout=3)
    assert [r.offset for r in records] == list(range(expected_position, 10))
    assert all(r.timestamp_ms >= timestamp for r in records)


def test_seek_to_timestamp_defaults_to_every_assigned_partition(
    topic: str, make_consumer: Callable[..., Consumer]
) -> None:
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer = make_consumer()
    consumer.assign([tp0, tp1])

    consumer.seek_to_timestamp(BASE_TS + 2_000)

    assert (consumer.position(tp0), consumer.position(tp1)) == (2, 2)


def test_position_end_offsets_and_lag_follow_consumption(
    topic: str,
    make_consumer: Callable[..., Consumer],
    producer: Producer,
    consume: Callable[..., list[Record]],
) -> None:
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer = make_consumer()
    consumer.assign([tp0])

    assert consumer.end_offsets([tp0, tp1]) == {tp0: 10, tp1: 5}
    assert consumer.position(tp0) == 0
    assert consumer.lag() == {tp0: 10}

    consume(consumer, 10)
    assert consumer.position(tp0) == 10
    assert consumer.lag() == {tp0: 0}

    fill(producer, topic, 0, 3, start=10)
    assert consumer.end_offsets([tp0]) == {tp0: 13}
    assert consumer.lag() == {tp0: 3}


def test_committed_offsets_are_none_until_committed(
    log: EventLog,
    topic: str,
    group_id: Callable[[], str],
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
) -> None:
    group = group_id()
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer = make_consumer(ConsumerOptions(group=group, auto_commit=False))
    consumer.assign([tp0, tp1])
    assert consumer.committed([tp0, tp1]) == {tp0: None, tp1: None}

    consume(consumer, 15)
    consumer.commit()
    assert consumer.committed([tp0, tp1]) == {tp0: 10, tp1: 5}

    consumer.commit({tp0: 4})
    assert consumer.committed([tp0]) == {tp0: 4}
    assert log.committed_offsets(group, topic) == {0: 4, 1: 5}


def test_new_consumer_of_the_group_resumes_from_the_commit(
    topic: str,
    group_id: Callable[[], str],
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
) -> None:
    group = group_id()
    tp = TopicPartition(topic, 0)
    first = make_consumer(ConsumerOptions(group=group, auto_commit=False))
    first.assign([tp])
    assert [r.offset for r in consume(first, 6, max_records=6)] == list(range(6))
    first.commit()
    first.close()

    second = make_consumer(ConsumerOptions(group=group, auto_commit=False))
    second.assign([tp])

    assert second.position(tp) == 6
    assert [r.offset for r in consume(second, 4)] == [6, 7, 8, 9]


def test_auto_commit_commits_positions_on_close(
    log: EventLog,
    topic: str,
    group_id: Callable[[], str],
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
) -> None:
    group = group_id()
    consumer = make_consumer(ConsumerOptions(group=group))
    consumer.assign([TopicPartition(topic, 0)])
    consume(consumer, 7, max_records=7)

    consumer.close()

    assert log.committed_offsets(group, topic) == {0: 7, 1: None}


def test_without_auto_commit_close_commits_nothing(
    log: EventLog,
    topic: str,
    group_id: Callable[[], str],
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
) -> None:
    group = group_id()
    consumer = make_consumer(ConsumerOptions(group=group, auto_commit=False))
    consumer.assign([TopicPartition(topic, 0)])
    consume(consumer, 10)

    consumer.close()

    assert log.committed_offsets(group, topic) == {0: None, 1: None}


def test_earliest_reset_starts_a_new_group_at_the_beginning(
    topic: str,
    group_id: Callable[[], str],
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
) -> None:
    tp = TopicPartition(topic, 1)
    consumer = make_consumer(
        ConsumerOptions(group=group_id(), auto_offset_reset=OffsetReset.EARLIEST)
    )
    consumer.assign([tp])

    assert [r.offset for r in consume(consumer, 5)] == [0, 1, 2, 3, 4]


def test_latest_reset_starts_a_new_group_at_the_end(
    topic: str,
    group_id: Callable[[], str],
    producer: Producer,
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
) -> None:
    tp = TopicPartition(topic, 1)
    consumer = make_consumer(
        ConsumerOptions(group=group_id(), auto_offset_reset=OffsetReset.LATEST)
    )
    consumer.assign([tp])

    assert consumer.position(tp) == 5
    assert consumer.poll(timeout=0.3) == []
    fill(producer, topic, 1, 2, start=5)
    assert [r.offset for r in consume(consumer, 2)] == [5, 6]


def test_committed_offset_wins_over_the_reset_policy(
    topic: str,
    group_id: Callable[[], str],
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
) -> None:
    group = group_id()
    tp = TopicPartition(topic, 0)
    committer = make_consumer(ConsumerOptions(group=group, auto_commit=False))
    committer.assign([tp])
    committer.commit({tp: 3})
    committer.close()

    for reset in OffsetReset:
        consumer = make_consumer(
            ConsumerOptions(group=group, auto_offset_reset=reset, auto_commit=False)
        )
        consumer.assign([tp])
        assert consume(consumer, 1)[0].offset == 3, reset
        consumer.close()


def test_commit_without_a_group_is_refused(
    topic: str, make_consumer: Callable[..., Consumer], consume: Callable[..., list[Record]]
) -> None:
    tp = TopicPartition(topic, 0)
    consumer = make_consumer()
    consumer.assign([tp])
    consume(consumer, 1, max_records=1)

    with pytest.raises(ConsumerStateError):
        consumer.commit()
    with pytest.raises(ConsumerStateError):
        consumer.commit({tp: 1})


def test_subscribe_without_a_group_is_refused(
    topic: str, make_consumer: Callable[..., Consumer]
) -> None:
    consumer = make_consumer()

    with pytest.raises(ConsumerStateError):
        consumer.subscribe([topic])


def test_seek_on_an_unassigned_partition_is_refused(
    topic: str, make_consumer: Callable[..., Consumer]
) -> None:
    consumer = make_consumer()
    consumer.assign([TopicPartition(topic, 0)])

    with pytest.raises(ConsumerStateError):
        consumer.seek(TopicPartition(topic, 1), 0)
    with pytest.raises(ConsumerStateError):
        consumer.seek_to_beginning([TopicPartition(topic, 1)])


def test_records_sent_after_the_consumer_started_arrive(
    topic: str,
    make_consumer: Callable[..., Consumer],
    producer: Producer,
    consume: Callable[..., list[Record]],
) -> None:
    tp = TopicPartition(topic, 1)
    consumer = make_consumer()
    consumer.assign([tp])
    consume(consumer, 5)

    fill(producer, topic, 1, 20, start=5)

    assert [r.offset for r in consume(consumer, 20)] == list(range(5, 25))


def test_many_records_arrive_in_batches_in_order(
    new_topic: Callable[..., str],
    producer: Producer,
    make_consumer: Callable[..., Consumer],
    consume: Callable[..., list[Record]],
) -> None:
    topic = new_topic(partitions=1)
    for seq in range(5_000):
        producer.send(topic, seq.to_bytes(4, "big"))
    producer.flush()
    consumer = make_consumer()
    consumer.assign([TopicPartition(topic, 0)])

    records = consume(consumer, 5_000)

    assert [r.offset for r in records] == list(range(5_000))
    assert [int.from_bytes(r.value or b"", "big") for r in records] == list(range(5_000))
