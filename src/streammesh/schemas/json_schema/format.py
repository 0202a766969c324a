"""``JsonSchemaFormat``: JSON Schema (draft-04 to 2020-12) behind the ``SchemaFormat`` Protocol."""

from __future__ import annotations

from collections.abc import Mapping

from streammesh.schemas.base import Incompatibility, ParsedSchema, SchemaType
from streammesh.schemas.errors import InvalidSchema
from streammesh.schemas.json_schema.codec import decode, encode
from streammesh.schemas.json_schema.compatibility import compare
from streammesh.schemas.json_schema.parsing import parse_schema
from streammesh.schemas.json_schema.schema import JsonSchema
from streammesh.schemas.json_schema.validation import validate_event


class JsonSchemaFormat:
    """JSON Schema: parsing, validation, JSON payloads and reader/writer compatibility.

    Example:
        >>> fmt = JsonSchemaFormat()
        >>> schema = fmt.parse('{"type": "object", "properties": {"id": {"type": "string"}}}')
        >>> fmt.serialize(schema, {"id": "a1"})
        b'{"id":"a1"}'
    """

    @property
    def schema_type(self) -> SchemaType:
        """Always :attr:`SchemaType.JSON`."""
        return SchemaType.JSON

    def parse(self, text: str, references: Mapping[str, ParsedSchema] | None = None) -> JsonSchema:
        """Parse and check a JSON Schema; see :func:`parse_schema` for the checks.

        Args:
            text: the schema as JSON text.
            references: referenced schemas, by the URI the ``$ref``s use for them.

        Raises:
            InvalidSchema: with the JSON pointer (or line and column) of the problem.
            UnresolvedReference: a ``$ref`` to a schema not among ``references``.
        """
        return parse_schema(text, references)

    def validate(self, schema: ParsedSchema, event: object) -> None:
        """Raise ``InvalidEvent`` (field path, rule) unless ``event`` matches ``schema``."""
        validate_event(_own(schema), event)

    def serialize(self, schema: ParsedSchema, event: object) -> bytes:
        """Validate ``event`` and encode it as compact UTF-8 JSON."""
        return encode(_own(schema), event)

    def deserialize(
        self, schema: ParsedSchema, payload: bytes, reader: ParsedSchema | None = None
    ) -> object:
        """Decode a JSON payload and check it against ``reader`` (``schema`` without one).

        JSON needs no resolution: the document is returned as written.
        """
        return decode(_own(schema), payload, _own(reader) if reader is not None else None)

    def check_compatibility(
        self, reader: ParsedSchema, writer: ParsedSchema
    ) -> list[Incompatibility]:
        """Every reason why a document valid under ``writer`` may be refused by ``reader``."""
        return compare(_own(reader), _own(writer))


def _own(schema: ParsedSchema) -> JsonSchema:
    if isinstance(schema, JsonSchema):
        return schema
    raise InvalidSchema(
        "JSON",
        "",
        f"expected a JSON schema parsed by JsonSchemaFormat, got a {schema.schema_type} schema",
    )
