"""The SDK's producer and consumer against real logs (embedded and Kafka) and a SQL registry.

Every test that does not depend on a backend's quirks runs on both logs; the Kafka ones share
the session's broker, so each product gets a topic name of its own.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streammesh.control.contract import ProductContract
from streammesh.log import (
    ConsumerOptions,
    EventLog,
    TopicNotFound,
    TopicPartition,
    TopicSpec,
    open_log,
    partition_for_key,
)
from streammesh.products.descriptor import EventKind, KeyType, Status
from streammesh.registry.base import SchemaSubmission
from streammesh.registry.errors import SchemaNotFound
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.schemas import SchemaType
from streammesh.sdk import (
    ClientClosed,
    InvalidEvent,
    ProductConsumer,
    ProductEvent,
    ProductProducer,
    UnreadableEvent,
)
from streammesh.serde import RegistryResolver, WireFormatError
from streammesh.store import open_store
from tests.support.tansu import GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS

PARTITIONS = 4
GROUP_OPTIONS = ConsumerOptions(
    session_timeout_ms=GROUP_SESSION_TIMEOUT_MS, heartbeat_interval_ms=GROUP_HEARTBEAT_INTERVAL_MS
)
WAIT_S = 30.0

TRADE_AVRO = """{"type": "record", "name": "Trade", "namespace": "execution", "fields": [
  {"name": "symbol", "type": "string"},
  {"name": "price", "type": "double"},
  {"name": "quantity", "type": "int"},
  {"name": "account", "type": {"type": "record", "name": "Account",
    "fields": [{"name": "id", "type": "long"}]}},
  {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]}}]}"""
TRADE_AVRO_V2 = TRADE_AVRO.replace(
    '"symbols": ["BUY", "SELL"]}}]}',
    '"symbols": ["BUY", "SELL"]}}, {"name": "venue", "type": "string", "default": "XNYS"}]}',
)
ORDER_JSON = """{"$schema": "http://json-schema.org/draft-07/schema#", "title": "Order",
  "type": "object", "additionalProperties": false, "required": ["order_id", "symbol", "qty"],
  "properties": {"order_id": {"type": "string"}, "symbol": {"type": "string", "minLength": 1},
    "qty": {"type": "integer", "minimum": 1},
    "legs": {"type": "array", "items": {"type": "object", "required": ["price"],
      "properties": {"price": {"type": "number", "exclusiveMinimum": 0}}}}}}"""
QUOTE_PROTO = """syntax = "proto3";
package execution;

message Quote {
  int32 venue_id = 1;
  string symbol = 2;
  double bid = 3;
  double ask = 4;
  Side side = 5;
  repeated string tags = 6;
  enum Side { BUY = 0; SELL = 1; }
}
"""


def trade(n: int, **changes: object) -> dict[str, object]:
    event: dict[str, object] = {
        "symbol": f"SYM{n % 3}",
        "price": 100.0 + n,
        "quantity": n + 1,
        "account": {"id": 1_000 + n},
        "side": "BUY" if n % 2 else "SELL",
    }
    return {**event, **changes}


def order(n: int) -> dict[str, object]:
    return {
        "order_id": str(uuid.UUID(int=n + 1)),
        "symbol": "ACME",
        "qty": n + 1,
        "legs": [{"price": 1.5 + n}],
    }


def quote(n: int) -> dict[str, object]:
    return {
        "venue_id": n - 2,
        "symbol": "ACME",
        "bid": 10.0 + n,
        "ask": 10.5 + n,
        "side": "SELL",
        "tags": [f"t{n}"],
    }


@dataclass(frozen=True)
class Format:
    """One schema format's product: its schema, key and example events."""

    schema_type: SchemaType
    schema: str
    key_field: str
    key_type: KeyType
    event: Callable[[int], dict[str, object]]
    key_of: Callable[[dict[str, object]], object]


