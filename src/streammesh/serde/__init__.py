"""Serializers: events to Confluent wire-format bytes (magic byte 0, 4-byte schema id,
Protobuf message indexes, payload) and back, with schema ids resolved through a cache."""

from streammesh.serde.codecs import EncodeHiding
from streammesh.serde.errors import UnregisteredSchema, WireFormatError
from streammesh.serde.resolver import RegistryResolver, SchemaResolver
from streammesh.serde.serializer import Deserializer, Serializer
from streammesh.serde.wire import decode_schema_id

__all__ = [
    "Deserializer",
    "EncodeHiding",
    "RegistryResolver",
    "SchemaResolver",
    "Serializer",
    "UnregisteredSchema",
    "WireFormatError",
    "decode_schema_id",
]
