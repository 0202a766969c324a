"""Schema formats: Avro, JSON Schema and Protobuf behind one ``SchemaFormat`` Protocol."""

from __future__ import annotations

from streammesh.schemas.base import (
    Incompatibility,
    ParsedSchema,
    SchemaField,
    SchemaFormat,
    SchemaType,
)
from streammesh.schemas.diff import SchemaSide, diff_schemas, pretty_schema
from streammesh.schemas.errors import (
    InvalidEvent,
    InvalidSchema,
    SchemaError,
    UndecodablePayload,
    UnresolvedReference,
)
from streammesh.schemas.formats import format_for

__all__ = [
    "Incompatibility",
    "InvalidEvent",
    "InvalidSchema",
    "ParsedSchema",
    "SchemaError",
    "SchemaField",
    "SchemaFormat",
    "SchemaSide",
    "SchemaType",
    "UndecodablePayload",
    "UnresolvedReference",
    "diff_schemas",
    "format_for",
    "pretty_schema",
]