AVRO = Format(
    SchemaType.AVRO,
    TRADE_AVRO,
    "account.id",
    KeyType.LONG,
    trade,
    lambda event: event["account"]["id"],  # type: ignore[index]
)
JSON = Format(
    SchemaType.JSON,
    ORDER_JSON,
    "order_id",
    KeyType.UUID,
    order,
    lambda event: uuid.UUID(str(event["order_id"])),
)
PROTOBUF = Format(
    SchemaType.PROTOBUF,
    QUOTE_PROTO,
    "venue_id",
    KeyType.INT,
    quote,
    lambda event: event["venue_id"],
)


@dataclass
class Mesh:
    """A log and a registry, and what the tests do with them."""

    log: EventLog
    registry: SqlSchemaRegistry
    resolver: RegistryResolver
    backend: str

    def product(self, fmt: Format = AVRO) -> ProductContract:
        name = f"t{uuid.uuid4().hex[:10]}.stocktrades"
        topic = f"{name}.v1"
        self.log.create_topic(TopicSpec(topic, partitions=PARTITIONS))
        self.registry.register(f"{topic}-value", SchemaSubmission(fmt.schema, fmt.schema_type))
        return ProductContract(
            name=name,
            version=1,
            topic=topic,
            value_subject=f"{topic}-value",
            key_field=fmt.key_field,
            key_type=fmt.key_type,
            kind=EventKind.DELTA,
            status=Status.PUBLISHED,
            team="execution",
        )

    def producer(self, contract: ProductContract) -> ProductProducer:
        return ProductProducer(self.log, self.resolver, contract)

    def consumer(
        self,
        contract: ProductContract,
        group: str | None = None,
        options: ConsumerOptions = GROUP_OPTIONS,
        *,
        from_beginning: bool = True,
    ) -> ProductConsumer:
        return ProductConsumer(
            self.log,
            self.resolver,
            contract,
            group or f"g-{uuid.uuid4().hex[:8]}",
            options,
            from_beginning=from_beginning,
        )

    def end_offsets(self, contract: ProductContract) -> dict[int, int]:
        return dict(self.log.describe_topic(contract.topic).end_offsets)


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=pytest.mark.kafka)])
def mesh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Mesh]:
    if request.param == "kafka":
        log = open_log(f"kafka://{request.getfixturevalue('kafka_bootstrap')}")
    else:
        log = open_log(f"embedded://{tmp_path}/log")
    store = open_store(f"sqlite:///{tmp_path}/meta.db")
    registry = SqlSchemaRegistry(store)
    yield Mesh(log, registry, RegistryResolver(registry), request.param)
    log.close()
    store.close()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Mesh]:
    log = open_log(f"embedded://{tmp_path}/log")
    store = open_store(f"sqlite:///{tmp_path}/meta.db")
    registry = SqlSchemaRegistry(store)
    yield Mesh(log, registry, RegistryResolver(registry), "embedded")
    log.close()
    store.close()


# -- producing and consuming --------------------------------------------------------------


@pytest.mark.parametrize("fmt", [AVRO, JSON, PROTOBUF], ids=lambda fmt: fmt.schema_type.value)
def test_events_round_trip_with_keys_in_kafkas_partitions(mesh: Mesh, fmt: Format) -> None:
    contract = mesh.product(fmt)
    events = [fmt.event(n) for n in range(12)]
    with mesh.producer(contract) as producer:
        for n, event in enumerate(events):
            producer.send(event, headers={"n": str(n).encode()}, timestamp_ms=1_700_000_000_000 + n)
        producer.flush()
        schema_id = producer.schema_id

    with mesh.consumer(contract) as consumer:
        read = consumer.take(len(events), timeout=WAIT_S)

    assert len(read) == len(events)
    by_n = {int(event.header("n") or b"-1"): event for event in read}
    for n, event in enumerate(events):
        got = by_n[n]
        assert got.value == event
        assert got.key == fmt.key_of(event)
        assert got.product == contract.reference
        assert got.schema_id == schema_id
        assert got.timestamp == datetime.fromtimestamp(1_700_000_000 + n / 1000, UTC)
    raw_keys = mesh_keys(mesh, contract, len(events))
    assert raw_keys, "the raw records were read back"
    for key, partition in raw_keys:
        assert partition == partition_for_key(key, PARTITIONS)
    assert len({partition for _, partition in raw_keys}) > 1


