"""``AvroFormat``: Avro schemas behind the ``SchemaFormat`` Protocol, serialized with fastavro."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from typing import Any, NoReturn

import fastavro
from fastavro.read import SchemaResolutionError

from streammesh.schemas.avro.canonical import canonical_text
from streammesh.schemas.avro.compatibility import incompatibilities
from streammesh.schemas.avro.compiled import compile_check
from streammesh.schemas.avro.defaults import python_default
from streammesh.schemas.avro.parsing import decode_json, normalise
from streammesh.schemas.avro.schema import AvroSchema, list_fields, root_name
from streammesh.schemas.avro.validation import explain
from streammesh.schemas.base import Incompatibility, ParsedSchema, SchemaType
from streammesh.schemas.errors import InvalidEvent, InvalidSchema, UndecodablePayload

_DECODE_ERRORS = (
    EOFError,
    ValueError,  # also UnicodeDecodeError
    IndexError,
    KeyError,
    TypeError,
    OverflowError,
    MemoryError,
    StopIteration,
)
"""What fastavro's reader raises on bytes that do not fit the schema."""

_ENCODE_ERRORS = (TypeError, ValueError, OverflowError, AttributeError, KeyError)


class AvroFormat:
    """Avro schemas: parsing, canonical form, validation, fastavro serialization, compatibility.

    Example:
        >>> fmt = AvroFormat()
        >>> ping = '{"type": "record", "name": "Ping", "fields": [{"name": "n", "type": "int"}]}'
        >>> schema = fmt.parse(ping)
        >>> fmt.deserialize(schema, fmt.serialize(schema, {"n": 1}))
        {'n': 1}
    """

    @property
    def schema_type(self) -> SchemaType:
        """Always ``SchemaType.AVRO``."""
        return SchemaType.AVRO

    def parse(self, text: str, references: Mapping[str, ParsedSchema] | None = None) -> AvroSchema:
        """Parse and check an Avro schema.

        Args:
            text: The schema JSON.
            references: Schemas defining named types this one uses, by the name the schema
                uses for them (the named type's full name).

        Raises:
            InvalidSchema: The text is not JSON or breaks a rule of the Avro specification;
                ``location`` is a JSON pointer (``/fields/2/type``) or a line and column.
            UnresolvedReference: A named type is neither defined in the schema nor in a
                reference.
        """
        refs = dict(references or {})
        external: dict[str, Any] = {}
        fastavro_named: dict[str, Any] = {}
        for reference_name in sorted(refs):
            reference = refs[reference_name]
            if not isinstance(reference, AvroSchema):
                raise InvalidSchema(
                    SchemaType.AVRO,
                    f"references/{reference_name}",
                    f"is a {reference.schema_type} schema; Avro schemas can only reference "
                    "Avro schemas",
                )
            external.update(reference.named)
            fastavro_named.update(reference.fastavro_named)
        tree = normalise(decode_json(text), external)
        try:
            # parse_schema adds this schema's named types to fastavro_named.
            parsed = fastavro.parse_schema(tree.raw, named_schemas=fastavro_named)
        except Exception as exc:  # fastavro's parse errors have no common base class
            raise InvalidSchema(
                SchemaType.AVRO, "/", f"fastavro refuses the schema: {exc}"
            ) from exc
        for fullname in tree.defined:
            _convert_defaults(fastavro_named[fullname], fastavro_named)
        named = {**external, **tree.defined}
        canonical = canonical_text(tree.root)
        signed = "\n".join([canonical, *(refs[name].canonical for name in sorted(refs))])
        return AvroSchema(
            text=text,
            canonical=canonical,
            fingerprint=hashlib.sha256(signed.encode()).hexdigest(),
            name=root_name(tree.root),
            references=refs,
            tree=tree.root,
            named=named,
            parsed=parsed,
            fastavro_named=fastavro_named,
            check=compile_check(tree.root, named),
            field_list=list_fields(tree.root, named),
        )

    def validate(self, schema: ParsedSchema, event: object) -> None:
        """Raise ``InvalidEvent`` naming the first field (in declaration order) that breaks
        ``schema``, with the rule broken: ``type``, ``range``, ``enum``, ``size``,
        ``required`` or ``unknown-field``."""
        avro = _avro(schema)
        if not avro.check(event):
            _refuse(avro, event)

    def serialize(self, schema: ParsedSchema, event: object) -> bytes:
        """Validate ``event`` and encode it as an Avro binary payload (no wire-format header)."""
        avro = _avro(schema)
        if not avro.check(event):
            _refuse(avro, event)
        buffer = io.BytesIO()
        try:
            fastavro.schemaless_writer(buffer, avro.parsed, event)
        except _ENCODE_ERRORS as exc:
            raise InvalidEvent(avro.name, "", "type", f"cannot be encoded: {exc}") from exc
        return buffer.getvalue()

    def deserialize(
        self, schema: ParsedSchema, payload: bytes, reader: ParsedSchema | None = None
    ) -> object:
        """Decode a payload written with ``schema``; with ``reader``, resolve it to the reader's
        shape (promotions, defaults for missing fields, aliases, enum defaults).

        Raises:
            UndecodablePayload: The bytes do not decode with ``schema`` (or leave bytes over),
                or ``reader`` cannot read what ``schema`` writes.
        """
        writer = _avro(schema)
        reader_schema = None if reader is None or reader is schema else _avro(reader).parsed
        buffer = io.BytesIO(payload)
        try:
            event = fastavro.schemaless_reader(buffer, writer.parsed, reader_schema)
        except SchemaResolutionError as exc:
            raise UndecodablePayload(
                SchemaType.AVRO,
                f"data written with '{writer.name}' cannot be read with the reader schema "
                f"({exc}); check_compatibility lists every reason",
            ) from exc
        except _DECODE_ERRORS as exc:
            raise UndecodablePayload(
                SchemaType.AVRO,
                f"the bytes are not an Avro '{writer.name}' ({type(exc).__name__}: {exc})",
            ) from exc
        if buffer.tell() != len(payload):
            raise UndecodablePayload(
                SchemaType.AVRO,
                f"{len(payload) - buffer.tell()} bytes are left over after a complete "
                f"'{writer.name}'; the payload was written with another schema",
            )
        return event

    def check_compatibility(
        self, reader: ParsedSchema, writer: ParsedSchema
    ) -> list[Incompatibility]:
        """Every reason why data written with ``writer`` cannot be read with ``reader``, by the
        resolution rules of the Avro specification (see ``compatibility``)."""
        reading, writing = _avro(reader), _avro(writer)
        return incompatibilities(reading.tree, reading.named, writing.tree, writing.named)


def _avro(schema: ParsedSchema) -> AvroSchema:
    if type(schema) is AvroSchema:
        return schema
    raise InvalidSchema(
        SchemaType.AVRO,
        "",
        f"expected an Avro schema parsed by AvroFormat, got a {schema.schema_type} schema",
    )


def _refuse(schema: AvroSchema, event: object) -> NoReturn:
    violation = explain(schema.tree, schema.named, event)
    if violation is None:  # the compiled check and explain() implement the same rules
        raise InvalidEvent(schema.name, "", "type", "does not match the schema")
    raise InvalidEvent(schema.name, violation.path, violation.rule, violation.reason)


def _convert_defaults(definition: dict[str, Any], fastavro_named: Mapping[str, Any]) -> None:
    """Turn the JSON defaults in fastavro's parsed record into Python values, in place.

    fastavro uses a default as the JSON gave it, so a missing ``bytes`` field would be written
    from a ``str`` (and fail) and a reader would return the ``str``.
    """
    for field in definition.get("fields", ()):
        if "default" in field:
            field["default"] = python_default(field["type"], field["default"], fastavro_named)
