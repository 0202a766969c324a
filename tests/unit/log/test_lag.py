"""Consumer-group lag by offsets, on a real embedded log: the one computation that monitoring
(``observe``) and lineage both show."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    Maintainable,
    PartitionLag,
    TopicPartition,
    TopicSpec,
    open_log,
    partition_lags,
)

TOPIC = "execution.stocktrades.v1"
HOUR_MS = 3_600_000


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    opened = open_log(f"embedded://{tmp_path / 'log'}")
    try:
        yield opened
    finally:
        opened.close()


def _send(log: EventLog, partition: int, timestamps_ms: list[int]) -> None:
    with log.producer() as producer:
        for at_ms in timestamps_ms:
            producer.send(TOPIC, b"x", key=b"k", partition=partition, timestamp_ms=at_ms)
            producer.flush(10)  # one batch per record: retention drops whole batches


def _commit(log: EventLog, group: str, offsets: dict[int, int]) -> None:
    options = ConsumerOptions(group=group, auto_commit=False)
    with log.consumer(options) as consumer:
        consumer.assign([TopicPartition(TOPIC, p) for p in offsets])
        consumer.commit({TopicPartition(TOPIC, p): o for p, o in offsets.items()})


def test_lag_per_partition_is_from_the_committed_offset_to_the_end(log: EventLog) -> None:
    log.create_topic(TopicSpec(TOPIC, partitions=3))
    now = time.time_ns() // 1_000_000
    _send(log, 0, [now] * 5)
    _send(log, 2, [now] * 4)
    _commit(log, "risk", {0: 3, 2: 4})

    assert partition_lags(log, "risk", TOPIC) == (
        PartitionLag(partition=0, committed=3, end=5, lag=2),
        PartitionLag(partition=1, committed=None, end=0, lag=0),
        PartitionLag(partition=2, committed=4, end=4, lag=0),
    )


def test_a_group_that_never_committed_is_behind_by_what_the_log_still_keeps(
    log: EventLog,
) -> None:
    # Records retention removed are not counted: the group would start at the beginning.
    log.create_topic(TopicSpec(TOPIC, partitions=1, retention_ms=HOUR_MS))
    now = time.time_ns() // 1_000_000
    _send(log, 0, [now - 3 * HOUR_MS, now - 2 * HOUR_MS, now, now])
    cast(Maintainable, log).clean(now)
    assert log.describe_topic(TOPIC).beginning_offsets[0] == 2

    assert partition_lags(log, "new-team", TOPIC) == (
        PartitionLag(partition=0, committed=None, end=4, lag=2),
    )
