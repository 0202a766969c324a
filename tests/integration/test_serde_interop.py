"""streammesh's serializers and confluent-kafka's read each other's bytes.

confluent-kafka's real ``AvroSerializer``/``AvroDeserializer``, ``JSONSerializer``/
``JSONDeserializer`` and ``ProtobufSerializer``/``ProtobufDeserializer`` share one in-process
SQL registry (SQLite file) with streammesh's ``Serializer``/``Deserializer``: confluent's
serdes reach it through ``tests.support.confluent_registry.InProcessRegistryClient``, which
implements the ``SchemaRegistryClient`` methods they call. The REST path (the unchanged
``SchemaRegistryClient`` against ``streammesh up``) is covered by
``tests/integration/test_registry_api.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf.json_format import MessageToDict, ParseDict

from streammesh.registry.base import CompatibilityLevel, SchemaSubmission
from streammesh.registry.errors import IncompatibleSchema
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.schemas import InvalidEvent, SchemaType
from streammesh.schemas.formats import format_for
from streammesh.schemas.protobuf.schema import ProtobufSchema
from streammesh.serde import Deserializer, RegistryResolver, Serializer, UnregisteredSchema
from streammesh.store import MetadataStore, open_store
from tests.support.confluent_registry import InProcessRegistryClient

TOPIC = "execution.stocktrades.v1"
SUBJECT = f"{TOPIC}-value"
CONTEXT = SerializationContext(TOPIC, MessageField.VALUE)

TRADE_AVRO = """{"type": "record", "name": "Trade", "namespace": "execution", "fields": [
  {"name": "symbol", "type": "string"},
  {"name": "price", "type": "double"},
  {"name": "quantity", "type": "int"},
  {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]}},
  {"name": "note", "type": ["null", "string"], "default": null}]}"""
TRADE_AVRO_V2 = TRADE_AVRO.replace(
    '"default": null}]}',
    '"default": null}, {"name": "venue", "type": "string", "default": "XNYS"}]}',
)
TRADE_JSON = """{"$schema": "http://json-schema.org/draft-07/schema#", "title": "Trade",
  "type": "object", "additionalProperties": false, "required": ["symbol", "price"],
  "properties": {"symbol": {"type": "string", "minLength": 1},
    "price": {"type": "number", "exclusiveMinimum": 0},
    "legs": {"type": "array", "items": {"type": "object", "required": ["qty"],
      "properties": {"qty": {"type": "integer", "minimum": 1}}}}}}"""
TRADE_PROTO = """syntax = "proto3";
package execution;

message Trade {
  string symbol = 1;
  double price = 2;
  int64 quantity = 3;
}

