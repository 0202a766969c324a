"""JSON Schema (draft-04, draft-06, draft-07, 2019-09, 2020-12) as a streammesh schema format."""

from __future__ import annotations

from streammesh.schemas.json_schema.dialects import Dialect
from streammesh.schemas.json_schema.format import JsonSchemaFormat
from streammesh.schemas.json_schema.object_root import require_object_root
from streammesh.schemas.json_schema.schema import JsonSchema

__all__ = [
    "Dialect",
    "JsonSchema",
    "JsonSchemaFormat",
    "require_object_root",
]
