"""Parsing JSON Schemas: errors with locations, canonical form, fingerprints, references."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from streammesh.schemas import InvalidEvent, InvalidSchema, SchemaType, UnresolvedReference
from streammesh.schemas.json_schema import Dialect, JsonSchemaFormat
from streammesh.schemas.json_schema.object_root import require_object_root

FORMAT = JsonSchemaFormat()

TRADE: dict[str, Any] = {
    "title": "Trade",
    "type": "object",
    "properties": {
        "symbol": {"type": "string", "description": "Ticker", "maxLength": 8},
        "price": {"type": "number", "minimum": 0},
        "side": {"enum": ["BUY", "SELL"]},
        "legs": {
            "type": "array",
            "items": {"type": "object", "properties": {"qty": {"type": "integer"}}},
        },
    },
    "required": ["symbol", "price"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("text", "location", "in_reason"),
    [
        pytest.param(
            '{"type": "object",\n  "properties": }',
            "line 2, column 17",
            "not valid JSON",
            id="malformed-json",
        ),
        pytest.param('"object"', "", "is a JSON object (or true/false)", id="not-an-object"),
        pytest.param("[]", "", "got list", id="array-document"),
        pytest.param(
            '{"type": "object", "properties": {"a": {"type": "strng"}}}',
            "/properties/a/type",
            "'strng' is not a valid value for 'type'",
            id="bad-type-name",
        ),
        pytest.param(
            '{"type": "object", "properties": {"a": {"type": "string", "maxLength": -1}}}',
            "/properties/a/maxLength",
            "minimum of 0",
            id="negative-max-length",
        ),
        pytest.param(
            '{"type": "object", "properties": {"a": {"type": "string", "pattern": "(["}}}',
            "/properties/a/pattern",
            "not a valid regular expression",
            id="bad-regex",
        ),
        pytest.param(
            '{"type": "object", "required": "a"}',
            "/required",
            "is not of type 'array'",
            id="required-not-a-list",
        ),
        pytest.param(
            '{"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}',
            "/properties/a/$ref",
            "points to nothing",
            id="dangling-local-ref",
        ),
        pytest.param(
            '{"$schema": "http://json-schema.org/draft-03/schema#", "type": "object"}',
            "/$schema",
            "unsupported dialect",
            id="unsupported-dialect",
        ),
        pytest.param(
            '{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", '
            '"properties": {"a": {"type": "string", "maxLength": "5"}}}',
            "/properties/a/maxLength",
            "is not of type 'integer'",
            id="draft7-metaschema",
        ),
    ],
)
def test_invalid_schema_says_where_and_why(text: str, location: str, in_reason: str) -> None:
    with pytest.raises(InvalidSchema) as caught:
        FORMAT.parse(text)
    assert caught.value.location == location
    assert in_reason in caught.value.reason
    assert caught.value.schema_type == "JSON"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("{}", {"any": 1}, id="empty-schema"),
        pytest.param("true", 5, id="true-schema"),
        pytest.param('{"type": "string", "maxLength": 8}', "k-1", id="string-root"),
        pytest.param('{"type": "number", "minimum": 0}', 1.5, id="number-root"),
        pytest.param('{"type": "array", "items": {"type": "integer"}}', [1, 2], id="array-root"),
        pytest.param('{"type": ["object", "null"]}', None, id="nullable-root"),
        pytest.param(
            '{"anyOf": [{"type": "object"}, {"type": "string"}]}', "s", id="root-sum-with-scalar"
        ),
    ],
)
def test_any_valid_root_is_accepted_and_carries_its_values(text: str, value: Any) -> None:
    """Keys, references and other tools' subjects have non-object roots (as in Confluent)."""
    schema = FORMAT.parse(text)
    payload = FORMAT.serialize(schema, value)
    assert FORMAT.deserialize(schema, payload) == value


def test_false_schema_parses_and_refuses_every_value() -> None:
    schema = FORMAT.parse("false")
    with pytest.raises(InvalidEvent):
        FORMAT.serialize(schema, "anything")


