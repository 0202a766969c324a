"""``ProtobufFormat``: the ``SchemaFormat`` for proto3 (and proto2) ``.proto`` schemas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf.message import EncodeError

from streammesh.schemas.base import Incompatibility, ParsedSchema, SchemaType
from streammesh.schemas.errors import InvalidEvent, InvalidSchema
from streammesh.schemas.protobuf.compatibility import incompatibilities
from streammesh.schemas.protobuf.decoding import decode
from streammesh.schemas.protobuf.encoding import encode
from streammesh.schemas.protobuf.loading import load_schema
from streammesh.schemas.protobuf.schema import ProtobufSchema


def _protobuf(schema: ParsedSchema) -> ProtobufSchema:
    if not isinstance(schema, ProtobufSchema):
        raise InvalidSchema(
            SchemaType.PROTOBUF.value,
            "",
            f"expected a schema parsed by ProtobufFormat, got a {schema.schema_type} schema",
        )
    return schema


class ProtobufFormat:
    """Protobuf schemas: ``.proto`` text, events as dicts, payloads in protobuf encoding.

    Example:
        >>> fmt = ProtobufFormat()
        >>> schema = fmt.parse('syntax = "proto3"; message Tick { double price = 1; }')
        >>> fmt.deserialize(schema, fmt.serialize(schema, {"price": 1.5}))
        {'price': 1.5}
    """

    @property
    def schema_type(self) -> SchemaType:
        """Always ``PROTOBUF``."""
        return SchemaType.PROTOBUF

    def parse(
        self, text: str, references: Mapping[str, ParsedSchema] | None = None
    ) -> ProtobufSchema:
        """Parse a ``.proto`` file; ``references`` maps import paths to parsed schemas.

        The record message is the first message of the file; use
        :meth:`ProtobufSchema.for_message` for another one.

        Raises:
            InvalidSchema: with ``line L, column C`` for syntax errors, ``message M, field
                F`` for semantic ones.
            UnresolvedReference: for an import that is neither a reference nor a
                well-known type (``google/protobuf/timestamp.proto`` ...).
        """
        return load_schema(text, references or {})

    def validate(self, schema: ParsedSchema, event: object) -> None:
        """Raise ``InvalidEvent`` unless ``event`` fits the record message."""
        encode(_protobuf(schema), event)

    def serialize(self, schema: ParsedSchema, event: object) -> bytes:
        """Validate ``event`` and encode it as the record message (no wire-format header)."""
        parsed = _protobuf(schema)
        message = encode(parsed, event)
        try:
            return message.SerializeToString()
        except EncodeError as exc:  # encode() checks what protobuf would refuse
            raise InvalidEvent(parsed.name, "", "encode", str(exc)) from exc

    def deserialize(
        self, schema: ParsedSchema, payload: bytes, reader: ParsedSchema | None = None
    ) -> dict[str, Any]:
        """Decode a payload; with ``reader``, read it as the reader's record message.

        Protobuf needs no schema resolution: the reader's message simply decodes the
        writer's bytes (unknown fields are skipped, missing ones take defaults).
        """
        return decode(_protobuf(reader if reader is not None else schema), payload)

    def check_compatibility(
        self, reader: ParsedSchema, writer: ParsedSchema
    ) -> list[Incompatibility]:
        """Every reason why bytes written with ``writer`` cannot be read with ``reader``."""
        return incompatibilities(_protobuf(reader), _protobuf(writer))
