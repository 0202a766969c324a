"""AVRO, JSON_SR and PROTOBUF: rows through the mesh's schema registry, in the Confluent wire
format (magic byte 0, the 4-byte schema id, for Protobuf the message indexes, the payload).

Writing registers (once) the schema ksqlDB would generate for the columns under the subject
(``<topic>-value`` / ``<topic>-key``) and frames each row with its id, through
``streammesh.serde`` as the data plane does. Reading finds the writer's schema by the id in the
header, so data written by any producer with any registered schema of the subject is read;
record fields are matched to columns in any case, first match, and a missing field is NULL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from streammesh.errors import MeshError
from streammesh.privacy import FieldProtection, PrivacyError
from streammesh.schemas import InvalidEvent
from streammesh.schemas.avro import AvroFormat
from streammesh.schemas.json_schema import JsonSchemaFormat
from streammesh.serde import Deserializer, SchemaResolver, Serializer
from streammesh.streams.formats.avro import avro_schema, from_avro, to_avro
from streammesh.streams.formats.base import Column, FormatName, Row
from streammesh.streams.formats.errors import (
    DeserializationFailed,
    SerializationFailed,
    UnsupportedFormat,
)
from streammesh.streams.formats.json_format import JsonSerde, parse_json
from streammesh.streams.formats.protobuf import protobuf_schema, to_protobuf
from streammesh.streams.formats.values import ValueMismatch, describe, lookup
from streammesh.streams.types import (
    ArrayType,
    BaseType,
    DecimalType,
    MapType,
    SqlType,
    StructType,
)

RevealFields = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns a data product's decoded value into what the reader may see of it: encrypted fields
decrypted or masked (``streammesh.dataplane.Revealer``); may raise ``PrivacyError``."""


