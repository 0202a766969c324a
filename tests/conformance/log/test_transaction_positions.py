"""A consumer's position moves past a transaction's end as Kafka's does: after reading a
committed transaction whole, ``position`` is the partition's end, not the offset of the
commit marker the broker wrote after the records (a reader waiting for ``position == end``,
such as a state store's restore, would otherwise wait forever)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from streammesh.log import (
    Capability,
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    ProducerOptions,
    TopicPartition,
)
from tests.conformance.log.conftest import WAIT_S, ConsumerFactory


@pytest.mark.parametrize("isolation", list(IsolationLevel))
def test_position_reaches_the_end_after_a_committed_transaction(
    log: EventLog,
    require: Callable[[Capability], None],
    new_topic: Callable[..., str],
    make_consumer: ConsumerFactory,
    isolation: IsolationLevel,
) -> None:
    require(Capability.TRANSACTIONS)
    topic = new_topic()
    tp = TopicPartition(topic, 0)
    with log.producer(ProducerOptions(transactional_id=f"txn-{uuid.uuid4().hex[:10]}")) as producer:
        producer.init_transactions()
        for batch in range(2):
            producer.begin_transaction()
            producer.send(topic, b"v%d" % batch, key=b"k")
            producer.commit_transaction()

    reader = make_consumer(ConsumerOptions(isolation_level=isolation))
    reader.assign([tp])
    reader.seek_to_beginning()
    end = reader.end_offsets([tp])[tp]
    values: list[bytes | None] = []
    deadline = time.monotonic() + WAIT_S
    while reader.position(tp) < end and time.monotonic() < deadline:
        values.extend(record.value for record in reader.poll(timeout=0.2))
    assert values == [b"v0", b"v1"]
    assert reader.position(tp) == end

    reader.seek(tp, 0)  # a seek back is exact again until records are read
    assert reader.position(tp) == 0
