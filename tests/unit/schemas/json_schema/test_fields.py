"""fields(): every property, depth first, with types and descriptions."""

from __future__ import annotations

import json

from streammesh.schemas import SchemaField
from streammesh.schemas.json_schema import JsonSchemaFormat

FORMAT = JsonSchemaFormat()


def test_fields_are_listed_depth_first_with_types_and_docs() -> None:
    schema = FORMAT.parse(
        json.dumps(
            {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "Trade id"},
                    "price": {"$ref": "#/$defs/money"},
                    "legs": {
                        "type": "array",
                        "description": "Legs",
                        "items": {
                            "type": "object",
                            "properties": {
                                "qty": {"type": ["integer", "null"], "description": "Quantity"}
                            },
                        },
                    },
                    "tags": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "properties": {"v": {"type": "string"}},
                        },
                    },
                },
                "$defs": {
                    "money": {
                        "title": "Money",
                        "description": "An amount",
                        "type": "object",
                        "properties": {"cents": {"type": "integer"}},
                    }
                },
            }
        )
    )
    assert schema.fields() == (
        SchemaField("id", "string", "Trade id"),
        SchemaField("price", "Money", "An amount"),
        SchemaField("price.cents", "integer", None),
        SchemaField("legs", "array<object>", "Legs"),
        SchemaField("legs[].qty", "integer|null", "Quantity"),
        SchemaField("tags", "object", None),
        SchemaField("tags{}.v", "string", None),
    )


def test_recursive_schema_fields_terminate() -> None:
    schema = FORMAT.parse(
        json.dumps(
            {
                "type": "object",
                "properties": {"root": {"$ref": "#/$defs/node"}},
                "$defs": {
                    "node": {
                        "type": "object",
                        "properties": {
                            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}
                        },
                    }
                },
            }
        )
    )
    paths = [field.path for field in schema.fields()]
    assert paths[:2] == ["root", "root.children"]
    assert len(paths) < 10


def test_combinator_branches_contribute_fields() -> None:
    schema = FORMAT.parse(
        json.dumps(
            {
                "type": "object",
                "allOf": [
                    {"properties": {"a": {"type": "string"}}},
                    {"properties": {"b": {"oneOf": [{"type": "string"}, {"type": "null"}]}}},
                ],
            }
        )
    )
    assert [(f.path, f.type) for f in schema.fields()] == [("a", "string"), ("b", "string|null")]