def mesh_keys(mesh: Mesh, contract: ProductContract, count: int) -> list[tuple[bytes, int]]:
    """The key bytes and partition of each raw record of the product's topic."""
    with mesh.log.consumer() as raw:
        raw.assign([TopicPartition(contract.topic, p) for p in range(PARTITIONS)])
        records = []
        for _ in range(60):
            records.extend(raw.poll(timeout=0.5))
            if len(records) >= count:
                break
    return [(record.key, record.partition) for record in records if record.key is not None]


def test_keys_are_the_bytes_java_serializers_write(embedded: Mesh) -> None:
    contract = embedded.product(AVRO)
    with embedded.producer(contract) as producer:
        producer.send(trade(0, account={"id": 258}))
    keys = mesh_keys(embedded, contract, 1)
    assert keys == [(b"\x00\x00\x00\x00\x00\x00\x01\x02", partition_for_key(keys[0][0], 4))]


def test_an_invalid_event_raises_naming_the_field_and_writes_nothing(mesh: Mesh) -> None:
    contract = mesh.product(AVRO)
    with mesh.producer(contract) as producer:
        producer.send(trade(0))
        producer.flush()
        before = mesh.end_offsets(contract)

        with pytest.raises(InvalidEvent) as raised:
            producer.send(trade(1, price="cheap"))
        producer.flush()

    assert raised.value.product == contract.reference
    assert raised.value.path == "price"
    assert "'price'" in str(raised.value)
    assert contract.reference in str(raised.value)
    assert mesh.end_offsets(contract) == before


@pytest.mark.parametrize(
    ("event", "path", "rule"),
    [
        ({"symbol": "ACME", "qty": 1}, "order_id", "required"),
        ({"order_id": "not-a-uuid", "symbol": "ACME", "qty": 1}, "order_id", "key.format"),
        ({"order_id": str(uuid.uuid4()), "symbol": "ACME", "qty": 0}, "qty", "minimum"),
        (
            {"order_id": str(uuid.uuid4()), "symbol": "ACME", "qty": 1, "legs": [{"price": -1}]},
            "legs[0].price",
            "exclusive-minimum",
        ),
    ],
)
def test_schema_and_key_problems_name_the_field_path(
    embedded: Mesh, event: dict[str, object], path: str, rule: str
) -> None:
    contract = embedded.product(JSON)
    with embedded.producer(contract) as producer, pytest.raises(InvalidEvent) as raised:
        producer.send(event)
    assert (raised.value.path, raised.value.rule) == (path, rule)
    assert f"field '{path}'" in str(raised.value)
    assert embedded.end_offsets(contract) == dict.fromkeys(range(PARTITIONS), 0)


def test_an_event_without_its_key_is_refused(embedded: Mesh) -> None:
    contract = embedded.product(PROTOBUF)
    with embedded.producer(contract) as producer, pytest.raises(InvalidEvent) as raised:
        # proto3 would default venue_id to 0; a missing key is still a missing key.
        producer.send({"symbol": "ACME", "bid": 1.0})
    assert raised.value.rule == "key.missing"
    assert "'venue_id'" in str(raised.value)


def test_send_many_with_one_bad_event_writes_none(mesh: Mesh) -> None:
    contract = mesh.product(AVRO)
    events = [trade(n) for n in range(20)]
    events[7] = trade(7, quantity="seven")
    events[13] = trade(13, account={})
    with mesh.producer(contract) as producer:
        with pytest.raises(InvalidEvent) as raised:
            producer.send_many(events)
        producer.flush()
        assert mesh.end_offsets(contract) == dict.fromkeys(range(PARTITIONS), 0)

        assert [p.index for p in raised.value.problems] == [7, 13]
        assert "2 of 20 events" in str(raised.value)
        assert "event #7: field 'quantity'" in str(raised.value)
        assert "event #13: field 'account.id'" in str(raised.value)

        assert producer.send_many(trade(n) for n in range(20)) == 20
        producer.flush()
    assert sum(mesh.end_offsets(contract).values()) == 20


