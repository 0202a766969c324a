"""An Avro value schema as an Arrow schema, and the per-field conversions Arrow needs.

Avro's logical types map to Arrow's: ``decimal`` to ``decimal128(p, s)`` (``decimal256``
past 38 digits), ``timestamp-millis``/``-micros`` to UTC timestamps of that unit,
``local-timestamp-*`` to timestamps without a zone, ``date`` to ``date32``, ``time-*`` to
``time32``/``time64`` and ``uuid`` to a string. A union with ``null`` is a nullable field; a
record is a struct, an array a list, a map a map of strings, an enum a string.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from streammesh.connect.parquet.errors import UnsupportedSchema

Convert = Callable[[Any], Any]
"""Turns one decoded Avro value into what Arrow accepts for its type."""

_PRIMITIVES: Mapping[str, pa.DataType] = {
    "null": pa.null(),
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "bytes": pa.binary(),
    "string": pa.string(),
}

_TEMPORAL: Mapping[str, pa.DataType] = {
    "timestamp-millis": pa.timestamp("ms", tz="UTC"),
    "timestamp-micros": pa.timestamp("us", tz="UTC"),
    "local-timestamp-millis": pa.timestamp("ms"),
    "local-timestamp-micros": pa.timestamp("us"),
    "date": pa.date32(),
    "time-millis": pa.time32("ms"),
    "time-micros": pa.time64("us"),
}

_MAX_DECIMAL128_PRECISION = 38


@dataclass(frozen=True, slots=True)
class ArrowLayout:
    """The Arrow schema of one Avro value schema, and the top-level conversions it needs.

    Attributes:
        schema: The Arrow schema (one field per Avro record field, in order).
        converters: Per field name, the conversion of its values (only fields that need one:
            a ``uuid`` decoded as :class:`uuid.UUID`, nested values holding one).
    """

    schema: pa.Schema
    converters: Mapping[str, Convert]


def arrow_layout(schema_text: str, *, subject: str) -> ArrowLayout:
    """The Arrow schema for the Avro record schema ``schema_text``.

    Args:
        schema_text: The Avro schema (JSON text) of the product's values; a record.
        subject: What the schema belongs to, for error messages (``shop.orders.v1 schema 7``).

    Raises:
        UnsupportedSchema: The schema is not a record, or uses a type Arrow cannot hold.
    """
    try:
        parsed = json.loads(schema_text)
    except ValueError as exc:
        raise UnsupportedSchema(subject, f"not JSON ({exc})") from exc
    mapper = _Mapper(subject)
    if not isinstance(parsed, dict) or parsed.get("type") != "record":
        raise UnsupportedSchema(subject, "the value schema is not an Avro record")
    mapper.names[str(parsed.get("name", ""))] = (pa.null(), None)  # recursion guard
    fields: list[pa.Field] = []
    converters: dict[str, Convert] = {}
    for spec in parsed.get("fields", []):
        name = str(spec["name"])
        arrow_type, nullable, convert = mapper.field_type(spec["type"], name)
        fields.append(pa.field(name, arrow_type, nullable=nullable))
        if convert is not None:
            converters[name] = convert
    return ArrowLayout(pa.schema(fields), converters)


class _Mapper:
    """Walks one Avro schema, remembering its named types (records, enums, fixed)."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.names: dict[str, tuple[pa.DataType, Convert | None]] = {}

    def field_type(self, avro: Any, path: str) -> tuple[pa.DataType, bool, Convert | None]:
        """The Arrow type, nullability and conversion of the Avro type at ``path``."""
        if isinstance(avro, list):
            branches = [branch for branch in avro if branch != "null"]
            if len(branches) != 1:
                raise UnsupportedSchema(
                    self.subject,
                    f"field '{path}' is a union of several types; only unions "
                    "of one type with null map to a column",
                )
            arrow_type, convert = self.type_of(branches[0], path)
            return arrow_type, len(branches) != len(avro), _or_none(convert)
        arrow_type, convert = self.type_of(avro, path)
        return arrow_type, False, convert

    def type_of(self, avro: Any, path: str) -> tuple[pa.DataType, Convert | None]:
        if isinstance(avro, str):
            if avro in _PRIMITIVES:
                return _PRIMITIVES[avro], None
            if avro in self.names:
                return self.names[avro]
            raise UnsupportedSchema(self.subject, f"field '{path}' has unknown type '{avro}'")
        if isinstance(avro, list):
            arrow_type, _, convert = self.field_type(avro, path)
            return arrow_type, convert
        if not isinstance(avro, dict):
            raise UnsupportedSchema(self.subject, f"field '{path}' has an invalid type")
        logical = avro.get("logicalType")
        kind = avro.get("type")
        if logical == "decimal" and kind in ("bytes", "fixed"):
            precision, scale = int(avro["precision"]), int(avro.get("scale", 0))
            decimal = (
                pa.decimal128(precision, scale)
                if precision <= _MAX_DECIMAL128_PRECISION
                else pa.decimal256(precision, scale)
            )
            return self._named(avro, decimal, None)
        if logical == "uuid" and kind == "string":
            return pa.string(), _uuid_text
        if isinstance(logical, str) and logical in _TEMPORAL:
            return _TEMPORAL[logical], None
        if kind == "record":
            self.names[str(avro.get("name", ""))] = (pa.null(), None)
            children: list[pa.Field] = []
            converts: dict[str, Convert] = {}
            for spec in avro.get("fields", []):
                name = str(spec["name"])
                child, nullable, convert = self.field_type(spec["type"], f"{path}.{name}")
                children.append(pa.field(name, child, nullable=nullable))
                if convert is not None:
                    converts[name] = convert
            return self._named(avro, pa.struct(children), _record(converts) if converts else None)
        if kind == "enum":
            return self._named(avro, pa.string(), None)
        if kind == "fixed":
            return self._named(avro, pa.binary(int(avro["size"])), None)
        if kind == "array":
            item, nullable, convert = self.field_type(avro["items"], f"{path}[]")
            return pa.list_(pa.field("item", item, nullable=nullable)), _array(convert)
        if kind == "map":
            item, nullable, convert = self.field_type(avro["values"], f"{path}{{}}")
            return pa.map_(pa.string(), pa.field("value", item, nullable=nullable)), _map(convert)
        if isinstance(kind, (str, list, dict)):
            return self.type_of(kind, path)
        raise UnsupportedSchema(self.subject, f"field '{path}' has an invalid type")

    def _named(
        self, avro: Mapping[str, Any], arrow_type: pa.DataType, convert: Convert | None
    ) -> tuple[pa.DataType, Convert | None]:
        if "name" in avro:
            self.names[str(avro["name"])] = (arrow_type, convert)
            namespace = avro.get("namespace")
            if namespace:
                self.names[f"{namespace}.{avro['name']}"] = (arrow_type, convert)
        return arrow_type, convert


def _uuid_text(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _or_none(convert: Convert | None) -> Convert | None:
    if convert is None:
        return None
    inner = convert
    return lambda value: None if value is None else inner(value)


def _record(converts: Mapping[str, Convert]) -> Convert:
    def convert(value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        return {
            name: (converts[name](item) if name in converts else item)
            for name, item in value.items()
        }

    return convert


def _array(convert: Convert | None) -> Convert | None:
    if convert is None:
        return None
    inner = convert
    return lambda value: [inner(item) for item in value]


def _map(convert: Convert | None) -> Convert | None:
    if convert is None:
        return None
    inner = convert
    return lambda value: {key: inner(item) for key, item in value.items()}
