"""Validating, serializing and deserializing events."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streammesh.schemas import InvalidEvent, UndecodablePayload
from streammesh.schemas.json_schema import JsonSchemaFormat

FORMAT = JsonSchemaFormat()

TRADE = FORMAT.parse(
    json.dumps(
        {
            "title": "Trade",
            "type": "object",
            "properties": {
                "symbol": {"type": "string", "maxLength": 8},
                "price": {"type": "number", "minimum": 0},
                "side": {"enum": ["BUY", "SELL"]},
                "qty": {"type": "integer", "multipleOf": 10},
                "note": {"type": ["string", "null"]},
                "legs": {
                    "type": "array",
                    "maxItems": 3,
                    "items": {
                        "type": "object",
                        "properties": {"price": {"type": "number"}, "venue": {"type": "string"}},
                        "required": ["price"],
                    },
                },
                "kind": {"oneOf": [{"type": "string", "pattern": "^[a-z]+$"}, {"type": "integer"}]},
            },
            "required": ["symbol", "price"],
            "additionalProperties": False,
        }
    )
)
VALID = {"symbol": "ACME", "price": 1.5}
DROP = object()  # a change that removes the field


@pytest.mark.parametrize(
    ("change", "path", "rule"),
    [
        pytest.param({"price": "abc"}, "price", "type", id="type"),
        pytest.param({"symbol": DROP}, "symbol", "required", id="required"),
        pytest.param({"side": "HOLD"}, "side", "enum", id="enum"),
        pytest.param({"price": -1}, "price", "minimum", id="minimum"),
        pytest.param({"symbol": "TOOLONGNAME"}, "symbol", "max-length", id="max-length"),
        pytest.param({"qty": 15}, "qty", "multiple-of", id="multiple-of"),
        pytest.param({"extra": 1}, "extra", "unknown-field", id="unknown-field"),
        pytest.param(
            {"legs": [{"price": 1}, {"price": 2}, {"price": "x"}]},
            "legs[2].price",
            "type",
            id="list-index",
        ),
        pytest.param(
            {"legs": [{"price": 1}, {"venue": "X"}]},
            "legs[1].price",
            "required",
            id="nested-required",
        ),
        pytest.param({"legs": [{"price": 1}] * 4}, "legs", "max-items", id="max-items"),
        pytest.param({"kind": "ABC"}, "kind", "pattern", id="one-of-best-branch"),
    ],
)
def test_invalid_event_names_path_and_rule(change: dict[str, Any], path: str, rule: str) -> None:
    event = {k: v for k, v in {**VALID, **change}.items() if v is not DROP}
    with pytest.raises(InvalidEvent) as caught:
        FORMAT.validate(TRADE, event)
    assert (caught.value.path, caught.value.rule) == (path, rule)
    assert caught.value.schema_name == "Trade"
    assert caught.value.reason


def test_type_error_reason_is_readable() -> None:
    with pytest.raises(InvalidEvent) as caught:
        FORMAT.validate(TRADE, {**VALID, "price": "abc"})
    assert caught.value.reason == "expected number, got 'abc' (string)"


def test_first_error_does_not_depend_on_key_order() -> None:
    text = TRADE.text
    reordered = FORMAT.parse(json.dumps(dict(reversed(list(json.loads(text).items())))))
    event = {"price": "abc"}  # wrong type and missing symbol
    errors = []
    for schema in (TRADE, reordered):
        with pytest.raises(InvalidEvent) as caught:
            FORMAT.validate(schema, event)
        errors.append((caught.value.path, caught.value.rule))
    assert errors[0] == errors[1]


def test_serialize_is_compact_utf8_json() -> None:
    assert (
        FORMAT.serialize(TRADE, {"symbol": "ÄCME", "price": 2})
        == '{"symbol":"ÄCME","price":2}'.encode()
    )


def test_serialize_refuses_invalid_event_and_non_json_values() -> None:
    with pytest.raises(InvalidEvent):
        FORMAT.serialize(TRADE, {"symbol": "A"})
    with pytest.raises(InvalidEvent) as caught:
        FORMAT.serialize(TRADE, {**VALID, "price": float("nan")})
    assert (caught.value.path, caught.value.rule) == ("price", "json")
    open_schema = FORMAT.parse('{"type": "object"}')
    with pytest.raises(InvalidEvent) as caught:
        FORMAT.serialize(open_schema, {"blob": [b"bytes"]})
    assert caught.value.path == "blob[0]"


@pytest.mark.parametrize("payload", [b"\xff\xfe", b'{"symbol": ', b"[1, 2]", b'{"symbol": "A"}'])
def test_bad_payload_is_undecodable(payload: bytes) -> None:
    with pytest.raises(UndecodablePayload):
        FORMAT.deserialize(TRADE, payload)


def test_deserialize_checks_against_the_reader() -> None:
    reader = FORMAT.parse('{"type": "object", "required": ["venue"]}')
    payload = FORMAT.serialize(TRADE, VALID)
    assert FORMAT.deserialize(TRADE, payload) == VALID
    with pytest.raises(UndecodablePayload, match="venue"):
        FORMAT.deserialize(TRADE, payload, reader=reader)


finite = st.floats(allow_nan=False, allow_infinity=False)
legs = st.lists(st.fixed_dictionaries({"price": finite}, optional={"venue": st.text()}), max_size=3)
trades = st.fixed_dictionaries(
    {"symbol": st.text(max_size=8), "price": st.floats(min_value=0, allow_infinity=False)},
    optional={
        "side": st.sampled_from(["BUY", "SELL"]),
        "qty": st.integers(-(2**70), 2**70).map(lambda n: n * 10),
        "note": st.none() | st.text(),
        "legs": legs,
        "kind": st.from_regex(r"^[a-z]+$", fullmatch=True) | st.integers(),
    },
)


@settings(max_examples=150, deadline=None)
@given(trades)
def test_round_trip(event: dict[str, Any]) -> None:
    assert FORMAT.deserialize(TRADE, FORMAT.serialize(TRADE, event)) == event


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | finite
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=5), json_values, max_size=5))
def test_round_trip_open_schema(event: dict[str, Any]) -> None:
    open_schema = FORMAT.parse('{"type": "object"}')
    assert FORMAT.deserialize(open_schema, FORMAT.serialize(open_schema, event)) == event
