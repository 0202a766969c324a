"""Finding the ``SchemaFormat`` for a schema type."""

from __future__ import annotations

from functools import cache

from streammesh.errors import MissingDependency
from streammesh.schemas.base import SchemaFormat, SchemaType


@cache
def format_for(schema_type: SchemaType) -> SchemaFormat:
    """The format implementation for ``schema_type`` (one shared, stateless instance)."""
    if schema_type is SchemaType.AVRO:
        from streammesh.schemas.avro import AvroFormat

        return AvroFormat()
    if schema_type is SchemaType.JSON:
        from streammesh.schemas.json_schema import JsonSchemaFormat

        return JsonSchemaFormat()
    try:
        from streammesh.schemas.protobuf import ProtobufFormat
    except ImportError as exc:  # protobuf and proto-schema-parser are the [protobuf] extra
        raise MissingDependency("Protobuf schemas", "protobuf") from exc
    return ProtobufFormat()
