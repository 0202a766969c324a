"""Serializing and deserializing Avro payloads with fastavro, with and without a reader schema."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streammesh.schemas import UndecodablePayload
from streammesh.schemas.avro import AvroFormat, AvroSchema
from tests.unit.schemas.avro.strategies import events

fmt = AvroFormat()


def _parse(schema: Any) -> AvroSchema:
    return fmt.parse(json.dumps(schema))


TRADE = _parse(
    {
        "type": "record",
        "name": "Trade",
        "namespace": "execution",
        "fields": [
            {"name": "symbol", "type": "string"},
            {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]}},
            {"name": "quantity", "type": "int"},
            {"name": "price", "type": "double"},
            {"name": "fee", "type": "float"},
            {"name": "filled", "type": "boolean"},
            {"name": "id", "type": {"type": "fixed", "name": "Id", "size": 8}},
            {"name": "raw", "type": "bytes"},
            {"name": "venue", "type": ["null", "string", "long"]},
            {"name": "tags", "type": {"type": "map", "values": ["null", "double"]}},
            {
                "name": "legs",
                "type": {
                    "type": "array",
                    "items": {
                        "type": "record",
                        "name": "Leg",
                        "fields": [
                            {"name": "price", "type": "double"},
                            {"name": "qty", "type": "long"},
                        ],
                    },
                },
            },
        ],
    }
)
LINKED = _parse(
    {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "value", "type": "int"}, {"name": "next", "type": ["null", "Node"]}],
    }
)
SCHEMAS = {
    "trade": TRADE,
    "linked-list": LINKED,
    "string": _parse("string"),
    "array": _parse({"type": "array", "items": "long"}),
}


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=SCHEMAS.keys())
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_round_trip(schema: AvroSchema, data: st.DataObject) -> None:
    event = data.draw(events(schema))
    assert fmt.deserialize(schema, fmt.serialize(schema, event)) == event


@settings(max_examples=40, deadline=None)
@given(event=events(TRADE))
def test_payload_is_bare_fastavro(event: dict[str, Any]) -> None:
    """The payload is exactly fastavro's schemaless encoding: no header, readable by others."""
    payload = fmt.serialize(TRADE, event)
    expected = io.BytesIO()
    fastavro.schemaless_writer(expected, fastavro.parse_schema(json.loads(TRADE.text)), event)
    assert payload == expected.getvalue()


V1 = _parse(
    {
        "type": "record",
        "name": "Trade",
        "fields": [
            {"name": "qty", "type": "int"},
            {
                "name": "side",
                "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL", "SHORT"]},
            },
            {"name": "dropped", "type": "string"},
        ],
    }
)
V2 = _parse(
    {
        "type": "record",
        "name": "Execution",
        "aliases": ["Trade"],
        "fields": [
            {"name": "quantity", "type": "long", "aliases": ["qty"]},
            {
                "name": "side",
                "type": {
                    "type": "enum",
                    "name": "Side",
                    "symbols": ["OTHER", "BUY", "SELL"],
                    "default": "OTHER",
                },
            },
            {"name": "venue", "type": ["null", "string"], "default": None},
        ],
    }
)


def test_reader_schema_resolves_aliases_promotions_defaults_and_enum_default() -> None:
    assert fmt.check_compatibility(V2, V1) == []
    payload = fmt.serialize(V1, {"qty": 5, "side": "SHORT", "dropped": "x"})
    assert fmt.deserialize(V1, payload, reader=V2) == {
        "quantity": 5,
        "side": "OTHER",
        "venue": None,
    }


def test_incompatible_reader_is_undecodable() -> None:
    payload = fmt.serialize(V2, {"quantity": 5, "side": "BUY", "venue": None})
    with pytest.raises(UndecodablePayload) as caught:
        fmt.deserialize(V2, payload, reader=V1)
    assert "check_compatibility" in caught.value.reason


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x02",
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
        b"\x0c\x80abcd\x06" + b"\x00" * 40,
    ],
    ids=["empty", "truncated", "varint-overflow", "bad-utf8"],
)
def test_bad_bytes_are_undecodable(payload: bytes) -> None:
    with pytest.raises(UndecodablePayload) as caught:
        fmt.deserialize(TRADE, payload)
    assert "execution.Trade" in str(caught.value)


def test_trailing_bytes_are_undecodable() -> None:
    payload = fmt.serialize(LINKED, {"value": 1, "next": None})
    with pytest.raises(UndecodablePayload) as caught:
        fmt.deserialize(LINKED, payload + b"\x00")
    assert "1 bytes are left over" in caught.value.reason


def test_bytes_defaults_are_bytes_when_writing_and_when_resolving() -> None:
    """fastavro takes JSON defaults as given; bytes defaults must reach events as bytes."""
    full = _parse(
        {
            "type": "record",
            "name": "R",
            "fields": [
                {"name": "a", "type": "int"},
                {"name": "raw", "type": "bytes", "default": "\u00ff"},
                {
                    "name": "inner",
                    "type": {
                        "type": "record",
                        "name": "Inner",
                        "fields": [
                            {"name": "b", "type": {"type": "fixed", "name": "Two", "size": 2}}
                        ],
                    },
                    "default": {"b": "ab"},
                },
            ],
        }
    )
    narrow = _parse({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})
    expected = {"a": 1, "raw": b"\xff", "inner": {"b": b"ab"}}
    assert fmt.deserialize(full, fmt.serialize(full, {"a": 1})) == expected
    assert fmt.deserialize(narrow, fmt.serialize(narrow, {"a": 1}), reader=full) == expected
