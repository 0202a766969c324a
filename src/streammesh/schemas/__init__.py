"""Schema formats: Avro, JSON Schema and Protobuf behind one ``SchemaFormat`` Protocol."""

from __future__ import annotations

from streammesh.schemas.base import (
    Incompatibility,
    ParsedSchema,
    SchemaField,
    SchemaFormat,
    SchemaType,
)
from streammesh.schemas.errors import (
    InvalidEvent,
    InvalidSchema,
    SchemaError,
    UndecodablePayload,
    UnresolvedReference,
)

__all__ = [
    "Incompatibility",
    "InvalidEvent",
    "InvalidSchema",
    "ParsedSchema",
    "SchemaError",
    "SchemaField",
    "SchemaFormat",
    "SchemaType",
    "UndecodablePayload",
    "UnresolvedReference",
]
