"""The ``SchemaFormat`` Protocol: what every schema format (Avro, JSON Schema, Protobuf) owns.

A format parses schema text into a :class:`ParsedSchema` (with a canonical form and a
fingerprint, so the same schema written twice — other whitespace, other key order — is
recognised as the same), validates events against it, serializes and deserializes event
payloads (the bare payload: the Confluent wire-format header is the serializer's business),
and checks whether data written with one schema can be read with another, listing every
incompatibility it finds. The registry stays format-agnostic: it only calls this Protocol.

Events are plain Python data: ``dict``/``list``/``str``/``int``/``float``/``bool``/``None``
and ``bytes`` for binary fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class SchemaType(StrEnum):
    """Schema formats, named as the Confluent Schema Registry API names them."""

    AVRO = "AVRO"
    JSON = "JSON"
    PROTOBUF = "PROTOBUF"


@dataclass(frozen=True, slots=True)
class SchemaField:
    """One field of a schema, for search and governance (names, types and docs of fields)
    and the product page's field table.

    ``path`` is dotted from the root record (``trade.price``); array items add ``[]``
    (``legs[].price``), map values ``{}``. ``default`` is the declared default as JSON text
    (``None``: no default); ``required`` says whether an event must carry a value (``False``
    for a nullable or optional field; ``None`` where the format does not say, as in
    Protobuf). Neither takes part in equality: two listings of one schema compare by path,
    type and doc.
    """

    path: str
    type: str
    doc: str | None = None
    default: str | None = field(default=None, compare=False)
    required: bool | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Incompatibility:
    """One reason why data written with a writer schema cannot be read with a reader schema.

    ``path`` locates it in the schemas (e.g. ``/fields/price/type`` or ``Trade.price``),
    ``rule`` is a stable identifier (Confluent's names where they exist, e.g.
    ``READER_FIELD_MISSING_DEFAULT_VALUE``), ``reason`` says it in words.
    """

    path: str
    rule: str
    reason: str


class ParsedSchema(Protocol):
    """A schema parsed and checked by its format."""

    @property
    def schema_type(self) -> SchemaType:
        """The format of this schema."""
        ...

    @property
    def text(self) -> str:
        """The schema text as given."""
        ...

    @property
    def canonical(self) -> str:
        """A canonical text: equal for schemas that differ only in layout or key order."""
        ...

    @property
    def fingerprint(self) -> str:
        """Hex SHA-256 of the canonical form together with the referenced schemas' ones."""
        ...

    @property
    def name(self) -> str:
        """The name of the record the schema describes (Avro full name, Protobuf message
        full name, JSON Schema ``title`` or ``"record"``)."""
        ...

    @property
    def references(self) -> Mapping[str, ParsedSchema]:
        """The schemas this one imports, by the name it uses for them."""
        ...

    def fields(self) -> tuple[SchemaField, ...]:
        """Every field reachable from the root record, depth first, in declaration order."""
        ...


class SchemaFormat(Protocol):
    """Parsing, validation, (de)serialization and compatibility of one schema format."""

    @property
    def schema_type(self) -> SchemaType: ...

    def parse(
        self, text: str, references: Mapping[str, ParsedSchema] | None = None
    ) -> ParsedSchema:
        """Parse and check ``text``; raise ``InvalidSchema`` naming where the problem is, or
        ``UnresolvedReference`` for an import not found in ``references``."""
        ...

    def validate(self, schema: ParsedSchema, event: object) -> None:
        """Raise ``InvalidEvent`` (with the field path and the rule broken) unless ``event``
        matches ``schema``."""
        ...

    def serialize(self, schema: ParsedSchema, event: object) -> bytes:
        """Validate ``event`` and encode it as this format's payload (no wire-format header)."""
        ...

    def deserialize(
        self, schema: ParsedSchema, payload: bytes, reader: ParsedSchema | None = None
    ) -> object:
        """Decode a payload written with ``schema``; with ``reader``, resolve it to that
        schema's shape (Avro schema resolution). ``UndecodablePayload`` on bad bytes."""
        ...

    def check_compatibility(
        self, reader: ParsedSchema, writer: ParsedSchema
    ) -> list[Incompatibility]:
        """Every reason why data written with ``writer`` cannot be read with ``reader``;
        empty when it can. (BACKWARD: reader = new, writer = old; FORWARD: the reverse.)"""
        ...
