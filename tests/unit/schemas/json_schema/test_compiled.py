"""The compiled (jsonschema-rs + orjson) fast path: valid events skip the Python validator,
and everything it could get wrong still gets the ``jsonschema`` + ``json`` answer."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import pytest

from streammesh.schemas import InvalidEvent, UndecodablePayload
from streammesh.schemas.json_schema import JsonSchema, JsonSchemaFormat

FORMAT = JsonSchemaFormat()

TRADE = FORMAT.parse(
    json.dumps(
        {
            "title": "Trade",
            "type": "object",
            "properties": {
                "symbol": {"type": "string", "pattern": "^[A-Z]+$"},
                "price": {"type": "number", "exclusiveMinimum": 0},
                "legs": {"type": "array", "items": {"$ref": "#/definitions/leg"}},
                "id": {"type": "string", "format": "uuid"},
            },
            "required": ["symbol", "price"],
            "additionalProperties": False,
            "definitions": {
                "leg": {
                    "type": "object",
                    "properties": {"qty": {"type": "integer", "minimum": 1}},
                    "required": ["qty"],
                }
            },
        }
    )
)
OPEN = FORMAT.parse('{"type": "object"}')


def without_python_validator(schema: JsonSchema) -> JsonSchema:
    """``schema`` whose ``jsonschema`` validator is gone: only the compiled one can answer."""
    return dataclasses.replace(schema, validator=None)  # type: ignore[arg-type]


def test_valid_events_never_reach_the_python_validator() -> None:
    fast = without_python_validator(TRADE)
    event = {"symbol": "ACME", "price": 2.5, "legs": [{"qty": 3}], "id": "not-a-uuid"}
    FORMAT.validate(fast, event)  # format is an annotation, as in jsonschema
    payload = FORMAT.serialize(fast, event)
    assert payload == b'{"symbol":"ACME","price":2.5,"legs":[{"qty":3}],"id":"not-a-uuid"}'
    assert FORMAT.deserialize(fast, payload) == event


def test_a_reference_to_another_schema_is_compiled_too() -> None:
    money = FORMAT.parse('{"type": "object", "required": ["cents"]}')
    uses = FORMAT.parse(
        '{"type": "object", "properties": {"price": {"$ref": "money.json"}}}',
        {"money.json": money},
    )
    fast = without_python_validator(uses)
    assert FORMAT.deserialize(fast, FORMAT.serialize(fast, {"price": {"cents": 5}})) == {
        "price": {"cents": 5}
    }
    with pytest.raises(InvalidEvent) as caught:
        FORMAT.serialize(uses, {"price": {}})
    assert (caught.value.path, caught.value.rule) == ("price.cents", "required")


@pytest.mark.parametrize(
    ("event", "path", "rule"),
    [
        pytest.param({"symbol": "acme", "price": 1}, "symbol", "pattern", id="pattern"),
        pytest.param({"symbol": "A", "price": 0}, "price", "exclusive-minimum", id="exclusive"),
        pytest.param(
            {"symbol": "A", "price": 1, "legs": [{}]}, "legs[0].qty", "required", id="ref"
        ),
        pytest.param({"symbol": "A", "price": 1, "x": 1}, "x", "unknown-field", id="extra-field"),
    ],
)
def test_refusals_name_the_field_and_the_rule(event: dict[str, Any], path: str, rule: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        FORMAT.serialize(TRADE, event)
    assert (caught.value.path, caught.value.rule) == (path, rule)
    with pytest.raises(UndecodablePayload, match=path.replace("[", r"\[")):
        FORMAT.deserialize(TRADE, json.dumps(event).encode())


def test_a_tuple_is_not_an_array() -> None:
    # jsonschema-rs reads a tuple as an array; jsonschema (and so streammesh) does not.
    with pytest.raises(InvalidEvent) as caught:
        FORMAT.serialize(TRADE, {"symbol": "A", "price": 1, "legs": ({"qty": 1},)})
    assert (caught.value.path, caught.value.rule) == ("legs", "type")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param(float("nan"), "JSON cannot represent", id="nan"),  # orjson writes null
        pytest.param(float("-inf"), "JSON cannot represent", id="inf"),
        pytest.param(uuid.UUID(int=1), "UUID, which JSON", id="uuid"),  # orjson writes a str
    ],
)
def test_values_json_cannot_carry_are_refused_where_nothing_constrains_them(
    value: object, reason: str
) -> None:
    with pytest.raises(InvalidEvent, match=reason) as caught:
        FORMAT.serialize(OPEN, {"meta": {"v": value}})
    assert (caught.value.path, caught.value.rule) == ("meta.v", "json")


@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 10**30, -(10**25)])
def test_integers_beyond_64_bits_round_trip_exactly(number: int) -> None:
    payload = FORMAT.serialize(OPEN, {"n": number})
    assert payload == b'{"n":%d}' % number
    decoded = FORMAT.deserialize(OPEN, payload)
    assert decoded == {"n": number}
    assert type(decoded["n"]) is int  # type: ignore[index]


def test_a_fractional_multiple_of_keeps_the_python_validators_answer() -> None:
    # jsonschema divides in binary floating point: 0.3 is not a multiple of 0.1 there, while
    # jsonschema-rs says it is. Events refused before stay refused.
    tenths = FORMAT.parse('{"type": "object", "properties": {"x": {"multipleOf": 0.1}}}')
    FORMAT.validate(tenths, {"x": 0.5})
    with pytest.raises(InvalidEvent) as caught:
        FORMAT.validate(tenths, {"x": 0.3})
    assert caught.value.rule == "multiple-of"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(b'{"n": 1, "n": 2}', {"n": 2}, id="duplicate-key-last-wins"),
        pytest.param(b'\xef\xbb\xbf{"n": 1}', {"n": 1}, id="utf8-bom"),
        pytest.param('{"n": 1}'.encode("utf-16"), {"n": 1}, id="utf16"),
        pytest.param(b'{"s": "\\ud800"}', {"s": "\ud800"}, id="lone-surrogate-escape"),
    ],
)
def test_payloads_decode_as_before(payload: bytes, expected: object) -> None:
    assert FORMAT.deserialize(OPEN, payload) == expected