@pytest.mark.parametrize(
    ("text", "in_reason"),
    [
        pytest.param("{}", "schemaless JSON is not accepted", id="empty-schema"),
        pytest.param("true", "schemaless JSON is not accepted", id="true-schema"),
        pytest.param('{"type": "string"}', "must describe an object", id="scalar-root"),
        pytest.param('{"type": ["object", "null"]}', "admits null|object", id="nullable-root"),
        pytest.param('{"properties": {"a": {}}}', "admits any", id="untyped-root"),
        pytest.param(
            '{"anyOf": [{"type": "object"}, {"type": "string"}]}',
            "object|string",
            id="root-sum-with-scalar",
        ),
    ],
)
def test_product_value_schema_must_describe_an_object(text: str, in_reason: str) -> None:
    with pytest.raises(InvalidSchema) as caught:
        require_object_root(FORMAT.parse(text))
    assert in_reason in caught.value.reason
    assert caught.value.location in ("", "/type")


def test_root_object_through_ref_and_all_of_is_accepted() -> None:
    through_ref = {"$ref": "#/$defs/trade", "$defs": {"trade": {"type": "object"}}}
    through_all_of = {"allOf": [{"type": "object"}, {"required": ["a"]}]}
    require_object_root(FORMAT.parse(json.dumps(through_ref)))
    require_object_root(FORMAT.parse(json.dumps(through_all_of)))


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = [(k, _shuffled(v, rng)) for k, v in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@pytest.mark.parametrize("seed", range(5))
def test_layout_and_key_order_do_not_change_canonical_form(seed: int) -> None:
    minified = FORMAT.parse(json.dumps(TRADE, separators=(",", ":")))
    other = FORMAT.parse(json.dumps(_shuffled(TRADE, random.Random(seed)), indent=seed + 1))
    assert other.canonical == minified.canonical
    assert other.fingerprint == minified.fingerprint
    assert other.text != minified.text
    assert json.loads(other.canonical) == TRADE
    assert " " not in minified.canonical.replace("Ticker", "")


def test_any_semantic_change_changes_the_fingerprint() -> None:
    changed = json.loads(json.dumps(TRADE))
    changed["properties"]["price"]["minimum"] = 1
    assert (
        FORMAT.parse(json.dumps(changed)).fingerprint != FORMAT.parse(json.dumps(TRADE)).fingerprint
    )


def test_equivalent_type_spellings_keep_their_own_canonical_form() -> None:
    one = FORMAT.parse('{"type": "object", "properties": {"a": {"type": "string"}}}')
    listed = FORMAT.parse('{"type": "object", "properties": {"a": {"type": ["string"]}}}')
    assert one.canonical != listed.canonical
    assert FORMAT.check_compatibility(one, listed) == []
    assert FORMAT.check_compatibility(listed, one) == []


def test_name_is_title_or_record() -> None:
    assert FORMAT.parse(json.dumps(TRADE)).name == "Trade"
    assert FORMAT.parse('{"type": "object"}').name == "record"
    assert FORMAT.parse(json.dumps(TRADE)).schema_type is SchemaType.JSON


def test_dialect_comes_from_schema_keyword() -> None:
    draft7 = FORMAT.parse(
        '{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}'
    )
    default = FORMAT.parse('{"type": "object"}')
    assert draft7.dialect is Dialect.DRAFT7
    assert default.dialect is Dialect.DRAFT7  # as Confluent: draft-07 unless $schema says


@pytest.mark.parametrize(
    ("uri", "dialect"),
    [
        ("http://json-schema.org/draft-04/schema#", Dialect.DRAFT4),
        ("http://json-schema.org/draft-06/schema#", Dialect.DRAFT6),
        ("https://json-schema.org/draft-07/schema", Dialect.DRAFT7),
        ("https://json-schema.org/draft/2019-09/schema", Dialect.DRAFT201909),
        ("https://json-schema.org/draft/2020-12/schema", Dialect.DRAFT202012),
    ],
)
def test_every_draft_from_04_to_2020_12_is_accepted(uri: str, dialect: Dialect) -> None:
    schema = FORMAT.parse(json.dumps({"$schema": uri, "type": "object"}))
    assert schema.dialect is dialect


def test_draft7_tuple_items_are_valid_and_enforced() -> None:
    """Without $schema, items: [...] is a draft-07 tuple, not an invalid 2020-12 schema."""
    schema = FORMAT.parse(
        '{"type": "array", "items": [{"type": "string"}, {"type": "number"}], '
        '"additionalItems": false}'
    )
    FORMAT.validate(schema, ["ACME", 1.5])
    with pytest.raises(InvalidEvent):
        FORMAT.validate(schema, ["ACME", "x"])
    with pytest.raises(InvalidEvent):
        FORMAT.validate(schema, ["ACME", 1.5, "extra"])


@pytest.mark.parametrize(
    ("uri", "schema", "location"),
    [
        pytest.param(
            "http://json-schema.org/draft-04/schema#",
            {"type": "number", "maximum": 5, "exclusiveMaximum": 5},
            "/exclusiveMaximum",
            id="draft4-exclusive-is-boolean",
        ),
        pytest.param(
            "https://json-schema.org/draft/2020-12/schema",
            {"type": "array", "items": [{"type": "string"}]},
            "/items",
            id="2020-12-items-is-one-schema",
        ),
        pytest.param(
            "https://json-schema.org/draft/2019-09/schema",
            {"type": "array", "minContains": -1},
            "/minContains",
            id="2019-09-min-contains",
        ),
    ],
)
def test_each_draft_is_checked_against_its_own_metaschema(
    uri: str, schema: dict[str, Any], location: str
) -> None:
    with pytest.raises(InvalidSchema) as caught:
        FORMAT.parse(json.dumps({"$schema": uri, **schema}))
    assert caught.value.location == location


def test_draft4_exclusive_maximum_is_enforced() -> None:
    schema = FORMAT.parse(
        '{"$schema": "http://json-schema.org/draft-04/schema#", "type": "number", '
        '"maximum": 5, "exclusiveMaximum": true}'
    )
    FORMAT.validate(schema, 4.9)
    with pytest.raises(InvalidEvent):
        FORMAT.validate(schema, 5)


MONEY = '{"type": "object", "properties": {"cents": {"type": "integer"}}, "required": ["cents"]}'
USES_MONEY = '{"type": "object", "properties": {"price": {"$ref": "money.json"}}}'


def test_missing_reference_is_unresolved() -> None:
    with pytest.raises(UnresolvedReference) as caught:
        FORMAT.parse(USES_MONEY)
    assert caught.value.name == "money.json"


def test_reference_is_used_for_validation_and_fingerprint() -> None:
    money = FORMAT.parse(MONEY)
    trade = FORMAT.parse(USES_MONEY, {"money.json": money})
    assert trade.references == {"money.json": money}
    other_money = FORMAT.parse(MONEY.replace("integer", "number"))
    assert FORMAT.parse(USES_MONEY, {"money.json": other_money}).fingerprint != trade.fingerprint
    FORMAT.validate(trade, {"price": {"cents": 5}})
    with pytest.raises(Exception, match="cents"):
        FORMAT.validate(trade, {"price": {}})


def test_reference_relative_to_the_schema_id() -> None:
    money = FORMAT.parse(MONEY)
    text = json.dumps(
        {
            "$id": "https://example.com/schemas/trade.json",
            "type": "object",
            "properties": {"price": {"$ref": "money.json#/properties/cents"}},
        }
    )
    trade = FORMAT.parse(text, {"money.json": money})
    with pytest.raises(Exception, match="price"):
        FORMAT.validate(trade, {"price": "x"})


def test_parsed_schema_is_immutable() -> None:
    schema = FORMAT.parse(json.dumps(TRADE))
    with pytest.raises(AttributeError):
        schema.name = "other"  # type: ignore[misc]


def test_draft4_id_scopes_the_refs_inside_it() -> None:
    """draft-04 spells ``$id`` as ``id``; a ``$ref`` under it resolves against it."""
    document = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {
            "p": {
                "id": "http://example.com/p.json",
                "definitions": {"s": {"type": "integer"}},
                "allOf": [{"$ref": "#/definitions/s"}],
            }
        },
    }
    schema = FORMAT.parse(json.dumps(document))
    FORMAT.validate(schema, {"p": 1})
    with pytest.raises(InvalidEvent):
        FORMAT.validate(schema, {"p": "x"})


def test_a_reference_may_have_a_scalar_root() -> None:
    """Referenced schemas are often scalars (an amount, an id); they parse and apply."""
    cents = FORMAT.parse('{"type": "integer", "minimum": 0}')
    trade = FORMAT.parse(
        '{"type": "object", "properties": {"price": {"$ref": "cents.json"}}}', {"cents.json": cents}
    )
    require_object_root(trade)
    FORMAT.validate(trade, {"price": 5})
    with pytest.raises(InvalidEvent):
        FORMAT.validate(trade, {"price": -1})
