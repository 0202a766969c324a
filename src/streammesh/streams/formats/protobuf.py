"""Protobuf schemas for columns, as ksqlDB generates them, and row values to Protobuf events.

ksqlDB (through Connect's ``ProtobufData``) writes a proto3 file with one message,
``ConnectDefault1``, a field per column numbered from 1, and a nested message per struct
(``ConnectDefault2``, ``ConnectDefault3``... in the order they appear); ARRAY is ``repeated``,
MAP ``map<K, V>``, TIMESTAMP ``google.protobuf.Timestamp``. Protobuf has no NULL: a NULL column
is left out and reads back as its type's default (0, empty text), as ksqlDB documents.
DECIMAL, DATE and TIME (``confluent.type.Decimal``, ``google.type.Date``, ``TimeOfDay`` in
ksqlDB) need schemas the mesh does not ship yet, so they are refused, naming the column.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from streammesh.streams.formats.base import Column, FormatName
from streammesh.streams.formats.errors import UnsupportedFormat
from streammesh.streams.formats.values import ValueMismatch, timestamp_millis
from streammesh.streams.formats.values import to_json as checked_json
from streammesh.streams.types import (
    ArrayType,
    BaseType,
    MapType,
    SqlType,
    StructType,
    type_text,
)

DEFAULT_MESSAGE = "ConnectDefault1"
_SCALARS = {
    BaseType.BOOLEAN: "bool",
    BaseType.INTEGER: "int32",
    BaseType.BIGINT: "int64",
    BaseType.DOUBLE: "double",
    BaseType.STRING: "string",
    BaseType.BYTES: "bytes",
    BaseType.TIMESTAMP: "google.protobuf.Timestamp",
}
_MAP_KEYS = frozenset({BaseType.BOOLEAN, BaseType.INTEGER, BaseType.BIGINT, BaseType.STRING})


def protobuf_schema(columns: Sequence[Column], *, full_name: str | None = None) -> str:
    """The ``.proto`` text ksqlDB would register for ``columns``.

    Raises:
        UnsupportedFormat: a column whose type Protobuf cannot hold here (DECIMAL, DATE,
            TIME, an array of arrays, a map of arrays, a map key that is not an integer,
            boolean or string).
    """
    package, _, name = (full_name or DEFAULT_MESSAGE).rpartition(".")
    writer = _Writer()
    body = writer.message(name, [(column.name, column.type) for column in columns], "  ")
    head = ['syntax = "proto3";', ""]
    if package:
        head += [f"package {package};", ""]
    if writer.uses_timestamp:
        head += ['import "google/protobuf/timestamp.proto";', ""]
    return "\n".join([*head, *body]) + "\n"


class _Writer:
    def __init__(self) -> None:
        self.uses_timestamp = False
        self._count = 1

    def message(self, name: str, fields: list[tuple[str, SqlType]], indent: str) -> list[str]:
        lines = [f"{indent[2:]}message {name} {{"]
        nested: list[str] = []
        for number, (field, kind) in enumerate(fields, start=1):
            type_name = self._field_type(field, kind, nested, indent)
            lines.append(f"{indent}{type_name} {field} = {number};")
        return [*lines, *nested, f"{indent[2:]}}}"]

    def _field_type(self, field: str, kind: SqlType, nested: list[str], indent: str) -> str:
        if isinstance(kind, ArrayType):
            if isinstance(kind.element, ArrayType | MapType):
                raise _unsupported(field, kind, "an array of arrays or maps")
            return "repeated " + self._single(field, kind.element, nested, indent)
        if isinstance(kind, MapType):
            if kind.key.base not in _MAP_KEYS:
                raise _unsupported(field, kind, "a map key of that type")
            if isinstance(kind.value, ArrayType | MapType):
                raise _unsupported(field, kind, "a map of arrays or maps")
            key = self._single(field, kind.key, nested, indent)
            return f"map<{key}, {self._single(field, kind.value, nested, indent)}>"
        return self._single(field, kind, nested, indent)

    def _single(self, field: str, kind: SqlType, nested: list[str], indent: str) -> str:
        if isinstance(kind, StructType):
            self._count += 1
            name = f"ConnectDefault{self._count}"
            nested += self.message(
                name, [(item.name, item.type) for item in kind.fields], indent + "  "
            )
            return name
        scalar = _SCALARS.get(kind.base)
        if scalar is None:
            raise _unsupported(field, kind, "this type yet")
        if kind.base is BaseType.TIMESTAMP:
            self.uses_timestamp = True
        return scalar


def _unsupported(field: str, kind: SqlType, what: str) -> UnsupportedFormat:
    return UnsupportedFormat(
        FormatName.PROTOBUF, f"PROTOBUF cannot hold {what} ({type_text(kind)})", field
    )


def to_protobuf(value: object, kind: SqlType, path: str) -> object:
    """The Protobuf event value (as streammesh's Protobuf format takes it) of a column value.

    Raises:
        ValueMismatch: the value is not of ``kind``, or a NULL inside an array or a map.
    """
    if value is None:
        return None
    checked_json(value, kind, path)
    if isinstance(kind, ArrayType):
        assert isinstance(value, list | tuple)
        return [
            _present(to_protobuf(item, kind.element, f"{path}[{i}]"), f"{path}[{i}]")
            for i, item in enumerate(value)
        ]
    if isinstance(kind, MapType):
        assert isinstance(value, Mapping)
        return {
            key: _present(to_protobuf(item, kind.value, f"{path}[{key!r}]"), f"{path}[{key!r}]")
            for key, item in value.items()
        }
    if isinstance(kind, StructType):
        assert isinstance(value, Mapping)
        converted = {
            item.name: to_protobuf(value.get(item.name), item.type, f"{path}.{item.name}")
            for item in kind.fields
        }
        return {name: item for name, item in converted.items() if item is not None}
    if kind.base is BaseType.TIMESTAMP:
        assert isinstance(value, datetime.datetime)
        seconds, millis = divmod(timestamp_millis(value), 1000)
        return {"seconds": seconds, "nanos": millis * 1_000_000}
    if kind.base is BaseType.BYTES:
        assert isinstance(value, bytes | bytearray)
        return bytes(value)
    return value


def _present(value: object, path: str) -> object:
    if value is None:
        raise ValueMismatch(path, "PROTOBUF cannot hold a NULL inside an array or a map")
    return value
