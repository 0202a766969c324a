"""Parsing Avro schemas: errors with locations, references, canonical form, names and fields."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from streammesh.schemas import InvalidSchema, SchemaField, SchemaType, UnresolvedReference
from streammesh.schemas.avro import AvroFormat

fmt = AvroFormat()

TRADE: dict[str, Any] = {
    "type": "record",
    "name": "StockTrade",
    "namespace": "execution",
    "doc": "One executed trade.",
    "fields": [
        {"name": "symbol", "type": "string", "doc": "Ticker symbol."},
        {
            "name": "side",
            "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"], "default": "BUY"},
            "doc": "Buy or sell.",
        },
        {"name": "quantity", "type": "int", "default": 0, "doc": "Shares traded."},
        {
            "name": "legs",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Leg",
                    "fields": [
                        {"name": "price", "type": "double", "doc": "Price of the leg."},
                        {"name": "venue", "type": ["null", "string"], "default": None},
                    ],
                },
            },
            "doc": "Partial fills.",
        },
        {"name": "tags", "type": {"type": "map", "values": "execution.Side"}},
        {"name": "executed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}


def test_name_is_the_full_name_of_the_top_level_type() -> None:
    schema = fmt.parse(json.dumps(TRADE))
    assert schema.schema_type is SchemaType.AVRO
    assert schema.name == "execution.StockTrade"
    assert fmt.parse('"string"').name == "string"


def test_fields_are_listed_depth_first_with_types_and_docs() -> None:
    assert fmt.parse(json.dumps(TRADE)).fields() == (
        SchemaField("symbol", "string", "Ticker symbol."),
        SchemaField("side", "execution.Side", "Buy or sell."),
        SchemaField("quantity", "int", "Shares traded."),
        SchemaField("legs", "array<execution.Leg>", "Partial fills."),
        SchemaField("legs[].price", "double", "Price of the leg."),
        SchemaField("legs[].venue", "null|string", None),
        SchemaField("tags", "map<execution.Side>", None),
        SchemaField("executed_at", "timestamp-millis", None),
    )


def test_recursive_type_lists_its_fields_once() -> None:
    linked = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "value", "type": "int"}, {"name": "next", "type": ["null", "Node"]}],
    }
    assert [f.path for f in fmt.parse(json.dumps(linked)).fields()] == ["value", "next"]


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = [(key, _shuffled(item, rng)) for key, item in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


@pytest.mark.parametrize("seed", range(5))
def test_layout_and_key_order_do_not_change_canonical_form(seed: int) -> None:
    first = fmt.parse(json.dumps(TRADE, indent=4))
    again = fmt.parse(json.dumps(_shuffled(TRADE, random.Random(seed)), separators=(",", ":")))
    assert again.canonical == first.canonical
    assert again.fingerprint == first.fingerprint


def test_equivalent_spellings_share_a_canonical_form() -> None:
    plain = {"type": "record", "name": "a.R", "fields": [{"name": "x", "type": "int"}]}
    spelled = {
        "type": "record",
        "name": "R",
        "namespace": "a",
        "fields": [{"name": "x", "type": {"type": "int"}, "order": "ascending"}],
    }
    assert fmt.parse(json.dumps(plain)).canonical == fmt.parse(json.dumps(spelled)).canonical
    assert fmt.parse(json.dumps(plain)).canonical == (
        '{"name":"a.R","type":"record","fields":[{"name":"x","type":"int"}]}'
    )


@pytest.mark.parametrize(
    "change",
    [
        {"default": 1},
        {"doc": "Another doc."},
        {"aliases": ["qty"]},
        {"order": "descending"},
        {"type": "long"},
    ],
    ids=["default", "doc", "aliases", "order", "type"],
)
def test_attributes_beyond_parsing_canonical_form_change_the_fingerprint(
    change: dict[str, Any],
) -> None:
    changed = json.loads(json.dumps(TRADE))
    changed["fields"][2].update(change)
    assert fmt.parse(json.dumps(changed)).fingerprint != fmt.parse(json.dumps(TRADE)).fingerprint


MONEY = {
    "type": "record",
    "name": "Money",
    "namespace": "common",
    "fields": [{"name": "amount", "type": "double", "doc": "How much."}],
}
PRICED = {
    "type": "record",
    "name": "Priced",
    "namespace": "execution",
    "fields": [{"name": "price", "type": "common.Money", "doc": "The price."}],
}


def test_references_supply_named_types() -> None:
    money = fmt.parse(json.dumps(MONEY))
    priced = fmt.parse(json.dumps(PRICED), {"common.Money": money})
    assert [(f.path, f.type) for f in priced.fields()] == [
        ("price", "common.Money"),
        ("price.amount", "double"),
    ]
    event = {"price": {"amount": 9.5}}
    assert fmt.deserialize(priced, fmt.serialize(priced, event)) == event
    assert priced.references == {"common.Money": money}


def test_fingerprint_covers_referenced_schemas() -> None:
    money = fmt.parse(json.dumps(MONEY))
    other_money = fmt.parse(json.dumps({**MONEY, "doc": "Money, in cents."}))
    priced = fmt.parse(json.dumps(PRICED), {"common.Money": money})
    other = fmt.parse(json.dumps(PRICED), {"common.Money": other_money})
    assert priced.canonical == other.canonical
    assert priced.fingerprint != other.fingerprint


def test_missing_reference_is_unresolved() -> None:
    with pytest.raises(UnresolvedReference) as caught:
        fmt.parse(json.dumps(PRICED))
    assert caught.value.name == "common.Money"


def test_reference_types_cannot_be_redefined() -> None:
    money = fmt.parse(json.dumps(MONEY))
    clash = {**PRICED, "fields": [{"name": "price", "type": MONEY}]}
    with pytest.raises(InvalidSchema) as caught:
        fmt.parse(json.dumps(clash), {"common.Money": money})
    assert caught.value.location == "/fields/0/type/name"


def _record(*fields: Any) -> str:
    return json.dumps({"type": "record", "name": "R", "fields": list(fields)})


INVALID: list[tuple[str, str, str, str]] = [
    (
        "not-json",
        '{"type": "record",\n  "name": "R" "fields": []}',
        "line 2, column 15",
        "not valid JSON",
    ),
    ("not-a-type", "42", "/", "a type must be"),
    ("no-type", '{"name": "R"}', "/", '"type"'),
    (
        "unknown-type",
        _record({"name": "x", "type": "strng"}),
        "/fields/0/type",
        "did you mean 'string'",
    ),
    (
        "unknown-kind",
        '{"type": "struct", "name": "R", "fields": []}',
        "/type",
        "unknown type 'struct'",
    ),
    (
        "bad-record-name",
        '{"type": "record", "name": "1R", "fields": []}',
        "/name",
        "letters, digits",
    ),
    ("primitive-as-name", '{"type": "record", "name": "int", "fields": []}', "/name", "primitive"),
    (
        "bad-namespace",
        '{"type": "record", "name": "R", "namespace": "a..b", "fields": []}',
        "/namespace",
        "namespace",
    ),
    ("no-fields", '{"type": "record", "name": "R"}', "/fields", '"fields"'),
    (
        "bad-field-name",
        _record({"name": "unit-price", "type": "int"}),
        "/fields/0/name",
        "letters, digits",
    ),
    (
        "duplicate-field",
        _record({"name": "x", "type": "int"}, {"name": "x", "type": "long"}),
        "/fields/1/name",
        "duplicate field name 'x'",
    ),
    ("field-without-type", _record({"name": "x"}), "/fields/0", '"type"'),
    (
        "bad-default",
        _record({"name": "x", "type": "int"}, {"name": "y", "type": "int", "default": "one"}),
        "/fields/1/default",
        "invalid default for field 'y'",
    ),
    (
        "int-default-out-of-range",
        _record({"name": "x", "type": "int", "default": 2**31}),
        "/fields/0/default",
        "int",
    ),
    (
        "union-default-not-first-branch",
        _record({"name": "x", "type": ["null", "string"], "default": "a"}),
        "/fields/0/default",
        "first branch",
    ),
    (
        "record-default-missing-field",
        _record(
            {
                "name": "x",
                "type": json.loads(_record({"name": "y", "type": "int"})) | {"name": "S"},
                "default": {},
            }
        ),
        "/fields/0/default",
        "field 'y'",
    ),
    (
        "fixed-default-wrong-length",
        _record({"name": "x", "type": {"type": "fixed", "name": "F", "size": 2}, "default": "abc"}),
        "/fields/0/default",
        "2 characters",
    ),
    ("bad-order", _record({"name": "x", "type": "int", "order": "up"}), "/fields/0/order", "order"),
    (
        "nested-union",
        _record({"name": "x", "type": ["null", ["int", "string"]]}),
        "/fields/0/type/1",
        "union",
    ),
    (
        "duplicate-union-branch",
        _record({"name": "x", "type": ["int", "int"]}),
        "/fields/0/type/1",
        "'int' branch",
    ),
    ("empty-union", _record({"name": "x", "type": []}), "/fields/0/type", "at least one branch"),
    (
        "array-without-items",
        _record({"name": "x", "type": {"type": "array"}}),
        "/fields/0/type",
        '"items"',
    ),
    (
        "map-without-values",
        _record({"name": "x", "type": {"type": "map"}}),
        "/fields/0/type",
        '"values"',
    ),
    (
        "enum-duplicate-symbol",
        '{"type": "enum", "name": "E", "symbols": ["A", "A"]}',
        "/symbols",
        "duplicate enum symbols ['A']",
    ),
    (
        "enum-bad-symbol",
        '{"type": "enum", "name": "E", "symbols": ["A", "b-c"]}',
        "/symbols/1",
        "symbols",
    ),
    (
        "enum-bad-default",
        '{"type": "enum", "name": "E", "symbols": ["A"], "default": "B"}',
        "/default",
        "not one of",
    ),
    ("fixed-without-size", '{"type": "fixed", "name": "F"}', "/size", '"size"'),
    (
        "type-defined-twice",
        _record(
            {"name": "a", "type": {"type": "fixed", "name": "F", "size": 1}},
            {"name": "b", "type": {"type": "fixed", "name": "F", "size": 2}},
        ),
        "/fields/1/type/name",
        "already defined",
    ),
    (
        "bad-alias",
        _record({"name": "x", "type": "int", "aliases": ["a.b"]}),
        "/fields/0/aliases",
        "aliases",
    ),
]


@pytest.mark.parametrize(
    ("text", "location", "reason"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_schema_names_the_location(text: str, location: str, reason: str) -> None:
    with pytest.raises(InvalidSchema) as caught:
        fmt.parse(text)
    assert caught.value.schema_type == "AVRO"
    assert caught.value.location == location
    assert reason in caught.value.reason
    assert location in str(caught.value)


def test_reference_of_another_format_is_refused() -> None:
    class NotAvro:
        schema_type = SchemaType.JSON

    with pytest.raises(InvalidSchema) as caught:
        fmt.parse(json.dumps(PRICED), {"common.Money": NotAvro()})  # type: ignore[dict-item]
    assert caught.value.location == "references/common.Money"