message Quote {
  string symbol = 1;
  double bid = 2;
  double ask = 3;
}
"""

AVRO_TRADE = {"symbol": "ACME", "price": 101.25, "quantity": 7, "side": "BUY", "note": None}
JSON_TRADE = {"symbol": "ACME", "price": 101.25, "legs": [{"qty": 3}, {"qty": 4}]}


@dataclass
class Mesh:
    store: MetadataStore
    registry: SqlSchemaRegistry
    resolver: RegistryResolver
    client: InProcessRegistryClient

    def register(self, schema_type: SchemaType, text: str, subject: str = SUBJECT) -> int:
        return self.registry.register(subject, SchemaSubmission(text, schema_type)).id


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[Mesh]:
    store = open_store(f"sqlite:///{tmp_path}/meta.db")
    registry = SqlSchemaRegistry(store)
    yield Mesh(store, registry, RegistryResolver(registry), InProcessRegistryClient(registry))
    store.close()


def test_avro_written_by_confluent_is_read_by_streammesh(mesh: Mesh) -> None:
    confluent = AvroSerializer(mesh.client, TRADE_AVRO)  # auto-registers, as by default
    data = confluent(AVRO_TRADE, CONTEXT)
    assert Deserializer(mesh.resolver).deserialize(data) == AVRO_TRADE
    assert mesh.registry.version(SUBJECT, "latest").id == int.from_bytes(data[1:5], "big")


def test_avro_written_by_streammesh_is_read_by_confluent(mesh: Mesh) -> None:
    schema = format_for(SchemaType.AVRO).parse(TRADE_AVRO)
    serializer = Serializer(mesh.resolver, SUBJECT, schema=schema, auto_register=True)
    data = serializer.serialize(AVRO_TRADE)
    assert AvroDeserializer(mesh.client)(data, CONTEXT) == AVRO_TRADE
    # The same schema registered by confluent's serializer is recognised: one id.
    assert AvroSerializer(mesh.client, TRADE_AVRO)(AVRO_TRADE, CONTEXT) == data


ORDER_AVRO = """{"type": "record", "name": "orders", "fields": [
  {"name": "id", "type": "long"},
  {"name": "customer", "type": "string"},
  {"name": "amount", "type": ["null", {"type": "bytes", "logicalType": "decimal",
    "precision": 10, "scale": 2}], "default": null},
  {"name": "placed", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}],
    "default": null},
  {"name": "flag", "type": "boolean"}, {"name": "ratio", "type": "double"},
  {"name": "note", "type": ["null", "string"], "default": null}]}"""


@pytest.mark.parametrize(
    "order",
    [
        {
            "id": 2**40 + 7,
            "customer": "customer-Ä",
            "amount": Decimal("-1234.50"),
            "placed": datetime(2026, 12, 7, 14, 0, 0, 123456, tzinfo=UTC),
            "flag": True,
            "ratio": -0.125,
            "note": "note",
        },
        {
            "id": -1,
            "customer": "",
            "amount": None,
            "placed": None,
            "flag": False,
            "ratio": 1e300,
            "note": None,
        },
    ],
)
def test_avro_bytes_of_a_flat_record_are_the_same_as_confluents(
    mesh: Mesh, order: dict[str, object]
) -> None:
    # What a CDC source writes: streammesh's compiled writer, not fastavro, writes these.
    confluent = AvroSerializer(mesh.client, ORDER_AVRO)(order, CONTEXT)  # auto-registers
    assert Serializer(mesh.resolver, SUBJECT).serialize(order) == confluent


def test_old_avro_events_from_confluent_read_with_a_newer_reader_schema(mesh: Mesh) -> None:
    data = AvroSerializer(mesh.client, TRADE_AVRO)(AVRO_TRADE, CONTEXT)
    mesh.register(SchemaType.AVRO, TRADE_AVRO_V2)
    _, reader = mesh.resolver.latest(SUBJECT)
    assert Deserializer(mesh.resolver, reader=reader).deserialize(data) == {
        **AVRO_TRADE,
        "venue": "XNYS",
    }


def test_json_written_by_confluent_is_read_by_streammesh(mesh: Mesh) -> None:
    data = JSONSerializer(TRADE_JSON, mesh.client)(JSON_TRADE, CONTEXT)
    assert Deserializer(mesh.resolver).deserialize(data) == JSON_TRADE


def test_json_written_by_streammesh_is_read_by_confluent(mesh: Mesh) -> None:
    mesh.register(SchemaType.JSON, TRADE_JSON)
    data = Serializer(mesh.resolver, SUBJECT).serialize(JSON_TRADE)
    assert JSONDeserializer(None, schema_registry_client=mesh.client)(data, CONTEXT) == JSON_TRADE


def test_json_bytes_are_the_same_as_confluents(mesh: Mesh) -> None:
    # confluent-kafka encodes with orjson when it is installed (compact, UTF-8, keys in the
    # event's order; 1e-07 written as 1e-7): streammesh writes the very same bytes.
    event = {"symbol": "ÄCME €", "price": 1e-07, "legs": [{"qty": 3}]}
    confluent = JSONSerializer(TRADE_JSON, mesh.client)(event, CONTEXT)  # auto-registers
    assert Serializer(mesh.resolver, SUBJECT).serialize(event) == confluent
    assert confluent[5:] == '{"symbol":"ÄCME €","price":1e-7,"legs":[{"qty":3}]}'.encode()


@pytest.mark.parametrize("message", ["execution.Trade", "execution.Quote"])
def test_protobuf_round_trips_both_ways(mesh: Mesh, message: str) -> None:
    mesh.register(SchemaType.PROTOBUF, TRADE_PROTO)
    parsed = format_for(SchemaType.PROTOBUF).parse(TRADE_PROTO)
    assert isinstance(parsed, ProtobufSchema)
    schema = parsed.for_message(message)
    event = (
        {"symbol": "ACME", "price": 101.25, "quantity": 7}
        if message == "execution.Trade"
        else {"symbol": "ACME", "bid": 101.0, "ask": 101.5}
    )
    message_class = schema.message_class
    # The registry holds .proto text; confluent's serializer registers base64 descriptors, so
    # it writes with the subject's latest version instead of registering.
    confluent_serializer = ProtobufSerializer(
        message_class,
        mesh.client,
        {"auto.register.schemas": False, "use.latest.version": True},
    )
    confluent_deserializer = ProtobufDeserializer(message_class, {}, mesh.client)

    from_confluent = confluent_serializer(ParseDict(event, message_class()), CONTEXT)
    assert Deserializer(mesh.resolver).deserialize(from_confluent) == event

    from_streammesh = Serializer(mesh.resolver, SUBJECT, schema=schema).serialize(event)
    assert from_streammesh == from_confluent  # same header (id, message indexes), same payload
    decoded = confluent_deserializer(from_streammesh, CONTEXT)
    assert MessageToDict(decoded, preserving_proto_field_name=True) == {
        key: str(value) if key == "quantity" else value for key, value in event.items()
    }


@pytest.mark.parametrize(
    ("schema_type", "text", "event", "path", "rule"),
    [
        (SchemaType.AVRO, TRADE_AVRO, {**AVRO_TRADE, "side": "HOLD"}, "side", "enum"),
        (SchemaType.AVRO, TRADE_AVRO, {**AVRO_TRADE, "quantity": 2**40}, "quantity", "range"),
        (
            SchemaType.JSON,
            TRADE_JSON,
            {**JSON_TRADE, "legs": [{"qty": 3}, {"qty": 0}]},
            "legs[1].qty",
            "minimum",
        ),
        (SchemaType.JSON, TRADE_JSON, {"price": 1.0}, "symbol", "required"),
    ],
)
def test_invalid_events_are_refused_naming_the_field_and_rule(
    mesh: Mesh, schema_type: SchemaType, text: str, event: object, path: str, rule: str
) -> None:
    mesh.register(schema_type, text)
    with pytest.raises(InvalidEvent) as refused:
        Serializer(mesh.resolver, SUBJECT).serialize(event)
    assert (refused.value.path, refused.value.rule) == (path, rule)
    assert f"'{path}'" in str(refused.value)


def test_an_unregistered_schema_needs_auto_register(mesh: Mesh) -> None:
    mesh.register(SchemaType.AVRO, TRADE_AVRO)
    newer = format_for(SchemaType.AVRO).parse(TRADE_AVRO_V2)
    with pytest.raises(UnregisteredSchema, match="not registered under subject"):
        Serializer(mesh.resolver, SUBJECT, schema=newer)
    serializer = Serializer(mesh.resolver, SUBJECT, schema=newer, auto_register=True)
    assert mesh.registry.versions(SUBJECT) == [1, 2]
    assert serializer.schema_id == mesh.registry.version(SUBJECT, 2).id


def test_auto_register_respects_the_subjects_compatibility(mesh: Mesh) -> None:
    mesh.register(SchemaType.AVRO, TRADE_AVRO)
    mesh.registry.set_compatibility(CompatibilityLevel.BACKWARD, SUBJECT)
    breaking = format_for(SchemaType.AVRO).parse(
        TRADE_AVRO_V2.replace('"type": "string", "default": "XNYS"', '"type": "string"')
    )
    with pytest.raises(IncompatibleSchema):
        Serializer(mesh.resolver, SUBJECT, schema=breaking, auto_register=True)
    assert mesh.registry.versions(SUBJECT) == [1]


def test_cached_schemas_need_no_registry_after_the_first_record(mesh: Mesh) -> None:
    mesh.register(SchemaType.AVRO, TRADE_AVRO)
    serializer = Serializer(mesh.resolver, SUBJECT)
    deserializer = Deserializer(mesh.resolver)
    deserializer.deserialize(serializer.serialize(AVRO_TRADE))
    mesh.store.close()  # any lookup from here on would fail
    for quantity in range(50):
        event = {**AVRO_TRADE, "quantity": quantity}
        assert deserializer.deserialize(serializer.serialize(event)) == event
