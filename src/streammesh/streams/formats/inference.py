"""Columns from a registered schema: how a product of the mesh is named in ``FROM`` directly.

ksqlDB's schema inference, for the three registry formats: a record (Avro record, JSON Schema
object with ``properties``, Protobuf message) gives one column per field, in order, with the
field's name as written; any other top-level schema gives one column, ``ROWVAL`` for a value
and ``ROWKEY`` for a key (ksqlDB's names for unwrapped data).

Avro: ``boolean`` BOOLEAN, ``int`` INTEGER (``date`` DATE, ``time-millis`` TIME), ``long``
BIGINT (``timestamp-millis``/``-micros`` TIMESTAMP), ``float``/``double`` DOUBLE, ``string``
and ``enum`` STRING, ``bytes``/``fixed`` BYTES (``decimal`` DECIMAL), ``array`` ARRAY,
``map`` MAP<STRING, _>, ``record`` STRUCT; a union of null and one type is that type.
JSON Schema: ``integer`` BIGINT (INTEGER with ``"connect.type": "int32"``), ``number``
DOUBLE, ``string`` STRING, ``boolean`` BOOLEAN, ``array`` ARRAY, an object with
``properties`` STRUCT, with only ``additionalProperties`` MAP<STRING, _>; ``oneOf``/``anyOf``
of null and one type is that type. Protobuf: 32-bit integers INTEGER, 64-bit BIGINT,
``float``/``double`` DOUBLE, ``bool``, ``string``, ``bytes``, enums STRING, ``repeated``
ARRAY, ``map`` MAP, messages STRUCT (``google.protobuf.Timestamp`` TIMESTAMP,
``google.type.Date`` DATE, ``google.type.TimeOfDay`` TIME).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Literal

from streammesh.schemas import ParsedSchema, SchemaType
from streammesh.streams.formats.base import Column
from streammesh.streams.formats.errors import UnmappableSchema
from streammesh.streams.types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    TIME,
    TIMESTAMP,
    SqlType,
    array,
    decimal,
    map_of,
    struct,
)

Part = Literal["key", "value"]
_AVRO_PRIMITIVES: dict[str, SqlType] = {
    "boolean": BOOLEAN,
    "int": INTEGER,
    "long": BIGINT,
    "float": DOUBLE,
    "double": DOUBLE,
    "string": STRING,
    "bytes": BYTES,
}
_AVRO_LOGICAL: dict[str, SqlType] = {
    "date": DATE,
    "time-millis": TIME,
    "timestamp-millis": TIMESTAMP,
    "timestamp-micros": TIMESTAMP,
}


def columns_of(schema: ParsedSchema, part: Part = "value") -> tuple[Column, ...]:
    """The columns a registered schema gives a stream's key or value.

    Raises:
        UnmappableSchema: a part of the schema has no SQL type; it names the path.
    """
    if schema.schema_type is SchemaType.AVRO:
        return _AvroColumns(schema.name).top(json.loads(schema.text), part)
    if schema.schema_type is SchemaType.JSON:
        return _json_columns(schema.name, json.loads(schema.text), part)
    return _protobuf_columns(schema)


def _single(part: Part, kind: SqlType) -> tuple[Column, ...]:
    return (Column("ROWKEY" if part == "key" else "ROWVAL", kind),)


class _AvroColumns:
    def __init__(self, schema_name: str) -> None:
        self._schema_name = schema_name
        self._named: dict[str, object] = {}
        self._entered: set[str] = set()

    def top(self, avro: object, part: Part) -> tuple[Column, ...]:
        avro = self._resolve(avro, "")
        if isinstance(avro, Mapping) and avro.get("type") == "record":
            kind = self.type_of(avro, "")
            assert hasattr(kind, "fields")
            return tuple(Column(item.name, item.type) for item in kind.fields)
        return _single(part, self.type_of(avro, ""))

    def _fail(self, path: str, reason: str) -> UnmappableSchema:
        return UnmappableSchema(self._schema_name, path or "/", reason)

    def _resolve(self, avro: object, namespace: str) -> object:
        if isinstance(avro, str) and avro not in _AVRO_PRIMITIVES and avro != "null":
            full = avro if "." in avro or not namespace else f"{namespace}.{avro}"
            return self._named.get(full, self._named.get(avro, avro))
        return avro

    def type_of(self, avro: object, path: str, namespace: str = "") -> SqlType:
        avro = self._resolve(avro, namespace)
        if isinstance(avro, list):
            members = [member for member in avro if member != "null"]
            if len(members) != 1:
                raise self._fail(path, f"a union of {len(members)} types has no SQL type")
            return self.type_of(members[0], path, namespace)
        if isinstance(avro, str):
            if avro in _AVRO_PRIMITIVES:
                return _AVRO_PRIMITIVES[avro]
            raise self._fail(path, f"unknown type '{avro}'")
        if not isinstance(avro, Mapping):
            raise self._fail(path, "not an Avro type")
        logical = avro.get("logicalType")
        kind = avro.get("type")
        if logical == "decimal":
            return decimal(int(avro.get("precision", 10)), int(avro.get("scale", 0)))
        if isinstance(logical, str) and logical in _AVRO_LOGICAL:
            return _AVRO_LOGICAL[logical]
        if kind == "array":
            return array(self.type_of(avro.get("items"), f"{path}[]", namespace))
        if kind == "map":
            return map_of(STRING, self.type_of(avro.get("values"), f"{path}{{}}", namespace))
        if kind in ("enum", "fixed", "record"):
            name = str(avro.get("name"))
            space = str(avro.get("namespace", namespace if "." not in name else ""))
            full = name if "." in name or not space else f"{space}.{name}"
            self._named[full] = avro
            if kind == "enum":
                return STRING
            if kind == "fixed":
                return BYTES
            return self._record(avro, full, path, space)
        return self.type_of(kind, path, namespace)

    def _record(self, avro: Mapping[str, object], full: str, path: str, space: str) -> SqlType:
        if full in self._entered:
            raise self._fail(path, f"record '{full}' is recursive")
        self._entered.add(full)
        fields = avro.get("fields")
        assert isinstance(fields, list)
        kind = struct(
            *(
                (str(item["name"]), self.type_of(item["type"], f"{path}/{item['name']}", space))
                for item in fields
            )
        )
        self._entered.discard(full)
        return kind


def _json_columns(schema_name: str, document: object, part: Part) -> tuple[Column, ...]:
    kind = _json_type(schema_name, document, "")
    if hasattr(kind, "fields") and isinstance(document, Mapping) and "properties" in document:
        return tuple(Column(item.name, item.type) for item in kind.fields)
    return _single(part, kind)


def _json_type(schema_name: str, node: object, path: str) -> SqlType:
    if not isinstance(node, Mapping):
        raise UnmappableSchema(schema_name, path or "/", "not a JSON Schema")
    for keyword in ("oneOf", "anyOf"):
        options = node.get(keyword)
        if isinstance(options, list):
            members = [
                item
                for item in options
                if not (isinstance(item, Mapping) and item.get("type") == "null")
            ]
            if len(members) != 1:
                raise UnmappableSchema(
                    schema_name, path or "/", f"a {keyword} of {len(members)} types has no SQL type"
                )
            return _json_type(schema_name, members[0], path)
    kind = node.get("type")
    if isinstance(kind, list):
        members = [item for item in kind if item != "null"]
        if len(members) != 1:
            raise UnmappableSchema(schema_name, path or "/", f"a type of {kind} has no SQL type")
        kind = members[0]
    connect = node.get("connect.type")
    if kind == "integer":
        return INTEGER if connect == "int32" else BIGINT
    if kind == "number":
        return DOUBLE
    if kind == "string":
        return BYTES if connect == "bytes" else STRING
    if kind == "boolean":
        return BOOLEAN
    if kind == "array":
        return array(_json_type(schema_name, node.get("items", {}), f"{path}/items"))
    if kind == "object" or "properties" in node:
        properties = node.get("properties")
        if isinstance(properties, Mapping) and properties:
            return struct(
                *(
                    (str(name), _json_type(schema_name, item, f"{path}/properties/{name}"))
                    for name, item in properties.items()
                )
            )
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping):
            return map_of(STRING, _json_type(schema_name, extra, f"{path}/additionalProperties"))
        raise UnmappableSchema(schema_name, path or "/", "an object without properties")
    raise UnmappableSchema(schema_name, path or "/", f"type {kind!r} has no SQL type")


_PROTOBUF_WELL_KNOWN: dict[str, SqlType] = {
    "google.protobuf.Timestamp": TIMESTAMP,
    "google.type.Date": DATE,
    "google.type.TimeOfDay": TIME,
}


def _protobuf_columns(schema: ParsedSchema) -> tuple[Column, ...]:
    from google.protobuf.descriptor import Descriptor, FieldDescriptor

    root: Descriptor = getattr(schema, "descriptor")  # noqa: B009 - ProtobufSchema's message

    def is_map(item: FieldDescriptor) -> bool:
        entry = item.message_type
        return entry is not None and bool(entry.GetOptions().map_entry)

    scalars: dict[int, SqlType] = {
        FieldDescriptor.TYPE_DOUBLE: DOUBLE,
        FieldDescriptor.TYPE_FLOAT: DOUBLE,
        FieldDescriptor.TYPE_INT64: BIGINT,
        FieldDescriptor.TYPE_UINT64: BIGINT,
        FieldDescriptor.TYPE_SINT64: BIGINT,
        FieldDescriptor.TYPE_FIXED64: BIGINT,
        FieldDescriptor.TYPE_SFIXED64: BIGINT,
        FieldDescriptor.TYPE_INT32: INTEGER,
        FieldDescriptor.TYPE_UINT32: INTEGER,
        FieldDescriptor.TYPE_SINT32: INTEGER,
        FieldDescriptor.TYPE_FIXED32: INTEGER,
        FieldDescriptor.TYPE_SFIXED32: INTEGER,
        FieldDescriptor.TYPE_BOOL: BOOLEAN,
        FieldDescriptor.TYPE_STRING: STRING,
        FieldDescriptor.TYPE_BYTES: BYTES,
        FieldDescriptor.TYPE_ENUM: STRING,
    }

    def message(descriptor: Descriptor, path: str, seen: tuple[str, ...]) -> SqlType:
        if descriptor.full_name in _PROTOBUF_WELL_KNOWN:
            return _PROTOBUF_WELL_KNOWN[descriptor.full_name]
        if descriptor.full_name in seen:
            raise UnmappableSchema(
                schema.name, path, f"message '{descriptor.full_name}' is recursive"
            )
        return struct(
            *(
                (item.name, field(item, f"{path}.{item.name}", (*seen, descriptor.full_name)))
                for item in descriptor.fields
            )
        )

    def single(item: FieldDescriptor, path: str, seen: tuple[str, ...]) -> SqlType:
        if item.message_type is not None:
            return message(item.message_type, path, seen)
        return scalars[item.type]

    def field(item: FieldDescriptor, path: str, seen: tuple[str, ...]) -> SqlType:
        if is_map(item):
            entry = item.message_type
            assert entry is not None
            key, value = entry.fields_by_name["key"], entry.fields_by_name["value"]
            return map_of(single(key, path, seen), single(value, path, seen))
        kind = single(item, path, seen)
        return array(kind) if item.is_repeated else kind

    return tuple(
        Column(item.name, field(item, item.name, (root.full_name,))) for item in root.fields
    )
