"""Errors of the serializers: bytes that are not in the Confluent wire format, and schemas
that a serializer cannot find under its subject."""

from __future__ import annotations

from streammesh.schemas import SchemaError


class WireFormatError(SchemaError):
    """Bytes that do not start with a Confluent wire-format header (magic byte 0, a 4-byte
    schema id and, for Protobuf, a message-index list), or a header that cannot be written."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"not a Confluent wire-format payload: {reason}; it was not written by a "
            "schema-registry serializer (streammesh's or Confluent's)"
        )


class UnregisteredSchema(SchemaError):
    """A serializer's schema is not registered under its subject."""

    def __init__(self, subject: str, schema_name: str) -> None:
        self.subject = subject
        self.schema_name = schema_name
        super().__init__(
            f"schema '{schema_name}' is not registered under subject '{subject}'; register it "
            "first (e.g. `streammesh schemas register`) or create the serializer with "
            "auto_register=True"
        )
