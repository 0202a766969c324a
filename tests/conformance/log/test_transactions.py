"""Transactions: a transactional producer's records and the consumer-group offsets sent with
them are committed all together or not at all, as Kafka's exactly-once model defines it.

Every test runs on both backends. Where they differ by design it is said: the embedded log
writes a transaction only when it commits, so even a ``read_uncommitted`` consumer never sees
an open one, while Kafka's brokers hold an open transaction's records for everyone that reads
uncommitted.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable

import pytest

from streammesh.log import (
    Capability,
    ConsumerOptions,
    ConsumerStateError,
    EventLog,
    IsolationLevel,
    Producer,
    ProducerFenced,
    ProducerOptions,
    Record,
    TopicPartition,
    TransactionAborted,
    TransactionStateError,
)
from tests.conformance.log.conftest import ConsumerFactory, group_options, poll_until

COMMITTED = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED)
UNCOMMITTED = ConsumerOptions(isolation_level=IsolationLevel.READ_UNCOMMITTED)

TANSU_SHOWS_ABORTED = (
    "tansu 0.6 sends no aborted-transaction list in Fetch responses, so librdkafka hands "
    "aborted records to read_committed consumers; a Kafka broker filters them"
)


@pytest.fixture(autouse=True)
def _transactional(require: Callable[[Capability], None]) -> None:
    require(Capability.TRANSACTIONS)


@pytest.fixture
def make_producer(log: EventLog) -> object:
    """Make producers that are closed after the test (closing a fenced one may raise)."""
    made: list[Producer] = []

    def make(transactional_id: str | None = None) -> Producer:
        producer = log.producer(ProducerOptions(transactional_id=transactional_id))
        made.append(producer)
        return producer

    yield make
    for producer in reversed(made):
        with contextlib.suppress(ProducerFenced):
            producer.close()


def txn_id() -> str:
    return f"txn-{uuid.uuid4().hex[:10]}"


def read_from_start(
    make_consumer: ConsumerFactory,
    options: ConsumerOptions,
    topic: str,
    partitions: int = 1,
    expect: int = 0,
    timeout: float = 3.0,
) -> list[Record]:
    """Read ``topic`` from the beginning with a group-less consumer: ``expect`` records, or
    whatever arrives within ``timeout`` seconds when expecting none."""
    consumer = make_consumer(options)
    consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
    consumer.seek_to_beginning()
    records = poll_until(consumer, expect, timeout=30.0) if expect else []
    records.extend(consumer.poll(timeout=timeout if not expect else 0.5))
    return records


def values(records: list[Record]) -> list[bytes | None]:
    return [record.value for record in records]


def test_a_committed_transaction_is_read_whole_and_in_offset_order(
    make_producer: Callable[..., Producer],
    new_topic: Callable[..., str],
    make_consumer: ConsumerFactory,
) -> None:
    topic = new_topic()
    producer = make_producer(txn_id())
    producer.init_transactions()
    producer.begin_transaction()
    sent = [f"event-{n}".encode() for n in range(20)]
    for value in sent:
        producer.send(topic, value)
    producer.commit_transaction()

    records = read_from_start(make_consumer, COMMITTED, topic, expect=len(sent))

    assert values(records) == sent
    offsets = [record.offset for record in records]
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)


def test_an_aborted_transaction_is_never_read_committed(
    backend: str,
    request: pytest.FixtureRequest,
    make_producer: Callable[..., Producer],
    new_topic: Callable[..., str],
    make_consumer: ConsumerFactory,
) -> None:
    if backend == "kafka":
        request.applymarker(pytest.mark.xfail(strict=True, reason=TANSU_SHOWS_ABORTED))
    topic = new_topic(partitions=2)
    producer = make_producer(txn_id())
    producer.init_transactions()
    producer.begin_transaction()
    for n in range(10):
        producer.send(topic, f"aborted-{n}".encode(), key=str(n).encode())
    producer.flush()  # on Kafka the aborted records really reach the broker
    producer.abort_transaction()
    producer.begin_transaction()
    for n in range(10):
        producer.send(topic, f"kept-{n}".encode(), key=str(n).encode())
    producer.commit_transaction()

    records = read_from_start(make_consumer, COMMITTED, topic, partitions=2, expect=10)

    assert sorted(values(records)) == sorted(f"kept-{n}".encode() for n in range(10))


def test_an_open_transaction_is_invisible_to_read_committed_until_it_commits(
    backend: str,
    make_producer: Callable[..., Producer],
    producer: Producer,
    new_topic: Callable[..., str],
    make_consumer: ConsumerFactory,
) -> None:
    topic = new_topic()
    tp = TopicPartition(topic, 0)
    producer.send(topic, b"before")  # outside any transaction: readable at once
    producer.flush()
    transactional = make_producer(txn_id())
    transactional.init_transactions()
    transactional.begin_transaction()
    for n in range(5):
        transactional.send(topic, f"open-{n}".encode())
    transactional.flush()

    committed_reader = make_consumer(COMMITTED)
    committed_reader.assign([tp])
    committed_reader.seek_to_beginning()
    assert values(poll_until(committed_reader, 1)) == [b"before"]
    assert committed_reader.poll(timeout=2.0) == []
    # The last stable offset: the end stops before the open transaction.
    assert committed_reader.end_offsets([tp]) == {tp: 1}
    assert committed_reader.lag() == {tp: 0}

    uncommitted = read_from_start(make_consumer, UNCOMMITTED, topic, expect=1, timeout=2.0)
    if backend == "kafka":
        # Kafka's brokers hold the open transaction's records; read_uncommitted returns them.
        assert values(uncommitted) == [b"before"] + [f"open-{n}".encode() for n in range(5)]
    else:
        # The embedded log writes a transaction only when it commits: nothing to see yet.
        assert values(uncommitted) == [b"before"]

    transactional.commit_transaction()
    later = poll_until(committed_reader, 5)
    assert values(later) == [f"open-{n}".encode() for n in range(5)]
    end = committed_reader.end_offsets([tp])[tp]
    assert end > later[-1].offset
    assert committed_reader.poll(timeout=0.5) == []


def test_a_producer_closed_mid_transaction_aborts_it(
    make_producer: Callable[..., Producer],
    producer: Producer,
    new_topic: Callable[..., str],
    make_consumer: ConsumerFactory,
) -> None:
    topic = new_topic()
    transactional = make_producer(txn_id())
    transactional.init_transactions()
    transactional.begin_transaction()
    transactional.send(topic, b"never")
    transactional.close()
    producer.send(topic, b"after")
    producer.flush()

    # read_committed is not held back by the closed producer's transaction.
    records = read_from_start(make_consumer, COMMITTED, topic, expect=1, timeout=1.0)

    assert values(records) == [b"after"]


def test_offsets_sent_with_a_transaction_are_committed_only_with_it(
    log: EventLog,
    make_producer: Callable[..., Producer],
    producer: Producer,
    new_topic: Callable[..., str],
    group_id: Callable[[], str],
    make_consumer: ConsumerFactory,
) -> None:
    # The aborted transaction writes to a topic of its own: that its records are never read
    # committed is test_an_aborted_transaction_is_never_read_committed (which the test broker
    # fails); here only its offsets matter.
    source, sink, aborted_sink = new_topic(), new_topic(), new_topic()
    for n in range(6):
        producer.send(source, f"in-{n}".encode())
    producer.flush()
    group = group_id()
    consumer = make_consumer(
        group_options(group, auto_commit=False, isolation_level=IsolationLevel.READ_COMMITTED)
    )
    consumer.subscribe([source])
    tp = TopicPartition(source, 0)
    received = poll_until(consumer, 6)
    assert len(received) == 6
    transactional = make_producer(txn_id())
    transactional.init_transactions()

    # An aborted transaction: its offsets do not count.
    transactional.begin_transaction()
    for record in received[:3]:
        transactional.send(aborted_sink, b"out-" + (record.value or b""))
    transactional.send_offsets_to_transaction({tp: 3}, consumer.group_metadata())
    transactional.abort_transaction()
    assert consumer.committed([tp]) == {tp: None}
    assert log.committed_offsets(group, source) == {0: None}

    # A committed one: output and offsets appear together.
    transactional.begin_transaction()
    for record in received:
        transactional.send(sink, b"out-" + (record.value or b""))
    transactional.send_offsets_to_transaction({tp: 6}, consumer.group_metadata())
    assert consumer.committed([tp]) == {tp: None}
    transactional.commit_transaction()

    assert consumer.committed([tp]) == {tp: 6}
    output = read_from_start(make_consumer, COMMITTED, sink, expect=6)
    assert values(output) == [f"out-in-{n}".encode() for n in range(6)]


def test_offsets_may_name_the_group_by_id(
    log: EventLog,
    make_producer: Callable[..., Producer],
    new_topic: Callable[..., str],
    group_id: Callable[[], str],
) -> None:
    source = new_topic(partitions=2)
    group = group_id()
    transactional = make_producer(txn_id())
    transactional.init_transactions()
    transactional.begin_transaction()
    transactional.send_offsets_to_transaction(
        {TopicPartition(source, 0): 4, TopicPartition(source, 1): 0}, group
    )
    transactional.commit_transaction()

    assert log.committed_offsets(group, source) == {0: 4, 1: 0}


def test_a_second_producer_with_the_same_transactional_id_fences_the_first(
    make_producer: Callable[..., Producer],
    new_topic: Callable[..., str],
    make_consumer: ConsumerFactory,
) -> None:
    topic = new_topic()
    shared = txn_id()
    zombie = make_producer(shared)
    zombie.init_transactions()
    zombie.begin_transaction()
    zombie.send(topic, b"from-zombie")
    zombie.flush()

    successor = make_producer(shared)
    successor.init_transactions()
    successor.begin_transaction()
    successor.send(topic, b"from-successor")
    successor.commit_transaction()

    # The zombie wakes up and goes on with its transaction.
    zombie.send(topic, b"from-zombie-again")
    with pytest.raises(ProducerFenced) as fenced:
        zombie.commit_transaction()
    assert fenced.value.transactional_id == shared
    assert shared in str(fenced.value)
    with pytest.raises(ProducerFenced):
        zombie.begin_transaction()
    records = read_from_start(make_consumer, COMMITTED, topic, expect=1, timeout=1.0)
    assert b"from-successor" in values(records)


def test_the_transaction_a_fenced_producer_left_open_is_never_read_committed(
    backend: str,
    request: pytest.FixtureRequest,
    make_producer: Callable[..., Producer],
    new_topic: Callable[..., str],
    make_consumer: ConsumerFactory,
) -> None:
    if backend == "kafka":
        request.applymarker(pytest.mark.xfail(strict=True, reason=TANSU_SHOWS_ABORTED))
    topic = new_topic()
    shared = txn_id()
    zombie = make_producer(shared)
    zombie.init_transactions()
    zombie.begin_transaction()
    zombie.send(topic, b"from-zombie")
    zombie.flush()
    successor = make_producer(shared)
    successor.init_transactions()  # aborts the zombie's transaction
    successor.begin_transaction()
    successor.send(topic, b"from-successor")
    successor.commit_transaction()

    records = read_from_start(make_consumer, COMMITTED, topic, expect=1, timeout=1.0)

    assert values(records) == [b"from-successor"]


def test_transactional_calls_on_a_plain_producer_are_refused(
    producer: Producer, new_topic: Callable[..., str]
) -> None:
    topic = new_topic()
    calls: list[Callable[[], None]] = [
        producer.init_transactions,
        producer.begin_transaction,
        producer.commit_transaction,
        producer.abort_transaction,
        lambda: producer.send_offsets_to_transaction({TopicPartition(topic, 0): 1}, "g"),
    ]
    for call in calls:
        with pytest.raises(TransactionStateError, match=r"not transactional.*transactional_id"):
            call()


def test_transactional_calls_out_of_order_are_refused_and_write_nothing(
    make_producer: Callable[..., Producer],
    new_topic: Callable[..., str],
    make_consumer: ConsumerFactory,
) -> None:
    topic = new_topic()
    producer = make_producer(txn_id())
    with pytest.raises(TransactionStateError, match=r"begin_transaction.*init_transactions"):
        producer.begin_transaction()
    with pytest.raises(TransactionStateError, match="init_transactions"):
        producer.send(topic, b"too early")
    producer.init_transactions()
    with pytest.raises(TransactionStateError, match="cannot init_transactions"):
        producer.init_transactions()
    with pytest.raises(TransactionStateError, match=f"send to '{topic}'.*begin_transaction"):
        producer.send(topic, b"outside")
    for call in (producer.commit_transaction, producer.abort_transaction):
        with pytest.raises(TransactionStateError, match="no transaction is open"):
            call()
    producer.begin_transaction()
    with pytest.raises(TransactionStateError, match="a transaction is open"):
        producer.begin_transaction()
    producer.abort_transaction()

    assert read_from_start(make_consumer, UNCOMMITTED, topic, timeout=1.0) == []


def test_an_unknown_isolation_level_is_refused() -> None:
    with pytest.raises(ConsumerStateError, match=r"isolation_level.*read_committed.*'serial'"):
        ConsumerOptions(isolation_level="serial")  # type: ignore[arg-type]
    assert ConsumerOptions(isolation_level="read_committed").isolation_level is (  # type: ignore[arg-type]
        IsolationLevel.READ_COMMITTED
    )
    assert ConsumerOptions().isolation_level is IsolationLevel.READ_UNCOMMITTED


def test_a_member_that_lost_its_partitions_cannot_commit_their_offsets(
    backend: str,
    request: pytest.FixtureRequest,
    log: EventLog,
    make_producer: Callable[..., Producer],
    new_topic: Callable[..., str],
    group_id: Callable[[], str],
    make_consumer: ConsumerFactory,
    wait_for_assignment: Callable[..., object],
) -> None:
    if backend == "kafka":
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="tansu 0.6 does not check the member's generation in TxnOffsetCommit "
                "(the metadata librdkafka sends does carry the stale one); a Kafka broker "
                "answers ILLEGAL_GENERATION and the transaction must be aborted",
            )
        )
    source = new_topic(partitions=2)
    group = group_id()
    first = make_consumer(group_options(group, auto_commit=False))
    first.subscribe([source])
    wait_for_assignment([first], lambda assignments: len(assignments[0]) == 2)
    stale = first.group_metadata()
    second = make_consumer(group_options(group, auto_commit=False))
    second.subscribe([source])
    wait_for_assignment(
        [first, second], lambda assignments: all(len(held) == 1 for held in assignments)
    )
    [moved] = second.assignment()
    transactional = make_producer(txn_id())
    transactional.init_transactions()
    transactional.begin_transaction()

    with pytest.raises(TransactionAborted, match=r"aborted"):
        transactional.send_offsets_to_transaction({moved: 1}, stale)
        transactional.commit_transaction()

    assert log.committed_offsets(group, source) == {0: None, 1: None}
    transactional.begin_transaction()  # the producer goes on with a new transaction
    transactional.send_offsets_to_transaction({moved: 1}, second.group_metadata())
    transactional.commit_transaction()
    assert log.committed_offsets(group, source)[moved.partition] == 1
