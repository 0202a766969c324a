"""Producing: what a consumer reads back is what was sent, where Kafka would have put it."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

from streammesh.log import EventLog, Producer, Record, TopicPartition, partition_for_key


def test_record_round_trips_key_value_headers_and_timestamp(
    new_topic: Callable[..., str], producer: Producer, read_all: Callable[[str], list[Record]]
) -> None:
    topic = new_topic()
    timestamp = time.time_ns() // 1_000_000 - 60_000
    # Repeated and empty header values are legal in Kafka, and order is part of the record.
    headers = [("trace", b"t-1"), ("b", b"\x00\xff"), ("trace", b"t-2"), ("empty", b"")]

    producer.send(topic, b"value-1", key=b"key-1", headers=headers, timestamp_ms=timestamp)
    producer.flush()

    [record] = read_all(topic)
    assert record == Record(topic, 0, 0, b"key-1", b"value-1", tuple(headers), timestamp)


def test_records_with_one_header_each_round_trip(
    new_topic: Callable[..., str], producer: Producer, read_all: Callable[[str], list[Record]]
) -> None:
    # One header per record is what a producer of classified fields writes: the usual case,
    # next to records with none, several, an empty name or value, and a non-ASCII name.
    topic = new_topic()
    sent: list[tuple[tuple[str, bytes], ...]] = [
        (("streammesh-enc-*", bytes(range(140))),),
        (),
        (("", b""),),
        (("naïve-ünïcode", b"\x00"),),
        (("streammesh-enc-*", b"short"),),
        (("a", b""), ("a", b"")),
        (("streammesh-enc-*", b"x" * 70_000),),
    ]
    for index, headers in enumerate(sent):
        producer.send(topic, b"v", key=b"k", headers=headers)
        if index == 3:
            producer.flush()  # two batches
    producer.flush()

    assert [record.headers for record in read_all(topic)] == sent


def test_a_batch_of_records_each_with_one_header_round_trips(
    new_topic: Callable[..., str], producer: Producer, read_all: Callable[[str], list[Record]]
) -> None:
    # Every record of a batch with one header of one name (a classified product's batch),
    # then a batch whose single headers have two names, then one where a record has a
    # second header after one of the first record's name, and one has none.
    topic = new_topic()
    same = [(("streammesh-enc-*", bytes([n % 256]) * n),) for n in range(0, 300, 7)]
    mixed = [(("a", b"1"),), (("b", b""),), (("a", b"22"),)]
    more_after_one = [(("a", b"1"),), (("a", b"2"), ("a", b"3")), ()]
    for batch in (same, mixed, more_after_one):
        for headers in batch:
            producer.send(topic, b"v", key=b"k", headers=headers)
        producer.flush()

    assert [record.headers for record in read_all(topic)] == same + mixed + more_after_one


def test_tombstone_and_empty_value_stay_distinct(
    new_topic: Callable[..., str], producer: Producer, read_all: Callable[[str], list[Record]]
) -> None:
    topic = new_topic()

    producer.send(topic, None, key=b"deleted")
    producer.send(topic, b"", key=b"empty")
    producer.send(topic, b"v")
    producer.flush()

    records = read_all(topic)
    assert [(r.offset, r.key, r.value, r.headers) for r in records] == [
        (0, b"deleted", None, ()),
        (1, b"empty", b"", ()),
        (2, None, b"v", ()),
    ]


def test_default_timestamp_is_the_send_time(
    new_topic: Callable[..., str], producer: Producer, read_all: Callable[[str], list[Record]]
) -> None:
    topic = new_topic()
    before = time.time_ns() // 1_000_000

    producer.send(topic, b"v")
    producer.flush()
    after = time.time_ns() // 1_000_000

    [record] = read_all(topic)
    assert before <= record.timestamp_ms <= after


def test_explicit_partition_wins_over_the_key(
    new_topic: Callable[..., str], producer: Producer, read_all: Callable[[str], list[Record]]
) -> None:
    topic = new_topic(partitions=3)
    key = b"account-7"
    elsewhere = (partition_for_key(key, 3) + 1) % 3

    producer.send(topic, b"v", key=key, partition=elsewhere)
    producer.send(topic, b"w", partition=elsewhere)
    producer.flush()

    assert [(r.partition, r.offset, r.value) for r in read_all(topic)] == [
        (elsewhere, 0, b"v"),
        (elsewhere, 1, b"w"),
    ]


def test_keyed_records_land_in_their_murmur2_partition(
    new_topic: Callable[..., str], producer: Producer, read_all: Callable[[str], list[Record]]
) -> None:
    topic = new_topic(partitions=5)
    keys = [f"customer-{n}".encode() for n in range(60)] + [b"", b"\x00", "ключ".encode()]

    for key in keys:
        producer.send(topic, b"v", key=key)
    producer.flush()

    placed = {record.key: record.partition for record in read_all(topic)}
    assert placed == {key: partition_for_key(key, 5) for key in keys}
    assert len(set(placed.values())) == 5


def test_keyless_records_spread_over_every_partition(
    log: EventLog, new_topic: Callable[..., str], producer: Producer
) -> None:
    topic = new_topic(partitions=4)
    producer.send(topic, b"first", partition=0)  # the producer knows the topic from here on
    producer.flush()

    for n in range(100):
        producer.send(topic, str(n).encode())
    producer.flush()

    ends = log.describe_topic(topic).end_offsets
    per_partition = {p: end - (1 if p == 0 else 0) for p, end in ends.items()}
    assert sum(per_partition.values()) == 100
    assert all(per_partition.values()), f"a burst of keyless records went to {per_partition}"


def test_records_of_a_key_keep_their_send_order(
    new_topic: Callable[..., str], producer: Producer, read_all: Callable[[str], list[Record]]
) -> None:
    topic = new_topic(partitions=3)
    keys = [f"k{n}".encode() for n in range(10)]
    sent = 3_000

    for seq in range(sent):
        producer.send(topic, seq.to_bytes(4, "big"), key=keys[seq % len(keys)])
    producer.flush()

    records = read_all(topic)
    assert len(records) == sent
    sequences: dict[bytes | None, list[int]] = defaultdict(list)
    for record in records:  # sorted by partition, then offset
        assert record.value is not None
        sequences[record.key].append(int.from_bytes(record.value, "big"))
    assert set(sequences) == set(keys)
    for key, seqs in sequences.items():
        assert seqs == sorted(seqs), f"records of key {key!r} are out of order"
        assert len(seqs) == sent // len(keys)


def test_offsets_are_consecutive_per_partition(
    new_topic: Callable[..., str], producer: Producer, read_all: Callable[[str], list[Record]]
) -> None:
    topic = new_topic(partitions=2)

    for n in range(50):
        producer.send(topic, b"v", partition=n % 2)
    producer.flush()

    records = read_all(topic)
    for partition in (0, 1):
        offsets = [r.offset for r in records if r.partition == partition]
        assert offsets == list(range(25))


def test_flush_makes_every_sent_record_visible(
    log: EventLog, new_topic: Callable[..., str], producer: Producer
) -> None:
    topic = new_topic(partitions=2)

    for n in range(1_000):
        producer.send(topic, n.to_bytes(4, "big"), key=n.to_bytes(4, "big"))
    producer.flush()

    assert sum(log.describe_topic(topic).end_offsets.values()) == 1_000


def test_close_flushes_pending_records(log: EventLog, new_topic: Callable[..., str]) -> None:
    topic = new_topic()

    with log.producer() as producer:
        for _ in range(10):
            producer.send(topic, b"v")

    assert dict(log.describe_topic(topic).end_offsets) == {0: 10}


def test_records_are_visible_to_another_handle_on_the_same_log(
    open_backend: Callable[..., EventLog],
    new_topic: Callable[..., str],
    producer: Producer,
    consume: Callable[..., list[Record]],
) -> None:
    topic = new_topic()
    producer.send(topic, b"shared", key=b"k")
    producer.flush()

    other = open_backend(None)

    assert dict(other.describe_topic(topic).end_offsets) == {0: 1}
    with other.consumer() as consumer:
        consumer.assign([TopicPartition(topic, 0)])
        consumer.seek_to_beginning()
        assert [(r.key, r.value) for r in consume(consumer, 1)] == [(b"k", b"shared")]
