"""The embedded producer's linger adapts to the load: a quiet producer's records are written
at once, without waiting for ``linger_ms`` or a ``flush``; a busy producer's records still
share big batches."""

from __future__ import annotations

import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    Producer,
    ProducerOptions,
    TopicPartition,
    TopicSpec,
    open_log,
)

TOPIC = "linger.events"
# Far longer than any commit, so "written at once" and "written after the linger" differ
# clearly even on a loaded machine.
LONG_LINGER_MS = 2_000.0


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    opened = open_log(f"embedded://{tmp_path / 'log'}")
    try:
        opened.create_topic(TopicSpec(TOPIC, partitions=1))
        yield opened
    finally:
        opened.close()


def _batch_rows(directory: Path) -> int:
    conn = sqlite3.connect(directory / "log.db")
    try:
        rows: int = conn.execute("SELECT count(*) FROM batches").fetchone()[0]
    finally:
        conn.close()
    return rows


def test_a_lone_record_is_readable_without_waiting_for_the_linger(log: EventLog) -> None:
    partition = TopicPartition(TOPIC, 0)
    with (
        log.producer(ProducerOptions(linger_ms=LONG_LINGER_MS)) as producer,
        log.consumer(ConsumerOptions(auto_commit=False)) as consumer,
    ):
        consumer.assign([partition])
        consumer.seek_to_beginning([partition])
        sent = time.monotonic()
        producer.send(TOPIC, b"alone", key=b"k")  # no flush

        received = consumer.poll(timeout=LONG_LINGER_MS / 2_000)
        waited = time.monotonic() - sent

    assert [r.value for r in received] == [b"alone"]
    assert waited < LONG_LINGER_MS / 2_000


def test_records_sent_at_a_steady_quiet_pace_are_readable_as_they_come(log: EventLog) -> None:
    partition = TopicPartition(TOPIC, 0)
    latencies: list[float] = []
    with (
        log.producer(ProducerOptions(linger_ms=LONG_LINGER_MS)) as producer,
        log.consumer(ConsumerOptions(auto_commit=False)) as consumer,
    ):
        consumer.assign([partition])
        consumer.seek_to_beginning([partition])
        for index in range(10):
            sent = time.monotonic()
            producer.send(TOPIC, b"tick-%d" % index, key=b"k")
            received = consumer.poll(timeout=LONG_LINGER_MS / 2_000)
            latencies.append(time.monotonic() - sent)
            assert [r.value for r in received] == [b"tick-%d" % index]

    # Each record was committed on its own, long before the linger would have run out.
    assert statistics.median(latencies) < LONG_LINGER_MS / 10_000


def test_records_sent_in_a_fast_stream_still_share_batches(log: EventLog, tmp_path: Path) -> None:
    records = 50_000
    value = b"v" * 100
    with log.producer(ProducerOptions(linger_ms=LONG_LINGER_MS)) as producer:
        for index in range(records):
            producer.send(TOPIC, value, key=b"key-%d" % (index % 100))
        producer.flush()

    assert log.describe_topic(TOPIC).end_offsets == {0: records}
    # 50,000 records of ~130 bytes are ~6.5 MB: a handful of 1 MiB batches, plus the few small
    # ones written at once before the producer was seen to be streaming.
    assert _batch_rows(tmp_path / "log") <= 20


def test_threads_sharing_a_producer_lose_mix_or_reorder_nothing(log: EventLog) -> None:
    # The writer takes the buffer while the threads add to it (a short linger, many writes).
    threads, per_thread = 4, 5_000

    def send_all(producer: Producer, thread: int) -> None:
        for seq in range(per_thread):
            key = b"thread-%d" % thread
            producer.send(TOPIC, key + b":%d" % seq, key=key)

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        with log.producer(ProducerOptions(linger_ms=0.5)) as producer:
            workers = [
                threading.Thread(target=send_all, args=(producer, thread))
                for thread in range(threads)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            producer.flush()
    finally:
        sys.setswitchinterval(switch_interval)

    partition = TopicPartition(TOPIC, 0)
    seen: dict[bytes, list[int]] = {}
    with log.consumer(ConsumerOptions(auto_commit=False)) as consumer:
        consumer.assign([partition])
        consumer.seek_to_beginning([partition])
        while batch := consumer.poll(timeout=0.5):
            for record in batch:
                assert record.key is not None and record.value is not None
                key, _, seq = record.value.partition(b":")
                assert key == record.key  # each value stayed with its own key
                seen.setdefault(key, []).append(int(seq))
    assert seen == {b"thread-%d" % t: list(range(per_thread)) for t in range(threads)}


def test_one_write_to_hundreds_of_partitions_moves_every_end_offset(log: EventLog) -> None:
    # One commit of 400 batches: more rows than one SQL statement takes parameters for.
    log.create_topic(TopicSpec("wide.events", partitions=400))
    with log.producer(ProducerOptions(linger_ms=LONG_LINGER_MS)) as producer:
        for round_ in range(2):
            for partition in range(400):
                producer.send("wide.events", b"%d" % round_, partition=partition)
        producer.flush()

    assert log.describe_topic("wide.events").end_offsets == dict.fromkeys(range(400), 2)
    partitions = [TopicPartition("wide.events", p) for p in (0, 399)]
    with log.consumer(ConsumerOptions(auto_commit=False)) as consumer:
        consumer.assign(partitions)
        consumer.seek_to_beginning(partitions)
        records = consumer.poll(timeout=1.0)
    assert sorted((r.partition, r.offset, r.value) for r in records) == [
        (p, o, b"%d" % o) for p in (0, 399) for o in range(2)
    ]
