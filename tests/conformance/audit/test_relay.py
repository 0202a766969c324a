"""The outbox relay to the mesh events topic, on every store and every log backend."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from streammesh.audit import (
    EVENT_TYPE_HEADER,
    MESH_EVENTS_TOPIC,
    AuditLog,
    AuditRecord,
    EventRelay,
    read_mesh_events,
)
from streammesh.log import (
    DeliveryFailed,
    EventLog,
    Producer,
    ProducerOptions,
    TopicPartition,
)
from streammesh.store import MetadataStore
from tests.conformance.audit.conftest import PAIRS, T0, entry

RelayFactory = Callable[..., EventRelay]


@pytest.fixture(params=PAIRS)
def backends(request: pytest.FixtureRequest) -> tuple[str, str]:
    pair: tuple[str, str] = request.param
    return pair


@pytest.fixture
def store_kind(backends: tuple[str, str]) -> str:
    return backends[0]


@pytest.fixture
def log_kind(backends: tuple[str, str]) -> str:
    return backends[1]


class Crash(BaseException):
    """Stands for the process dying between the log's acknowledgement and the mark."""


def test_relay_appends_committed_rows_in_id_order_and_marks_them(
    audit: AuditLog,
    make_relay: RelayFactory,
    commit: Callable[..., list[int]],
    read_topic: Callable[[], list[AuditRecord]],
) -> None:
    ids = commit(3, subject="execution.stocktrades.v1") + commit(2, subject="domain:execution")
    relay = make_relay()

    assert relay.relay() == 5
    assert relay.relay() == 0  # idempotent: everything is marked relayed

    on_topic = read_topic()
    assert [event.id for event in on_topic] == ids
    assert on_topic == audit.entries()
    ids += commit(5)
    assert make_relay(batch_size=2).relay() == 5  # a new relay, in batches, in order
    assert [event.id for event in read_topic()] == ids


def test_events_carry_subject_key_json_document_and_type_header(
    log: EventLog,
    topic: str,
    audit: AuditLog,
    make_relay: RelayFactory,
    commit: Callable[..., list[int]],
) -> None:
    [audit_id] = commit(1)
    make_relay().relay()

    with log.consumer() as reader:
        reader.assign([TopicPartition(topic, 0)])
        reader.seek_to_beginning()
        [record] = reader.poll(timeout=10.0)
    assert record.key == b"execution.stocktrades.v1"
    assert record.headers == ((EVENT_TYPE_HEADER, b"product.updated"),)
    assert record.timestamp_ms == int(T0.timestamp() * 1000)
    assert record.value is not None
    assert json.loads(record.value) == {
        "id": audit_id,
        "type": "product.updated",
        "subject": "execution.stocktrades.v1",
        "actor": "cli:alice",
        "at": "2026-11-23T09:30:00Z",
        "before": None,
        "after": {"sequence": 0, "status": "published"},
        "note": "change 0",
    }
    assert json.loads(record.value) == audit.entries()[0].document()


def test_the_topic_is_created_with_one_partition_and_full_history(
    log: EventLog, topic: str, make_relay: RelayFactory
) -> None:
    assert make_relay().relay() == 0

    spec = log.describe_topic(topic).spec
    assert (spec.partitions, spec.retention_ms, spec.retention_bytes) == (1, None, None)
    assert read_mesh_events(log, topic=topic) == []


def test_rows_of_a_rolled_back_transaction_are_never_relayed(
    store: MetadataStore,
    audit: AuditLog,
    make_relay: RelayFactory,
    read_topic: Callable[[], list[AuditRecord]],
) -> None:
    with pytest.raises(ZeroDivisionError), store.write("test-change") as connection:
        audit.record(connection, entry(), at=T0)
        _ = 1 / 0

    assert make_relay().relay() == 0
    assert read_topic() == []


def test_rows_left_by_a_relay_that_died_before_marking_are_sent_again(
    store: MetadataStore,
    log: EventLog,
    topic: str,
    commit: Callable[..., list[int]],
    make_relay: RelayFactory,
    read_topic: Callable[[], list[AuditRecord]],
) -> None:
    ids = commit(3)
    dying = EventRelay(store, _CrashAfterFlush(log), topic=topic)  # type: ignore[arg-type]
    with pytest.raises(Crash):
        dying.relay()

    # A new relay (as in a restarted process) sends the batch again: nothing lost, and the
    # duplicates are whole events a consumer can drop by id.
    assert make_relay().relay() == 3
    assert make_relay().relay() == 0
    assert [event.id for event in read_topic()] == ids + ids


def test_a_failed_append_marks_nothing_and_the_next_relay_sends_it(
    store: MetadataStore,
    log: EventLog,
    topic: str,
    commit: Callable[..., list[int]],
    make_relay: RelayFactory,
    read_topic: Callable[[], list[AuditRecord]],
) -> None:
    ids = commit(2)
    with pytest.raises(DeliveryFailed):
        EventRelay(store, _FailingFlush(log), topic=topic).relay()  # type: ignore[arg-type]

    assert make_relay().relay() == 2
    assert [event.id for event in read_topic()] == ids


def test_read_mesh_events_pages_by_offset(
    log: EventLog, topic: str, commit: Callable[..., list[int]], make_relay: RelayFactory
) -> None:
    ids = commit(5)
    make_relay().relay()

    first = read_mesh_events(log, topic=topic, max_events=2, timeout=10.0)
    rest = read_mesh_events(log, topic=topic, from_offset=len(first), timeout=10.0)
    assert [event.id for event in first] == ids[:2]
    assert [event.id for event in rest] == ids[2:]
    assert read_mesh_events(log, topic=topic, from_offset=5) == []


class _CrashAfterFlush:
    """The log under test, except that its producers die right after a successful flush."""

    def __init__(self, log: EventLog) -> None:
        self._log = log

    def __getattr__(self, name: str) -> object:
        return getattr(self._log, name)

    def producer(self, options: ProducerOptions | None = None) -> Producer:
        real = self._log.producer(options)

        class Dying:
            def __getattr__(self, name: str) -> object:
                return getattr(real, name)

            def flush(self, timeout: float | None = None) -> None:
                real.flush(timeout)
                raise Crash

            def close(self) -> None:
                real.close()

        return Dying()  # type: ignore[return-value]


class _FailingFlush(_CrashAfterFlush):
    """The log under test, except that nothing sent is acknowledged."""

    def producer(self, options: ProducerOptions | None = None) -> Producer:
        class Refusing:
            def send(self, *args: object, **kwargs: object) -> None:
                pass

            def flush(self, timeout: float | None = None) -> None:
                raise DeliveryFailed(2, "broker unreachable")

            def close(self) -> None:
                pass

        return Refusing()  # type: ignore[return-value]


def test_the_default_topic_is_mesh_events(
    store: MetadataStore, log: EventLog, log_kind: str, commit: Callable[..., list[int]]
) -> None:
    if log_kind == "kafka":
        pytest.skip("the session's Kafka broker is shared; other tests use their own topics")
    ids = commit(2)
    with EventRelay(store, log) as relay:
        assert relay.topic == MESH_EVENTS_TOPIC == "_mesh.events"
        assert relay.relay() == 2
    assert [event.id for event in read_mesh_events(log)] == ids
    assert {t.name for t in log.list_topics()} >= {"_mesh.events"}
