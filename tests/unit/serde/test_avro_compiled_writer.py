"""The writer compiled per schema gives fastavro's bytes exactly (and so confluent-kafka's
``AvroSerializer``'s), for every value it writes itself and for every value it leaves to
fastavro (naive datetimes, missing fields, out-of-range or odd values)."""

from __future__ import annotations

import datetime
import decimal
import io
import json
from typing import Any

import fastavro
import pytest

from streammesh.schemas import InvalidEvent, SchemaType
from streammesh.schemas.formats import format_for
from streammesh.serde import Serializer
from streammesh.serde.avro_writer import Declined, compile_hiding_writer, compile_writer
from streammesh.serde.wire import encode_header
from tests.unit.serde.test_serializer import MemoryResolver

DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}
SCHEMA = {
    "type": "record",
    "name": "Row",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "small", "type": "int"},
        {"name": "name", "type": "string"},
        {"name": "raw", "type": "bytes"},
        {"name": "flag", "type": "boolean"},
        {"name": "ratio", "type": "double"},
        {"name": "weight", "type": "float"},
        {"name": "amount", "type": ["null", DECIMAL], "default": None},
        {"name": "price", "type": DECIMAL},
        {"name": "placed", "type": [{"type": "long", "logicalType": "timestamp-micros"}, "null"]},
        {"name": "seen", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "nothing", "type": "null"},
    ],
}
MOMENT = datetime.datetime(2026, 12, 7, 13, 30, 1, 123456, tzinfo=datetime.UTC)
BEFORE_EPOCH = datetime.datetime(1901, 2, 3, 4, 5, 6, 999, tzinfo=datetime.UTC)
BASE: dict[str, Any] = {
    "id": 1,
    "small": -1,
    "name": "a",
    "raw": b"",
    "flag": True,
    "ratio": 0.5,
    "weight": 1.25,
    "amount": None,
    "price": decimal.Decimal("0.00"),
    "placed": None,
    "seen": None,
    "note": None,
    "nothing": None,
}
VARIATIONS: list[dict[str, Any]] = [
    {},
    {"id": 0, "small": 0, "flag": False},
    {"id": 2**63 - 1, "small": 2**31 - 1},
    {"id": -(2**63), "small": -(2**31)},
    {"id": 8191, "small": -8192},  # the last looked-up varint and the first looped one
    {"id": 8192, "small": 8192},
    {"name": "é" * 9000, "raw": bytes(range(256)) * 40, "note": ""},  # long lengths
    {"amount": decimal.Decimal("-123.45"), "price": decimal.Decimal("99999999.99")},
    {"amount": decimal.Decimal("-1.28"), "price": decimal.Decimal("1.27")},  # sign byte sizes
    {"amount": decimal.Decimal("-0.00"), "price": decimal.Decimal("5")},  # scaled up by 10**2
    {"amount": decimal.Decimal("0.1"), "price": decimal.Decimal("-1E+3")},
    {"placed": MOMENT, "seen": MOMENT},
    {"placed": BEFORE_EPOCH, "seen": BEFORE_EPOCH},
    {"placed": 1_796_637_600_000_000, "seen": -5},
    {"placed": MOMENT.astimezone(datetime.timezone(datetime.timedelta(hours=-5)))},
    {"ratio": float("nan"), "weight": float("-inf")},
    {"ratio": -0.0, "weight": 3.4e38},
]


def _fastavro(event: dict[str, Any], header: bytes) -> bytes:
    buffer = io.BytesIO()
    buffer.write(header)
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(SCHEMA), event)
    return buffer.getvalue()


@pytest.mark.parametrize("change", VARIATIONS)
def test_compiled_writer_writes_fastavros_bytes(change: dict[str, Any]) -> None:
    header = encode_header(7)
    write = compile_writer(fastavro.parse_schema(SCHEMA), header)
    assert write is not None
    event = {**BASE, **change}
    assert write(event) == _fastavro(event, header)


@pytest.mark.parametrize(
    "change",
    [
        {"placed": MOMENT.replace(tzinfo=None)},  # naive: fastavro goes through the local zone
        {"amount": decimal.Decimal("1.234")},  # more decimals than the scale: fastavro refuses
        {"ratio": 1},
    ],
)
def test_serializer_gives_fastavros_bytes_or_its_refusal_where_the_writer_declines(
    change: dict[str, Any],
) -> None:
    text = json.dumps(SCHEMA)
    schema = format_for(SchemaType.AVRO).parse(text)
    resolver = MemoryResolver()
    resolver.add("rows-value", schema)
    serializer = Serializer(resolver, "rows-value")
    event = {**BASE, **change}
    try:
        expected: bytes | None = _fastavro(event, encode_header(serializer.schema_id))
    except Exception:
        expected = None
    if expected is None:
        with pytest.raises(InvalidEvent):
            serializer.serialize(event)
    else:
        assert serializer.serialize(event) == expected


def test_a_schema_with_fields_it_does_not_cover_is_left_to_fastavro() -> None:
    nested = {
        "type": "record",
        "name": "Outer",
        "fields": [{"name": "tags", "type": {"type": "array", "items": "string"}}],
    }
    assert compile_writer(fastavro.parse_schema(nested), b"") is None
    three_way = {
        "type": "record",
        "name": "U",
        "fields": [{"name": "u", "type": ["null", "int", "string"]}],
    }
    assert compile_writer(fastavro.parse_schema(three_way), b"") is None


def test_an_event_missing_a_defaulted_field_is_written_with_the_default() -> None:
    schema = format_for(SchemaType.AVRO).parse(json.dumps(SCHEMA))
    resolver = MemoryResolver()
    resolver.add("rows-value", schema)
    serializer = Serializer(resolver, "rows-value")
    event = {name: value for name, value in BASE.items() if name not in ("amount", "note")}
    assert serializer.serialize(event) == _fastavro(event, encode_header(serializer.schema_id))


HIDDEN: dict[str, tuple[type, object]] = {
    "name": (str, "***"),  # a string written as a fixed placeholder
    "note": (str, None),  # nullable: its placeholder is null
    "price": (decimal.Decimal, decimal.Decimal(0)),  # a logical type
    "id": (int, 0),
}


@pytest.mark.parametrize("change", VARIATIONS)
def test_a_hiding_writer_writes_the_bytes_of_the_event_with_its_placeholders(
    change: dict[str, Any],
) -> None:
    parsed = fastavro.parse_schema(SCHEMA)
    hiding = compile_hiding_writer(parsed, b"\x00\x00\x00\x00\x07", HIDDEN)
    assert hiding is not None
    event = {**BASE, **change}
    value, hidden = hiding(event)
    shown = {name: event[name] for name in sorted(HIDDEN) if event[name] is not None}
    assert list(hidden.items()) == list(shown.items())  # by name, sorted; no nulls
    placeholders = {name: placeholder for name, (_, placeholder) in HIDDEN.items()}
    expected = io.BytesIO()
    fastavro.schemaless_writer(expected, parsed, {**event, **placeholders})
    assert value == b"\x00\x00\x00\x00\x07" + expected.getvalue()


def test_a_hiding_writer_declines_a_value_of_another_type_than_its_placeholders() -> None:
    parsed = fastavro.parse_schema(SCHEMA)
    hiding = compile_hiding_writer(parsed, b"", HIDDEN)
    assert hiding is not None
    with pytest.raises(Declined):
        hiding({**BASE, "id": True})
    schema = {"type": "record", "name": "E", "fields": [{"name": "e", "type": "string"}]}
    assert compile_hiding_writer(fastavro.parse_schema(schema), b"", {"e": (str, 5)}) is None
