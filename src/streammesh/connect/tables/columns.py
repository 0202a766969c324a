"""The columns of a product's table, from its Avro value schema.

Each field becomes a :class:`Column` of a :class:`SqlType`; the database dialect turns the
type into its column type and a value into what its driver takes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from streammesh.connect.tables.errors import UnsupportedColumnType


class SqlType(StrEnum):
    """What a field holds, as far as a column cares."""

    BOOLEAN = "boolean"
    INTEGER = "integer"
    BIGINT = "bigint"
    REAL = "real"
    DOUBLE = "double"
    TEXT = "text"
    BYTES = "bytes"
    DECIMAL = "decimal"
    TIMESTAMP = "timestamp"
    """An instant (``timestamp-millis``/``-micros``): stored with its zone, UTC."""
    LOCAL_TIMESTAMP = "local-timestamp"
    DATE = "date"
    TIME = "time"
    UUID = "uuid"
    JSON = "json"
    """Records, arrays and maps: a JSON document."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column from one field.

    Attributes:
        name: The field's name.
        type: Its type.
        nullable: The field is a union with null.
        has_default: The field has a default (old rows may do without it).
        precision: Digits of a decimal.
        scale: Digits after the point of a decimal.
    """

    name: str
    type: SqlType
    nullable: bool
    has_default: bool
    precision: int = 0
    scale: int = 0


_PRIMITIVES: Mapping[str, SqlType] = {
    "boolean": SqlType.BOOLEAN,
    "int": SqlType.INTEGER,
    "long": SqlType.BIGINT,
    "float": SqlType.REAL,
    "double": SqlType.DOUBLE,
    "string": SqlType.TEXT,
    "bytes": SqlType.BYTES,
}

_LOGICAL: Mapping[str, SqlType] = {
    "timestamp-millis": SqlType.TIMESTAMP,
    "timestamp-micros": SqlType.TIMESTAMP,
    "local-timestamp-millis": SqlType.LOCAL_TIMESTAMP,
    "local-timestamp-micros": SqlType.LOCAL_TIMESTAMP,
    "date": SqlType.DATE,
    "time-millis": SqlType.TIME,
    "time-micros": SqlType.TIME,
    "uuid": SqlType.UUID,
}


def columns_of(schema_text: str, *, subject: str) -> tuple[Column, ...]:
    """The columns of the Avro record schema ``schema_text``, in field order.

    Raises:
        UnsupportedColumnType: The schema is not a record, or a field is a union of
            several types.
    """
    try:
        parsed = json.loads(schema_text)
    except ValueError as exc:
        raise UnsupportedColumnType(subject, "(schema)", f"not JSON ({exc})") from exc
    if not isinstance(parsed, dict) or parsed.get("type") != "record":
        raise UnsupportedColumnType(subject, "(schema)", "the value schema is not a record")
    enums: set[str] = set()
    columns = []
    for spec in parsed.get("fields", []):
        name = str(spec["name"])
        avro = spec["type"]
        nullable = False
        if isinstance(avro, list):
            branches = [branch for branch in avro if branch != "null"]
            if len(branches) != 1:
                raise UnsupportedColumnType(
                    subject, name, "a union of several types (only one type or null)"
                )
            nullable, avro = len(branches) != len(avro), branches[0]
        sql_type, precision, scale = _type_of(avro, enums)
        columns.append(Column(name, sql_type, nullable, "default" in spec, precision, scale))
    return tuple(columns)


def _type_of(avro: Any, enums: set[str]) -> tuple[SqlType, int, int]:
    if isinstance(avro, str):
        if avro in _PRIMITIVES:
            return _PRIMITIVES[avro], 0, 0
        # a named type defined earlier: enums are text, records and fixed are JSON / bytes
        return (SqlType.TEXT if avro in enums else SqlType.JSON), 0, 0
    if isinstance(avro, dict):
        logical, kind = avro.get("logicalType"), avro.get("type")
        if logical == "decimal":
            return SqlType.DECIMAL, int(avro["precision"]), int(avro.get("scale", 0))
        if isinstance(logical, str) and logical in _LOGICAL:
            return _LOGICAL[logical], 0, 0
        if kind == "enum":
            enums.add(str(avro.get("name")))
            return SqlType.TEXT, 0, 0
        if kind == "fixed":
            return SqlType.BYTES, 0, 0
        if kind in ("record", "array", "map"):
            return SqlType.JSON, 0, 0
        return _type_of(kind, enums)
    return SqlType.JSON, 0, 0
