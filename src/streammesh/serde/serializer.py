"""``Serializer`` and ``Deserializer``: events to Confluent wire-format bytes and back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from streammesh.registry import SchemaReference
from streammesh.schemas import ParsedSchema, SchemaType
from streammesh.serde.codecs import (
    Decode,
    Encode,
    EncodeHiding,
    decoder,
    encoder,
    hiding_encoder,
    valid_encoder,
)
from streammesh.serde.resolver import SchemaResolver
from streammesh.serde.wire import (
    HEADER_SIZE,
    decode_message_indexes,
    decode_schema_id,
    encode_header,
)

if TYPE_CHECKING:
    from streammesh.schemas.protobuf import ProtobufSchema


class Serializer:
    """Validates events against one schema of a subject and frames them in the wire format.

    The schema id, the header bytes and the codec are settled when the serializer is built,
    so each call costs the format's validation and encoding and nothing else.

    Example:
        >>> serializer = Serializer(resolver, "execution.stocktrades.v1-value")  # doctest: +SKIP
        >>> data = serializer.serialize({"symbol": "ACME", "price": 12.5})  # doctest: +SKIP
    """

    __slots__ = ("_encode", "_encode_valid", "schema", "schema_id", "subject")

    def __init__(
        self,
        resolver: SchemaResolver,
        subject: str,
        *,
        schema: ParsedSchema | None = None,
        auto_register: bool = False,
        references: Sequence[SchemaReference] = (),
    ) -> None:
        """Args:
        resolver: Where schema ids come from.
        subject: The subject the events belong to (``<topic>-value``).
        schema: The schema to write with; ``None`` takes the subject's latest version.
        auto_register: Register ``schema`` under ``subject`` when it is not registered yet
            (the subject's compatibility level still applies).
        references: Where the schemas ``schema`` imports are registered.

        Raises:
            UnregisteredSchema: ``schema`` is not registered and ``auto_register`` is false.
            SubjectNotFound: ``schema`` is ``None`` and the subject has no version.
        """
        if schema is None:
            schema_id, schema = resolver.latest(subject)
        else:
            schema_id = resolver.id_for(
                subject, schema, register=auto_register, references=references
            )
        indexes = _indexes(schema)
        self.subject = subject
        self.schema = schema
        self.schema_id = schema_id
        self._encode = encoder(schema, encode_header(schema_id, indexes))
        self._encode_valid: Encode | None = None

    def serialize(self, event: object) -> bytes:
        """The framed bytes of ``event``.

        Raises:
            InvalidEvent: ``event`` breaks the schema; it names the field path and the rule.
                Nothing is returned, so nothing can be written.
        """
        return self._encode(event)

    def serialize_valid(self, event: object) -> bytes:
        """:meth:`serialize` of an event the schema accepted as given and whose fields were
        then replaced only by values each valid for its own field (a protected field's
        placeholder, chosen by the schema's check): an Avro event is written without a
        second check, since Avro checks each field on its own; other formats check again.

        Raises:
            InvalidEvent: as :meth:`serialize` (a format that checks again).
        """
        encode = self._encode_valid
        if encode is None:  # built at first use: most serializers never need it
            header = encode_header(self.schema_id, _indexes(self.schema))
            encode = self._encode_valid = valid_encoder(self.schema, header)
        return encode(event)

    def hiding_writer(self, hidden: dict[str, tuple[type, object]]) -> EncodeHiding | None:
        """A function writing an event the schema accepted with each field of ``hidden``
        (top-level field name → the one value type expected, and the placeholder to write
        instead, valid for that field) written as its placeholder: the framed bytes and
        those fields' values (by name, sorted; nulls are written as usual and left out),
        or ``None`` for an event it does not cover (another type, a missing field). For
        Avro schemas the compiled writer covers; ``None`` for any other."""
        header = encode_header(self.schema_id, _indexes(self.schema))
        return hiding_encoder(self.schema, header, hidden)


class Deserializer:
    """Reads wire-format bytes written with any registered schema (by streammesh or Confluent).

    The writer's schema is found by the id in the header, once per id. With a ``reader``
    schema, Avro data is resolved to the reader's shape and JSON is checked against it;
    Protobuf decodes the message the header's message indexes name (or the reader's).

    Example:
        >>> deserializer = Deserializer(resolver)  # doctest: +SKIP
        >>> deserializer.deserialize(data)  # doctest: +SKIP
        {'symbol': 'ACME', 'price': 12.5}
    """

    __slots__ = ("_decoders", "_protobuf_decoders", "_resolver", "reader")

    def __init__(self, resolver: SchemaResolver, *, reader: ParsedSchema | None = None) -> None:
        """Args:
        resolver: Where writer schemas are found by id.
        reader: The schema the application reads with; ``None`` reads as written.
        """
        self._resolver = resolver
        self.reader = reader
        self._decoders: dict[int, Decode | None] = {}
        """Per schema id: the payload decoder, or ``None`` for Protobuf (indexes follow)."""
        self._protobuf_decoders: dict[tuple[int, tuple[int, ...]], Decode] = {}

    def deserialize(self, data: bytes) -> object:
        """The event framed in ``data``.

        Raises:
            WireFormatError: ``data`` does not start with a wire-format header.
            SchemaNotFound: the registry has no schema with the header's id.
            UndecodablePayload: the payload does not decode with the writer's schema (or the
                reader schema cannot read it).
        """
        schema_id = decode_schema_id(data)
        try:
            decode = self._decoders[schema_id]
        except KeyError:
            decode = self._decoder(schema_id)
        if decode is not None:
            return decode(data)
        indexes, offset = decode_message_indexes(data)
        key = (schema_id, tuple(indexes))
        protobuf = self._protobuf_decoders.get(key)
        if protobuf is None:
            protobuf = self._protobuf_decoder(schema_id, indexes)
        # [0] may be written as one byte or as a count and an index: the offset varies.
        return protobuf(data[offset:])

    def _decoder(self, schema_id: int) -> Decode | None:
        writer = self._resolver.schema_by_id(schema_id)
        decode: Decode | None = None
        if writer.schema_type is not SchemaType.PROTOBUF:
            decode = decoder(writer, HEADER_SIZE, self.reader)
        self._decoders[schema_id] = decode
        return decode

    def _protobuf_decoder(self, schema_id: int, indexes: Sequence[int]) -> Decode:
        writer = _protobuf(self._resolver.schema_by_id(schema_id))
        message = writer.for_message(writer.message_for_indexes(indexes))
        decode = decoder(message, 0, self.reader)
        self._protobuf_decoders[(schema_id, tuple(indexes))] = decode
        return decode


def _indexes(schema: ParsedSchema) -> list[int] | None:
    """The message indexes a Protobuf schema's header carries (``None``: not Protobuf)."""
    if schema.schema_type is SchemaType.PROTOBUF:
        return _protobuf(schema).message_indexes()
    return None


def _protobuf(schema: ParsedSchema) -> ProtobufSchema:
    # Imported here: protobuf is the optional [protobuf] extra, and format_for has already
    # raised MissingDependency for a Protobuf schema when it is absent.
    from streammesh.schemas.protobuf import ProtobufSchema

    if not isinstance(schema, ProtobufSchema):
        raise TypeError(f"a PROTOBUF schema must be a ProtobufSchema, got {type(schema).__name__}")
    return schema
