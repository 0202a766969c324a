"""Nullable logical-type fields (``["null", decimal]``, ``[timestamp, "null"]``, ...) are
written with the union branch named up front: the bytes stay exactly fastavro's (and so
confluent-kafka's ``AvroSerializer``'s), the caller's event is left as it was."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import uuid
from typing import Any

import fastavro
import pytest

from streammesh.schemas import InvalidEvent, SchemaType
from streammesh.schemas.formats import format_for
from streammesh.serde import Deserializer, Serializer
from streammesh.serde.wire import encode_header
from tests.unit.serde.test_serializer import MemoryResolver

DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}
SCHEMA = {
    "type": "record",
    "name": "Order",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "amount", "type": ["null", DECIMAL], "default": None},
        {"name": "placed", "type": [{"type": "long", "logicalType": "timestamp-micros"}, "null"]},
        {"name": "seen", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
        {"name": "ref", "type": ["null", {"type": "string", "logicalType": "uuid"}]},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
MOMENT = datetime.datetime(2026, 12, 7, 13, 30, 1, 123456, tzinfo=datetime.UTC)
EVENTS: list[dict[str, Any]] = [
    {
        "id": 1,
        "amount": decimal.Decimal("-123.45"),
        "placed": MOMENT,
        "seen": MOMENT,
        "day": MOMENT.date(),
        "ref": uuid.UUID(int=7),
        "note": "x",
    },
    {"id": 2, "placed": None, "seen": None, "day": None, "ref": None},  # amount, note defaulted
    {
        "id": 3,
        "amount": b"\x30\x39",
        "placed": 1,
        "seen": 2,
        "day": 3,
        "ref": str(uuid.UUID(int=9)),
    },
]


@pytest.mark.parametrize("event", EVENTS)
def test_the_bytes_are_fastavros_and_the_event_is_untouched(event: dict[str, Any]) -> None:
    resolver = MemoryResolver()
    schema = format_for(SchemaType.AVRO).parse(json.dumps(SCHEMA))
    schema_id = resolver.add("orders-value", schema)
    given = dict(event)
    data = Serializer(resolver, "orders-value").serialize(event)
    plain = io.BytesIO()
    fastavro.schemaless_writer(plain, fastavro.parse_schema(SCHEMA), event)
    assert data == encode_header(schema_id) + plain.getvalue()
    assert event == given and all(type(event[k]) is type(given[k]) for k in given)
    decoded = Deserializer(resolver).deserialize(data)
    assert isinstance(decoded, dict) and decoded["id"] == event["id"]


def test_a_wrong_value_in_a_nullable_logical_field_is_still_refused_with_its_path() -> None:
    resolver = MemoryResolver()
    resolver.add("orders-value", format_for(SchemaType.AVRO).parse(json.dumps(SCHEMA)))
    with pytest.raises(InvalidEvent) as caught:
        Serializer(resolver, "orders-value").serialize({**EVENTS[0], "placed": "yesterday"})
    assert "placed" in str(caught.value)