def test_dataclass_events_are_accepted(embedded: Mesh) -> None:
    @dataclass
    class Order:
        order_id: str
        symbol: str
        qty: int

    contract = embedded.product(JSON)
    with embedded.producer(contract) as producer:
        producer.send(Order(str(uuid.UUID(int=5)), "ACME", 3))
    with embedded.consumer(contract) as consumer:
        (event,) = consumer.take(1, timeout=5)
    assert event.value == {"order_id": str(uuid.UUID(int=5)), "symbol": "ACME", "qty": 3}
    assert event.key == uuid.UUID(int=5)


def test_a_product_whose_topic_does_not_exist_is_refused_up_front(embedded: Mesh) -> None:
    contract = embedded.product(AVRO)
    embedded.log.delete_topic(contract.topic)
    with pytest.raises(TopicNotFound):
        embedded.producer(contract)


def test_closed_clients_say_so(embedded: Mesh) -> None:
    contract = embedded.product(AVRO)
    producer = embedded.producer(contract)
    producer.close()
    consumer = embedded.consumer(contract)
    consumer.close()
    with pytest.raises(ClientClosed, match="producer of product"):
        producer.send(trade(0))
    with pytest.raises(ClientClosed, match="consumer of product"):
        consumer.poll(0)


# -- consumer groups ----------------------------------------------------------------------


def test_a_group_resumes_after_the_last_event_returned_before_close(mesh: Mesh) -> None:
    contract = mesh.product(AVRO)
    with mesh.producer(contract) as producer:
        producer.send_many(trade(n) for n in range(30))
    group = f"resume-{uuid.uuid4().hex[:8]}"

    with mesh.consumer(contract, group) as first:
        # The log hands over many records per poll; only these 11 were returned.
        taken = first.take(11, timeout=WAIT_S)
    with mesh.consumer(contract, group) as second:
        rest = second.take(19, timeout=WAIT_S)
        assert second.poll(0.5) is None

    assert len(taken) == 11
    assert sorted(positions(taken) + positions(rest)) == sorted(
        (p, o) for p, end in mesh.end_offsets(contract).items() for o in range(end)
    )


def test_without_auto_commit_only_commit_moves_the_group(embedded: Mesh) -> None:
    contract = embedded.product(AVRO)
    with embedded.producer(contract) as producer:
        producer.send_many(trade(n) for n in range(10))
    group = "manual"
    options = ConsumerOptions(auto_commit=False)

    with embedded.consumer(contract, group, options) as first:
        committed = first.take(3, timeout=5)
        first.commit()
        first.take(4, timeout=5)
    with embedded.consumer(contract, group, options) as second:
        rest = second.take(7, timeout=5)
        assert second.poll(0.2) is None

    assert sorted(positions(committed) + positions(rest)) == sorted(
        (p, o) for p, end in embedded.end_offsets(contract).items() for o in range(end)
    )


def test_from_beginning_false_reads_only_new_events(embedded: Mesh) -> None:
    contract = embedded.product(AVRO)
    with embedded.producer(contract) as producer:
        producer.send_many(trade(n) for n in range(5))
    with embedded.consumer(contract, from_beginning=False) as consumer:
        assert consumer.poll(0.2) is None
        with embedded.producer(contract) as producer:
            producer.send(trade(99))
        events = consumer.take(1, timeout=5)
        assert consumer.poll(0.2) is None
    assert [event.value for event in events] == [trade(99)]


def test_iteration_ends_when_another_thread_closes_the_consumer(embedded: Mesh) -> None:
    contract = embedded.product(AVRO)
    with embedded.producer(contract) as producer:
        producer.send_many(trade(n) for n in range(6))
    consumer = embedded.consumer(contract)
    seen: list[ProductEvent] = []
    closer = threading.Timer(0.5, consumer.close)
    closer.start()
    for event in consumer:
        seen.append(event)
    closer.join()
    assert len(seen) == 6


def positions(events: list[ProductEvent]) -> list[tuple[int, int]]:
    return [(event.partition, event.offset) for event in events]


# -- schemas changing and records that are not events -------------------------------------


