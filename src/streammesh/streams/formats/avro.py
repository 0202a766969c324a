"""Avro schemas for columns, named as ksqlDB names the schemas it registers, and row values
to and from Avro data.

The record is ``KsqlDataSourceSchema`` in namespace ``io.confluent.ksql.avro_schemas``
(``schema_full_name`` overrides it); a struct column's record is named after its path
(``KsqlDataSourceSchema_ADDRESS``). Every field is optional (``["null", type]``, default
null), as ksqlDB's columns are nullable. DECIMAL is ``bytes`` with the ``decimal`` logical
type, DATE ``int``/``date``, TIME ``int``/``time-millis``, TIMESTAMP ``long``/
``timestamp-millis``; a MAP with STRING keys is an Avro map, other keys an array of
``key``/``value`` records (Connect's encoding).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence

from streammesh.streams.formats.base import Column
from streammesh.streams.formats.values import (
    ValueMismatch,
    fit_decimal,
    from_json,
    lookup,
    time_from_millis,
)
from streammesh.streams.formats.values import to_json as checked_json
from streammesh.streams.types import (
    ArrayType,
    BaseType,
    DecimalType,
    MapType,
    SqlType,
    StructType,
)

DEFAULT_FULL_NAME = "io.confluent.ksql.avro_schemas.KsqlDataSourceSchema"

_PRIMITIVES: dict[BaseType, object] = {
    BaseType.BOOLEAN: "boolean",
    BaseType.INTEGER: "int",
    BaseType.BIGINT: "long",
    BaseType.DOUBLE: "double",
    BaseType.STRING: "string",
    BaseType.BYTES: "bytes",
    BaseType.DATE: {"type": "int", "logicalType": "date"},
    BaseType.TIME: {"type": "int", "logicalType": "time-millis"},
    BaseType.TIMESTAMP: {"type": "long", "logicalType": "timestamp-millis"},
}


def avro_schema(
    columns: Sequence[Column], *, wrapped: bool = True, full_name: str | None = None
) -> str:
    """The Avro schema text ksqlDB would register for ``columns``.

    Args:
        columns: The key or value columns.
        wrapped: A record of the columns; ``False`` (one column) the column's own type.
        full_name: The record's full name; ksqlDB's default when ``None``.
    """
    namespace, _, name = (full_name or DEFAULT_FULL_NAME).rpartition(".")
    if not wrapped:
        return json.dumps(_optional(_avro_type(columns[0].type, name)))
    record: dict[str, object] = {"type": "record", "name": name}
    if namespace:
        record["namespace"] = namespace
    record["fields"] = [
        {
            "name": column.name,
            "type": _optional(_avro_type(column.type, f"{name}_{column.name}")),
            "default": None,
        }
        for column in columns
    ]
    return json.dumps(record)


def _optional(avro: object) -> list[object]:
    return ["null", avro]


def _avro_type(kind: SqlType, name: str) -> object:
    primitive = _PRIMITIVES.get(kind.base)
    if primitive is not None:
        return primitive
    if isinstance(kind, DecimalType):
        return {
            "type": "bytes",
            "logicalType": "decimal",
            "precision": kind.precision,
            "scale": kind.scale,
        }
    if isinstance(kind, ArrayType):
        return {"type": "array", "items": _optional(_avro_type(kind.element, name))}
    if isinstance(kind, MapType):
        if kind.key.base is BaseType.STRING:
            return {"type": "map", "values": _optional(_avro_type(kind.value, name))}
        entry = {
            "type": "record",
            "name": name,
            "fields": [
                {
                    "name": "key",
                    "type": _optional(_avro_type(kind.key, f"{name}_key")),
                    "default": None,
                },
                {
                    "name": "value",
                    "type": _optional(_avro_type(kind.value, f"{name}_value")),
                    "default": None,
                },
            ],
        }
        return {"type": "array", "items": entry}
    assert isinstance(kind, StructType)
    return {
        "type": "record",
        "name": name,
        "fields": [
            {
                "name": item.name,
                "type": _optional(_avro_type(item.type, f"{name}_{item.name}")),
                "default": None,
            }
            for item in kind.fields
        ],
    }


def to_avro(value: object, kind: SqlType, path: str) -> object:
    """The Avro datum (as fastavro writes it) of a column value, checking it fits.

    Raises:
        ValueMismatch: the value is not of ``kind``.
    """
    if value is None:
        return None
    checked_json(value, kind, path)  # the same checks (types, ranges, decimal fit) as JSON
    if isinstance(kind, DecimalType):
        return fit_decimal(value, kind, path)  # type: ignore[arg-type]
    if isinstance(kind, ArrayType):
        assert isinstance(value, list | tuple)
        return [to_avro(item, kind.element, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(kind, MapType):
        assert isinstance(value, Mapping)
        pairs = [
            (to_avro(key, kind.key, path), to_avro(item, kind.value, f"{path}[{key!r}]"))
            for key, item in value.items()
        ]
        if kind.key.base is BaseType.STRING:
            return dict(pairs)
        return [{"key": key, "value": item} for key, item in pairs]
    if isinstance(kind, StructType):
        assert isinstance(value, Mapping)
        return {
            item.name: to_avro(value.get(item.name), item.type, f"{path}.{item.name}")
            for item in kind.fields
        }
    if kind.base is BaseType.BYTES:
        assert isinstance(value, bytes | bytearray)
        return bytes(value)
    return value


def from_avro(value: object, kind: SqlType, path: str) -> object:
    """The column value of type ``kind`` held by an Avro datum (as fastavro reads it) or a
    Protobuf event value (as streammesh's Protobuf format decodes it).

    Raises:
        ValueMismatch: the datum does not fit ``kind``.
    """
    if value is None:
        return None
    base = kind.base
    if base is BaseType.TIMESTAMP and isinstance(value, int | datetime.datetime):
        return from_json(value, kind, path)
    if base is BaseType.TIMESTAMP and isinstance(value, Mapping):  # google.protobuf.Timestamp
        seconds, nanos = value.get("seconds", 0), value.get("nanos", 0)
        if isinstance(seconds, int) and isinstance(nanos, int):
            return from_json(seconds * 1000 + nanos // 1_000_000, kind, path)
    if base is BaseType.TIME and isinstance(value, int):
        return time_from_millis(value)
    if base is BaseType.STRING and isinstance(value, str):
        return value
    if isinstance(kind, ArrayType) and isinstance(value, list):
        return [from_avro(item, kind.element, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(kind, MapType):
        if isinstance(value, list):  # Connect's array of key/value records
            value = {
                entry.get("key"): entry.get("value") for entry in value if isinstance(entry, dict)
            }
        if isinstance(value, Mapping):
            return {
                from_avro(key, kind.key, path): from_avro(item, kind.value, f"{path}[{key!r}]")
                for key, item in value.items()
            }
    if isinstance(kind, StructType) and isinstance(value, Mapping):
        return {
            item.name: from_avro(lookup(value, item.name), item.type, f"{path}.{item.name}")
            for item in kind.fields
        }
    if isinstance(kind, DecimalType) and not isinstance(value, float):
        return from_json(value, kind, path)
    try:
        checked_json(value, kind, path)
    except ValueMismatch:
        if base is BaseType.DOUBLE and isinstance(value, float | int):
            return float(value)
        if base is BaseType.BIGINT and type(value) is int:
            return value
        raise
    return value
