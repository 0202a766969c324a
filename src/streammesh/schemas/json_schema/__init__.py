"""JSON Schema (draft 7 and 2020-12) as a streammesh schema format."""

from __future__ import annotations

from streammesh.schemas.json_schema.dialects import Dialect
from streammesh.schemas.json_schema.format import JsonSchemaFormat
from streammesh.schemas.json_schema.schema import JsonSchema

__all__ = ["Dialect", "JsonSchema", "JsonSchemaFormat"]