def test_a_consumer_reads_events_from_before_and_after_a_compatible_change(mesh: Mesh) -> None:
    contract = mesh.product(AVRO)
    with mesh.producer(contract) as producer:
        producer.send_many([trade(1), trade(2)])
        v1 = producer.schema_id
    v2_subject = mesh.registry.register(
        contract.value_subject, SchemaSubmission(TRADE_AVRO_V2, SchemaType.AVRO)
    )
    with mesh.producer(contract) as producer:
        assert producer.schema_id == v2_subject.id != v1
        producer.send_many([trade(3, venue="XLON"), trade(4)])

    with mesh.consumer(contract) as consumer:
        events = consumer.take(4, timeout=WAIT_S)

    by_quantity = {event.value["quantity"]: event for event in events if event.value}
    assert sorted(by_quantity) == [2, 3, 4, 5]
    assert by_quantity[2].schema_id == v1 and "venue" not in (by_quantity[2].value or {})
    assert by_quantity[3].schema_id == v1
    assert (
        by_quantity[4].value == trade(3, venue="XLON") and by_quantity[4].schema_id == v2_subject.id
    )
    assert by_quantity[5].value == trade(4, venue="XNYS")


def test_records_that_are_not_events_raise_naming_where_they_are(mesh: Mesh) -> None:
    contract = mesh.product(AVRO)
    long_key = (1).to_bytes(8, "big")
    partition = partition_for_key(long_key, PARTITIONS)
    with mesh.log.producer() as raw:
        raw.send(contract.topic, b'{"symbol": "ACME"}', key=long_key)
        raw.send(contract.topic, b"\x00\x00\x01\x86\x9f\x02", key=long_key)  # id 99999
    with mesh.producer(contract) as producer:
        producer.send(trade(0, account={"id": 1}))  # key 1: the same partition, after them
    with mesh.log.producer() as raw:
        raw.send(contract.topic, b"\x00", key=b"abc", partition=partition)

    with mesh.consumer(contract) as consumer:
        with pytest.raises(UnreadableEvent) as not_wire:
            poll_one(consumer)
        with pytest.raises(UnreadableEvent) as unknown_id:
            poll_one(consumer)
        good = poll_one(consumer)
        with pytest.raises(UnreadableEvent) as bad_key:
            poll_one(consumer)

    assert (not_wire.value.topic, not_wire.value.partition, not_wire.value.offset) == (
        contract.topic,
        partition,
        0,
    )
    assert f"offset 0 of topic '{contract.topic}' partition {partition}" in str(not_wire.value)
    assert isinstance(not_wire.value.__cause__, WireFormatError)
    assert "magic byte is 123" in str(not_wire.value)
    assert unknown_id.value.offset == 1
    assert isinstance(unknown_id.value.__cause__, SchemaNotFound)
    assert good is not None and good.value == trade(0, account={"id": 1}) and good.offset == 2
    assert bad_key.value.offset == 3 and "3 bytes long" in str(bad_key.value)


def poll_one(consumer: ProductConsumer) -> ProductEvent | None:
    """Poll until an event or an error arrives (a Kafka group needs a few polls to join)."""
    for _ in range(int(WAIT_S / 0.5)):
        event = consumer.poll(0.5)
        if event is not None:
            return event
    return None


def test_take_returns_the_events_before_an_unreadable_record_and_raises_next(
    embedded: Mesh,
) -> None:
    contract = embedded.product(AVRO)
    key = (7).to_bytes(8, "big")
    with embedded.producer(contract) as producer:
        producer.send_many([trade(1, account={"id": 7}), trade(2, account={"id": 7})])
    with embedded.log.producer() as raw:
        raw.send(contract.topic, b"not an event", key=key)
    with embedded.producer(contract) as producer:
        producer.send(trade(3, account={"id": 7}))

    with embedded.consumer(contract) as consumer:
        first = consumer.take(10, timeout=2)
        with pytest.raises(UnreadableEvent) as raised:
            consumer.take(10, timeout=2)
        after = consumer.take(10, timeout=0.5)

    assert [event.offset for event in first] == [0, 1]
    assert raised.value.offset == 2
    assert [event.value for event in after] == [trade(3, account={"id": 7})]
