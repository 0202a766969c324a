"""What the embedded log adds to Kafka's transaction rules: a transaction lives in the
producer's memory until it commits, so its size is bounded, its timeout is judged at commit,
and a deleted topic aborts it whole (the conformance suite covers the shared rules)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.log.base import ProducerOptions, TopicPartition, TopicSpec
from streammesh.log.embedded.log import EmbeddedLog
from streammesh.log.errors import TransactionAborted, TransactionStateError

TOPIC = "orders"
OTHER = "payments"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EmbeddedLog]:
    opened = EmbeddedLog(tmp_path / "log", clean_interval_s=None)
    opened.create_topic(TopicSpec(TOPIC, partitions=2))
    opened.create_topic(TopicSpec(OTHER))
    yield opened
    opened.close()


def end_offsets(log: EmbeddedLog, topic: str) -> dict[int, int]:
    return dict(log.describe_topic(topic).end_offsets)


def test_a_transaction_larger_than_the_buffer_is_refused_at_the_send(log: EmbeddedLog) -> None:
    options = ProducerOptions(transactional_id="big", buffer_max_bytes=1_000)
    with log.producer(options) as producer:
        producer.init_transactions()
        producer.begin_transaction()
        for _ in range(8):  # 100 bytes + about 24 of bookkeeping each
            producer.send(TOPIC, b"x" * 100)
        with pytest.raises(TransactionStateError, match=r"buffer_max_bytes \(1000 bytes\)"):
            producer.send(TOPIC, b"x" * 100)
        producer.commit_transaction()  # what was accepted commits

    assert sum(end_offsets(log, TOPIC).values()) == 8


def test_a_transaction_open_longer_than_its_timeout_is_aborted_at_commit(
    log: EmbeddedLog,
) -> None:
    options = ProducerOptions(transactional_id="slow", transaction_timeout_ms=50)
    with log.producer(options) as producer:
        producer.init_transactions()
        producer.begin_transaction()
        producer.send(TOPIC, b"late")
        producer.send_offsets_to_transaction({TopicPartition(OTHER, 0): 1}, "readers")
        time.sleep(0.1)
        with pytest.raises(TransactionAborted, match=r"transaction_timeout_ms \(50 ms\)"):
            producer.commit_transaction()
        producer.begin_transaction()  # the producer goes on
        producer.commit_transaction()

    assert end_offsets(log, TOPIC) == {0: 0, 1: 0}
    assert log.committed_offsets("readers", OTHER) == {0: None}


def test_a_deleted_topic_aborts_the_whole_transaction(log: EmbeddedLog) -> None:
    with log.producer(ProducerOptions(transactional_id="two-topics")) as producer:
        producer.init_transactions()
        producer.begin_transaction()
        producer.send(OTHER, b"kept?")
        producer.send(TOPIC, b"gone")
        producer.send_offsets_to_transaction({TopicPartition(OTHER, 0): 1}, "readers")
        log.delete_topic(TOPIC)
        with pytest.raises(TransactionAborted, match=f"topic '{TOPIC}' was deleted"):
            producer.commit_transaction()

    assert end_offsets(log, OTHER) == {0: 0}
    assert log.committed_offsets("readers", OTHER) == {0: None}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"transactional_id": ""}, "transactional_id must be a non-empty string"),
        ({"transactional_id": "t", "transaction_timeout_ms": 0}, "transaction_timeout_ms"),
    ],
)
def test_bad_transactional_options_are_refused(
    log: EmbeddedLog, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(TransactionStateError, match=message):
        log.producer(ProducerOptions(**settings))  # type: ignore[arg-type]
