"""The field table's details: each field's declared default and whether an event must carry
it, as Avro and JSON Schema say them (the product page shows both)."""

from __future__ import annotations

import json

from streammesh.schemas.avro import AvroFormat
from streammesh.schemas.json_schema import JsonSchemaFormat


def test_avro_fields_carry_their_default_and_whether_they_are_required() -> None:
    schema = AvroFormat().parse(
        json.dumps(
            {
                "type": "record",
                "name": "Order",
                "fields": [
                    {"name": "id", "type": "string"},
                    {"name": "note", "type": ["null", "string"], "default": None},
                    {"name": "status", "type": "string", "default": "placed"},
                ],
            }
        )
    )
    details = {f.path: (f.default, f.required) for f in schema.fields()}
    assert details == {
        "id": (None, True),
        "note": ("null", False),
        "status": ('"placed"', True),
    }


def test_json_schema_fields_carry_their_default_and_whether_they_are_required() -> None:
    schema = JsonSchemaFormat().parse(
        json.dumps(
            {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "note": {"type": ["string", "null"]},
                    "status": {"type": "string", "default": "placed"},
                },
                "required": ["id", "note"],
            }
        )
    )
    details = {f.path: (f.default, f.required) for f in schema.fields()}
    assert details == {
        "id": (None, True),
        "note": (None, False),
        "status": ('"placed"', False),
    }
