"""Serializer and Deserializer over a resolver held in memory (the registry-backed resolver is
tested in tests/integration/test_serde_interop.py)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from streammesh.registry.base import SchemaReference
from streammesh.schemas import InvalidEvent, ParsedSchema, SchemaType, UndecodablePayload
from streammesh.schemas.formats import format_for
from streammesh.schemas.protobuf.schema import ProtobufSchema
from streammesh.serde import Deserializer, Serializer, UnregisteredSchema, WireFormatError
from streammesh.serde.wire import encode_header

TRADE_V1 = """{"type": "record", "name": "Trade", "namespace": "acme", "fields": [
  {"name": "symbol", "type": "string"}, {"name": "price", "type": "double"}]}"""
TRADE_V2 = """{"type": "record", "name": "Trade", "namespace": "acme", "fields": [
  {"name": "symbol", "type": "string"}, {"name": "price", "type": "double"},
  {"name": "venue", "type": "string", "default": "XNYS"}]}"""
TRADE_JSON = """{"type": "object", "title": "Trade", "additionalProperties": false,
  "required": ["symbol"], "properties": {"symbol": {"type": "string"},
  "legs": {"type": "array", "items": {"type": "object",
    "properties": {"qty": {"type": "integer", "minimum": 1}}}}}}"""
TRADE_PROTO = """syntax = "proto3"; package acme;
message Trade { string symbol = 1; double price = 2; }
message Quote { message Side { int64 qty = 1; } Side bid = 1; Side ask = 2; }"""


class MemoryResolver:
    """Ids handed out in registration order; counts registry round trips."""

    def __init__(self) -> None:
        self.schemas: dict[int, ParsedSchema] = {}
        self.subjects: dict[str, list[int]] = {}
        self.calls = 0

    def add(self, subject: str, schema: ParsedSchema) -> int:
        known = {parsed.fingerprint: i for i, parsed in self.schemas.items()}
        schema_id = known.get(schema.fingerprint, len(self.schemas) + 1)
        self.schemas.setdefault(schema_id, schema)
        self.subjects.setdefault(subject, []).append(schema_id)
        return schema_id

    def schema_by_id(self, schema_id: int) -> ParsedSchema:
        self.calls += 1
        return self.schemas[schema_id]

    def latest(self, subject: str) -> tuple[int, ParsedSchema]:
        self.calls += 1
        schema_id = self.subjects[subject][-1]
        return schema_id, self.schemas[schema_id]

    def id_for(
        self,
        subject: str,
        schema: ParsedSchema,
        *,
        register: bool = False,
        references: Sequence[SchemaReference] = (),
    ) -> int:
        self.calls += 1
        for schema_id in self.subjects.get(subject, []):
            if self.schemas[schema_id].fingerprint == schema.fingerprint:
                return schema_id
        if not register:
            raise UnregisteredSchema(subject, schema.name)
        return self.add(subject, schema)


def parse(schema_type: SchemaType, text: str) -> ParsedSchema:
    return format_for(schema_type).parse(text)


@pytest.fixture
def resolver() -> MemoryResolver:
    return MemoryResolver()


@pytest.mark.parametrize(
    ("schema_type", "text", "event"),
    [
        (SchemaType.AVRO, TRADE_V1, {"symbol": "ACME", "price": 12.5}),
        (SchemaType.JSON, TRADE_JSON, {"symbol": "ACME", "legs": [{"qty": 3}]}),
        (SchemaType.PROTOBUF, TRADE_PROTO, {"symbol": "ACME", "price": 12.5}),
        # JSON subjects that are not a product's value (keys, references) have any root.
        (SchemaType.JSON, '{"type": "string", "maxLength": 8}', "ACME"),
        (SchemaType.JSON, '{"type": "array", "items": [{"type": "string"}, {}]}', ["A", 1]),
        (SchemaType.JSON, '{"oneOf": [{"type": "integer"}, {"type": "null"}]}', None),
    ],
)
def test_events_round_trip_through_the_wire_format(
    resolver: MemoryResolver, schema_type: SchemaType, text: str, event: object
) -> None:
    schema_id = resolver.add("trades-value", parse(schema_type, text))
    data = Serializer(resolver, "trades-value").serialize(event)
    assert data[0] == 0
    assert int.from_bytes(data[1:5], "big") == schema_id
    assert Deserializer(resolver).deserialize(data) == event


def test_the_serializer_resolves_its_schema_once(resolver: MemoryResolver) -> None:
    resolver.add("trades-value", parse(SchemaType.AVRO, TRADE_V1))
    serializer = Serializer(resolver, "trades-value")
    deserializer = Deserializer(resolver)
    before = resolver.calls
    for price in range(100):
        deserializer.deserialize(serializer.serialize({"symbol": "ACME", "price": float(price)}))
    assert resolver.calls - before == 1  # the first deserialize looks the writer id up


@pytest.mark.parametrize(
    ("schema_type", "text", "event", "path", "rule"),
    [
        (SchemaType.AVRO, TRADE_V1, {"symbol": "ACME", "price": "high"}, "price", "type"),
        (SchemaType.JSON, TRADE_JSON, {"symbol": "A", "legs": [{"qty": 0}]}, "legs[0].qty", ""),
        (SchemaType.PROTOBUF, TRADE_PROTO, {"symbol": 7}, "symbol", ""),
    ],
)
def test_invalid_events_are_refused_with_the_field_path(
    resolver: MemoryResolver,
    schema_type: SchemaType,
    text: str,
    event: object,
    path: str,
    rule: str,
) -> None:
    resolver.add("trades-value", parse(schema_type, text))
    serializer = Serializer(resolver, "trades-value")
    with pytest.raises(InvalidEvent) as refused:
        serializer.serialize(event)
    assert refused.value.path == path
    assert refused.value.rule
    if rule:
        assert refused.value.rule == rule
    assert f"'{path}'" in str(refused.value)


def test_an_unregistered_schema_is_refused_unless_auto_registered(
    resolver: MemoryResolver,
) -> None:
    schema = parse(SchemaType.AVRO, TRADE_V1)
    with pytest.raises(UnregisteredSchema, match=r"'acme\.Trade' is not registered under"):
        Serializer(resolver, "trades-value", schema=schema)
    serializer = Serializer(resolver, "trades-value", schema=schema, auto_register=True)
    assert resolver.latest("trades-value") == (serializer.schema_id, schema)


def test_avro_reads_old_events_with_a_newer_reader_schema(resolver: MemoryResolver) -> None:
    resolver.add("trades-value", parse(SchemaType.AVRO, TRADE_V1))
    data = Serializer(resolver, "trades-value").serialize({"symbol": "ACME", "price": 1.0})
    reader = parse(SchemaType.AVRO, TRADE_V2)
    event = Deserializer(resolver, reader=reader).deserialize(data)
    assert event == {"symbol": "ACME", "price": 1.0, "venue": "XNYS"}


def test_protobuf_writes_and_reads_the_message_its_indexes_name(
    resolver: MemoryResolver,
) -> None:
    proto = parse(SchemaType.PROTOBUF, TRADE_PROTO)
    resolver.add("quotes-value", proto)
    assert isinstance(proto, ProtobufSchema)
    side = proto.for_message("acme.Quote.Side")
    serializer = Serializer(resolver, "quotes-value", schema=side)
    data = serializer.serialize({"qty": 5})
    assert data[5:8] == b"\x04\x02\x00"  # indexes [1, 0]: Quote, then its first nested message
    assert Deserializer(resolver).deserialize(data) == {"qty": 5}


def test_bytes_without_a_header_are_refused(resolver: MemoryResolver) -> None:
    with pytest.raises(WireFormatError, match="magic byte is 123"):
        Deserializer(resolver).deserialize(b'{"symbol": "ACME"}')


def test_a_payload_that_does_not_fit_its_writer_schema_is_refused(
    resolver: MemoryResolver,
) -> None:
    schema_id = resolver.add("trades-value", parse(SchemaType.AVRO, TRADE_V1))
    data = Serializer(resolver, "trades-value").serialize({"symbol": "ACME", "price": 1.0})
    deserializer = Deserializer(resolver)
    with pytest.raises(UndecodablePayload, match=r"not an Avro 'acme\.Trade'"):
        deserializer.deserialize(data[:-3])
    with pytest.raises(UndecodablePayload, match="1 bytes are left over"):
        deserializer.deserialize(data + b"\x00")
    assert int.from_bytes(data[1:5], "big") == schema_id


def test_the_first_protobuf_message_may_carry_an_explicit_index_list(
    resolver: MemoryResolver,
) -> None:
    schema_id = resolver.add("trades-value", parse(SchemaType.PROTOBUF, TRADE_PROTO))
    data = Serializer(resolver, "trades-value").serialize({"symbol": "ACME", "price": 1.5})
    assert data[5] == 0  # Confluent's shortcut for [0]
    longhand = encode_header(schema_id, [0])[:5] + b"\x02\x00" + data[6:]  # count 1, index 0
    deserializer = Deserializer(resolver)
    assert deserializer.deserialize(data) == {"symbol": "ACME", "price": 1.5}
    assert deserializer.deserialize(longhand) == {"symbol": "ACME", "price": 1.5}
