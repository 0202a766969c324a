"""The descriptor's JSON Schema, for editors (completion and inline errors while typing)."""

from __future__ import annotations

import json
from typing import Any

from streammesh.products.descriptor import Descriptor

SCHEMA_ID = "https://streammesh.dev/schemas/descriptor.schema.json"
"""The ``$id`` of the exported schema."""


def descriptor_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a descriptor file, as YAML authors write it."""
    schema = Descriptor.model_json_schema(by_alias=True, mode="validation")
    # `domain` and `retention` default to values derived from other fields; a literal
    # null default would tell editors to write `domain: null`, which means something else.
    for derived in ("domain", "retention"):
        schema["properties"][derived].pop("default", None)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def descriptor_json_schema_text() -> str:
    """:func:`descriptor_json_schema` as indented JSON text, ready to save."""
    return json.dumps(descriptor_json_schema(), indent=2, sort_keys=False) + "\n"