class AvroSerde:
    """Rows to Avro in the wire format and back (see the module)."""

    __slots__ = (
        "_columns",
        "_deserializer",
        "_fields",
        "_given",
        "_resolver",
        "_schema_text",
        "_serializer",
        "_subject",
        "_wrapped",
    )

    def __init__(
        self,
        columns: Sequence[Column],
        resolver: SchemaResolver,
        subject: str,
        *,
        wrapped: bool = True,
        full_name: str | None = None,
        schema: str | None = None,
    ) -> None:
        """Args:
        columns: The key or value columns.
        resolver: The registry, through the serializers' cache.
        subject: Where the schema is registered (``<topic>-value``).
        wrapped: A record of the columns; ``False`` (one column) the bare value.
        full_name: The generated record's full name (``VALUE_AVRO_SCHEMA_FULL_NAME``).
        schema: A record schema registered under ``subject`` to write with instead of the
            generated one (never registered from here: writing refuses it unregistered); each
            column goes to the field of its name, matched in any case.

        Raises:
            UnsupportedFormat: a column has no field in ``schema``, or ``schema`` is not a
                record schema.
        """
        self._columns = tuple(columns)
        self._resolver = resolver
        self._subject = subject
        self._wrapped = wrapped
        self._given = schema is not None
        self._schema_text = (
            schema
            if schema is not None
            else avro_schema(columns, wrapped=wrapped, full_name=full_name)
        )
        self._fields = (
            _record_fields(schema, self._columns)
            if schema is not None
            else tuple(column.name for column in self._columns)
        )
        self._serializer: Serializer | None = None
        self._deserializer = Deserializer(resolver)

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns, in order."""
        return self._columns

    @property
    def wrapped(self) -> bool:
        """Whether rows are records (``False``: one bare value)."""
        return self._wrapped

    @property
    def schema_text(self) -> str:
        """The Avro schema registered for writing."""
        return self._schema_text

    def serialize(self, row: Sequence[object] | None) -> bytes | None:
        """Wire-format Avro of ``row``; registers the schema on first use.

        Raises:
            SerializationFailed: a value does not fit its column.
            IncompatibleSchema: the subject's compatibility level refuses the generated schema.
        """
        if row is None:
            return None
        return self._write(self._datum(row))

    def serialize_protected(
        self, row: Sequence[object], key: bytes, protection: FieldProtection
    ) -> tuple[bytes, dict[str, bytes]]:
        """Wire-format Avro of ``row`` with the fields ``protection`` encrypts replaced by
        schema-valid placeholders, and the record headers carrying their ciphertext (sealed
        with the data key of the entity ``key``), as the data plane's producer writes a
        product's events.

        Raises:
            SerializationFailed: a value does not fit its column or the schema, or a protected
                field cannot be encrypted.
        """
        datum = self._datum(row)
        if not isinstance(datum, dict):  # a product's value is always a record
            raise SerializationFailed(FormatName.AVRO, "", "a protected value must be a record")
        schema = self._writer().schema
        avro = AvroFormat()

        def check(event: Mapping[str, object]) -> None:
            avro.validate(schema, event)

        try:
            check(datum)  # the computed row first: errors name real problems, not placeholders
            protected, headers = protection.protect(datum, key, check=check)
        except InvalidEvent as exc:
            raise SerializationFailed(FormatName.AVRO, exc.path, exc.reason) from None
        except PrivacyError as exc:
            raise SerializationFailed(FormatName.AVRO, "", str(exc)) from None
        return self._write(protected), headers

    def _datum(self, row: Sequence[object]) -> object:
        _check_width(FormatName.AVRO, self._columns, row)
        try:
            values = [
                to_avro(value, column.type, column.name)
                for column, value in zip(self._columns, row, strict=True)
            ]
        except ValueMismatch as exc:
            raise SerializationFailed(FormatName.AVRO, exc.path, exc.reason) from None
        return dict(zip(self._fields, values, strict=True)) if self._wrapped else values[0]

    def _writer(self) -> Serializer:
        if self._serializer is None:
            schema = AvroFormat().parse(self._schema_text)
            self._serializer = Serializer(
                self._resolver, self._subject, schema=schema, auto_register=not self._given
            )
        return self._serializer

    def _write(self, datum: object) -> bytes:
        serializer = self._writer()
        if not self._given:
            return serializer.serialize(datum)  # every generated field is optional
        try:
            return serializer.serialize(datum)
        except InvalidEvent as exc:  # a given schema may require a field: a null key
            raise SerializationFailed(FormatName.AVRO, exc.path, exc.reason) from None

    def deserialize(self, data: bytes | None) -> Row | None:
        """The row of a wire-format Avro record (``None`` for a null record)."""
        if data is None:
            return None
        return _row_of(FormatName.AVRO, self._decode(data), self._columns, self._wrapped)

    def deserialize_revealed(self, data: bytes | None, reveal: RevealFields) -> Row | None:
        """The row of a data product's record, its decoded value passed through ``reveal``
        first (its encrypted fields decrypted or masked, as the data plane's consumer does).

        Raises:
            DeserializationFailed: the bytes cannot be read, or an encrypted field cannot be
                decrypted (its header was altered).
        """
        if data is None:
            return None
        datum = _revealed(FormatName.AVRO, self._decode(data), reveal)
        return _row_of(FormatName.AVRO, datum, self._columns, self._wrapped)

    def _decode(self, data: bytes) -> object:
        try:
            return self._deserializer.deserialize(data)
        except MeshError as exc:
            raise DeserializationFailed(FormatName.AVRO, str(exc)) from None


def _record_fields(schema: str, columns: Sequence[Column]) -> tuple[str, ...]:
    """The field of a given record schema each column is written to (same name, any case)."""
    try:
        document = json.loads(schema)
    except ValueError as exc:
        raise UnsupportedFormat(FormatName.AVRO, f"the given schema is not JSON: {exc}") from None
    fields = document.get("fields") if isinstance(document, dict) else None
    if not isinstance(fields, list) or document.get("type") != "record":
        raise UnsupportedFormat(FormatName.AVRO, "the given schema is not a record schema")
    by_name = {str(field.get("name")).upper(): str(field.get("name")) for field in fields}
    found: list[str] = []
    for column in columns:
        name = by_name.get(column.name.upper())
        if name is None:
            raise UnsupportedFormat(
                FormatName.AVRO,
                f"the registered schema '{document.get('name')}' has no field {column.name}",
                column.name,
            )
        found.append(name)
    return tuple(found)


class JsonSrSerde:
    """JSON_SR: ksqlDB's JSON payload behind the wire-format header of a registered JSON
    Schema (see :func:`json_schema`); reading skips the header and reads the JSON."""

    __slots__ = ("_header", "_json", "_resolver", "_schema_text", "_subject")

    def __init__(
        self,
        columns: Sequence[Column],
        resolver: SchemaResolver,
        subject: str,
        *,
        wrapped: bool = True,
    ) -> None:
        """Args:
        columns: The key or value columns.
        resolver: The registry, through the serializers' cache.
        subject: Where the schema is registered.
        wrapped: An object of the columns; ``False`` (one column) the bare value.
        """
        self._json = JsonSerde(columns, wrapped=wrapped, format_name=FormatName.JSON_SR)
        self._resolver = resolver
        self._subject = subject
        self._schema_text = json_schema(columns, wrapped=wrapped)
        self._header: bytes | None = None

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns, in order."""
        return self._json.columns

    @property
    def wrapped(self) -> bool:
        """Whether rows are JSON objects (``False``: one bare value)."""
        return self._json.wrapped

    @property
    def schema_text(self) -> str:
        """The JSON Schema registered for writing."""
        return self._schema_text

    def serialize(self, row: Sequence[object] | None) -> bytes | None:
        """The header of the registered schema and the row's JSON text."""
        payload = self._json.serialize(row)
        if payload is None:
            return None
        if self._header is None:
            schema = JsonSchemaFormat().parse(self._schema_text)
            schema_id = self._resolver.id_for(self._subject, schema, register=True)
            # The Confluent header: magic byte 0 and the id as 4 big-endian bytes.
            self._header = b"\x00" + schema_id.to_bytes(4, "big")
        return self._header + payload

    def deserialize(self, data: bytes | None) -> Row | None:
        """The row of a JSON_SR record (``None`` for a null record)."""
        if data is None:
            return None
        if data[:1] != b"\x00" or len(data) < 5:
            raise DeserializationFailed(
                FormatName.JSON_SR,
                "not a Confluent wire-format payload (no magic byte 0 and schema id); it was "
                "not written by a schema-registry serializer",
            )
        document = parse_json(data, FormatName.JSON_SR)
        if document is None:
            return None
        return self._json.from_document(document)

    def deserialize_revealed(self, data: bytes | None, reveal: RevealFields) -> Row | None:
        """As :meth:`AvroSerde.deserialize_revealed`, for a JSON_SR record."""
        if data is None or data[:1] != b"\x00" or len(data) < 5:
            return self.deserialize(data)  # nothing to reveal, or refused there naming why
        document = parse_json(data, FormatName.JSON_SR)
        if document is None:
            return None
        return self._json.from_document(_revealed(FormatName.JSON_SR, document, reveal))


class ProtobufSerde:
    """Rows to Protobuf in the wire format and back: writing registers the message ksqlDB
    would generate (see :func:`~streammesh.streams.formats.protobuf.protobuf_schema`);
    reading takes any registered message of the subject, its fields matched to the columns
    (a field left out reads as its type's default, as Protobuf has no NULL)."""

    __slots__ = (
        "_columns",
        "_deserializer",
        "_resolver",
        "_schema_text",
        "_serializer",
        "_subject",
    )

    def __init__(
        self,
        columns: Sequence[Column],
        resolver: SchemaResolver,
        subject: str,
        *,
        full_name: str | None = None,
    ) -> None:
        """Args:
        columns: The key or value columns.
        resolver: The registry, through the serializers' cache.
        subject: Where the schema is registered.
        full_name: The generated message's full name (``VALUE_PROTOBUF_SCHEMA_FULL_NAME``).

        Raises:
            UnsupportedFormat: a column whose type the generated message cannot hold.
        """
        self._columns = tuple(columns)
        self._resolver = resolver
        self._subject = subject
        self._schema_text = protobuf_schema(columns, full_name=full_name)
        self._serializer: Serializer | None = None
        self._deserializer = Deserializer(resolver)

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns, in order."""
        return self._columns

    @property
    def wrapped(self) -> bool:
        """Always ``True``: a message of the columns (PROTOBUF does not unwrap)."""
        return True

    @property
    def schema_text(self) -> str:
        """The ``.proto`` registered for writing."""
        return self._schema_text

    def serialize(self, row: Sequence[object] | None) -> bytes | None:
        """Wire-format Protobuf of ``row``; registers the schema on first use."""
        if row is None:
            return None
        _check_width(FormatName.PROTOBUF, self._columns, row)
        try:
            event = {
                column.name: to_protobuf(value, column.type, column.name)
                for column, value in zip(self._columns, row, strict=True)
            }
        except ValueMismatch as exc:
            raise SerializationFailed(FormatName.PROTOBUF, exc.path, exc.reason) from None
        if self._serializer is None:
            from streammesh.schemas.protobuf import ProtobufFormat  # the [protobuf] extra

            schema = ProtobufFormat().parse(self._schema_text)
            self._serializer = Serializer(
                self._resolver, self._subject, schema=schema, auto_register=True
            )
        return self._serializer.serialize(
            {name: value for name, value in event.items() if value is not None}
        )

    def deserialize(self, data: bytes | None) -> Row | None:
        """The row of a wire-format Protobuf record (``None`` for a null record)."""
        if data is None:
            return None
        try:
            message = self._deserializer.deserialize(data)
        except MeshError as exc:
            raise DeserializationFailed(FormatName.PROTOBUF, str(exc)) from None
        return _row_of(FormatName.PROTOBUF, message, self._columns, True)

    def deserialize_revealed(self, data: bytes | None, reveal: RevealFields) -> Row | None:
        """As :meth:`AvroSerde.deserialize_revealed`, for a Protobuf record."""
        if data is None:
            return None
        try:
            message = self._deserializer.deserialize(data)
        except MeshError as exc:
            raise DeserializationFailed(FormatName.PROTOBUF, str(exc)) from None
        message = _revealed(FormatName.PROTOBUF, message, reveal)
        return _row_of(FormatName.PROTOBUF, message, self._columns, True)


def _revealed(format_name: str, datum: object, reveal: RevealFields) -> object:
    """``datum`` through ``reveal`` when it is a record of fields (what a product's value is)."""
    if not isinstance(datum, dict):
        return datum
    try:
        return reveal(datum)
    except PrivacyError as exc:
        raise DeserializationFailed(format_name, str(exc)) from None


def _check_width(format_name: str, columns: Sequence[Column], row: Sequence[object]) -> None:
    if len(row) != len(columns):
        raise SerializationFailed(
            format_name,
            ", ".join(column.name for column in columns),
            f"the row has {len(row)} values for {len(columns)} columns",
        )


def _row_of(
    format_name: str, datum: object, columns: Sequence[Column], wrapped: bool
) -> Row | None:
    try:
        if not wrapped or not isinstance(datum, Mapping):
            if datum is None:
                return None
            if len(columns) != 1:
                raise DeserializationFailed(
                    format_name,
                    f"expected a record with the columns "
                    f"{', '.join(column.name for column in columns)}, got {describe(datum)}",
                )
            return (from_avro(datum, columns[0].type, columns[0].name),)
        return tuple(
            from_avro(lookup(datum, column.name), column.type, column.name) for column in columns
        )
    except ValueMismatch as exc:
        raise DeserializationFailed(format_name, exc.reason, exc.path) from None


def json_schema(columns: Sequence[Column], *, wrapped: bool = True) -> str:
    """The JSON Schema registered for JSON_SR columns: an object of optional properties
    (``oneOf`` null or the type), integers marked with Connect's ``connect.type``."""
    if not wrapped:
        return json.dumps(_json_optional(columns[0].type))
    return json.dumps(
        {
            "type": "object",
            "properties": {
                column.name: {**_json_optional(column.type), "connect.index": index}
                for index, column in enumerate(columns)
            },
        }
    )


def _json_optional(kind: SqlType) -> dict[str, object]:
    return {"oneOf": [{"type": "null"}, _json_type(kind)]}


def _json_type(kind: SqlType) -> dict[str, object]:
    simple: dict[BaseType, dict[str, object]] = {
        BaseType.BOOLEAN: {"type": "boolean"},
        BaseType.INTEGER: {"type": "integer", "connect.type": "int32"},
        BaseType.BIGINT: {"type": "integer", "connect.type": "int64"},
        BaseType.DOUBLE: {"type": "number", "connect.type": "float64"},
        BaseType.STRING: {"type": "string"},
        BaseType.BYTES: {"type": "string", "connect.type": "bytes"},
        BaseType.DATE: {
            "type": "integer",
            "connect.type": "int32",
            "title": "org.apache.kafka.connect.data.Date",
        },
        BaseType.TIME: {
            "type": "integer",
            "connect.type": "int32",
            "title": "org.apache.kafka.connect.data.Time",
        },
        BaseType.TIMESTAMP: {
            "type": "integer",
            "connect.type": "int64",
            "title": "org.apache.kafka.connect.data.Timestamp",
        },
    }
    if kind.base in simple:
        return simple[kind.base]
    if isinstance(kind, DecimalType):
        return {
            "type": "number",
            "title": "org.apache.kafka.connect.data.Decimal",
            "connect.parameters": {
                "connect.decimal.precision": str(kind.precision),
                "scale": str(kind.scale),
            },
        }
    if isinstance(kind, ArrayType):
        return {"type": "array", "items": _json_optional(kind.element)}
    if isinstance(kind, MapType):
        return {
            "type": "object",
            "connect.type": "map",
            "additionalProperties": _json_optional(kind.value),
        }
    assert isinstance(kind, StructType)
    return {
        "type": "object",
        "properties": {
            item.name: {**_json_optional(item.type), "connect.index": index}
            for index, item in enumerate(kind.fields)
        },
    }
