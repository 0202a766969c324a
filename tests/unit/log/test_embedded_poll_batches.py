"""An embedded consumer's poll returns what the log holds, up to ``max_records``, however
many batches the records were written in — as a Kafka poll returns what its fetches hold — and
takes the partitions in turns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.log import ConsumerOptions, EventLog, TopicPartition, TopicSpec, open_log

TOPIC = "bench.events"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    opened = open_log(f"embedded://{tmp_path / 'log'}")
    try:
        yield opened
    finally:
        opened.close()


def _write_batches(log: EventLog, batches: int, per_batch: int) -> None:
    """``batches`` separate writes (each its own batch) of ``per_batch`` records per partition."""
    for batch in range(batches):
        with log.producer() as producer:
            for partition in range(2):
                for index in range(per_batch):
                    value = f"{batch}-{index}".encode()
                    producer.send(TOPIC, value, key=b"k", partition=partition)
            producer.flush()


def test_a_poll_takes_records_of_many_batches_up_to_its_limit(log: EventLog) -> None:
    log.create_topic(TopicSpec(TOPIC, partitions=2))
    _write_batches(log, batches=6, per_batch=10)  # 60 records per partition, 6 batches each
    partitions = [TopicPartition(TOPIC, p) for p in range(2)]
    with log.consumer(ConsumerOptions(auto_commit=False)) as consumer:
        consumer.assign(partitions)
        consumer.seek_to_beginning(partitions)

        first = consumer.poll(timeout=1.0, max_records=100)
        rest = consumer.poll(timeout=1.0, max_records=100)

    assert len(first) == 100  # all ready at once, not a couple of batches per partition
    assert len(rest) == 20
    for partition in range(2):  # each partition in order, none read twice or skipped
        offsets = [r.offset for r in [*first, *rest] if r.partition == partition]
        assert offsets == list(range(60))
    # Both partitions had their turn within the first poll.
    assert {r.partition for r in first} == {0, 1}
