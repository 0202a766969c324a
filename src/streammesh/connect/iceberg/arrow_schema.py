"""Avro schemas of products as Arrow schemas, and decoded values as Arrow-ready values.

Written for the Iceberg sink (the Parquet sink had no shared mapping yet when it was); Arrow
types are the ones pyiceberg maps to Iceberg types: ``long``, ``decimal(p, s)``, ``date``,
``time`` and ``timestamptz`` in microseconds, ``string`` for uuids, enums and JSON.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from streammesh.connect.iceberg.errors import UnsupportedAvroType

Convert = Callable[[Any], Any]
"""Turns one decoded Avro value into what ``pa.Table.from_pylist`` takes for its column."""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)

_PRIMITIVES: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "bytes": pa.binary(),
    "string": pa.string(),
}


@dataclass(frozen=True, slots=True)
class ArrowRecord:
    """A product's value schema as Arrow: its schema and a converter per top-level field."""

    schema: pa.Schema
    converters: Mapping[str, Convert]

    def row(self, value: Mapping[str, Any]) -> dict[str, Any]:
        """``value``'s fields as Arrow-ready values (absent fields are left out: null)."""
        return {
            name: convert(value[name])
            for name, convert in self.converters.items()
            if value.get(name) is not None
        }


def arrow_record(product: str, avro_text: str) -> ArrowRecord:
    """The Arrow schema of a product's Avro value schema (a record) and its converters.

    Raises:
        UnsupportedAvroType: A field is a union of several non-null types, or not a record.
    """
    mapper = _Mapper(product)
    schema = json.loads(avro_text)
    if not isinstance(schema, dict) or schema.get("type") != "record":
        raise UnsupportedAvroType(product, "(value)", json.dumps(schema))
    fields: list[pa.Field] = []
    converters: dict[str, Convert] = {}
    mapper.remember(schema)
    for item in schema["fields"]:
        field, convert = mapper.field(item, item["name"])
        fields.append(field)
        converters[item["name"]] = convert
    return ArrowRecord(pa.schema(fields), converters)


class _Mapper:
    """Walks one Avro schema, resolving named types it defined earlier."""

    def __init__(self, product: str) -> None:
        self._product = product
        self._named: dict[str, Any] = {}

    def remember(self, schema: Mapping[str, Any]) -> None:
        name = schema.get("name")
        if isinstance(name, str):
            namespace = schema.get("namespace")
            self._named[name] = schema
            if namespace and "." not in name:
                self._named[f"{namespace}.{name}"] = schema

    def field(self, item: Mapping[str, Any], path: str) -> tuple[pa.Field, Convert]:
        arrow, convert, nullable = self.type(item["type"], path)
        return pa.field(item["name"], arrow, nullable=nullable), convert

    def type(self, schema: Any, path: str) -> tuple[pa.DataType, Convert, bool]:
        """The Arrow type, converter and nullability of an Avro type."""
        if isinstance(schema, list):
            branches = [branch for branch in schema if branch != "null"]
            if len(branches) != 1:
                raise UnsupportedAvroType(self._product, path, json.dumps(schema))
            arrow, convert, _ = self.type(branches[0], path)
            return arrow, convert, True
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return _PRIMITIVES[schema], _same, False
            if schema in self._named:
                return self.type(self._named[schema], path)
            raise UnsupportedAvroType(self._product, path, json.dumps(schema))
        return self._complex(schema, path)

    def _complex(self, schema: Mapping[str, Any], path: str) -> tuple[pa.DataType, Convert, bool]:
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical is not None or schema.get("connect.type") == "json":
            mapped = _logical(schema)
            if mapped is not None:
                return mapped[0], mapped[1], False
        if kind == "record":
            self.remember(schema)
            fields: list[pa.Field] = []
            converters: dict[str, Convert] = {}
            for item in schema["fields"]:
                field, convert = self.field(item, f"{path}.{item['name']}")
                fields.append(field)
                converters[item["name"]] = convert
            return pa.struct(fields), _record(converters), False
        if kind == "enum":
            self.remember(schema)
            return pa.string(), _same, False
        if kind == "fixed":
            self.remember(schema)
            return pa.binary(), _same, False
        if kind == "array":
            arrow, convert, nullable = self.type(schema["items"], f"{path}[]")
            item = pa.field("element", arrow, nullable=nullable)
            return pa.list_(item), _array(convert), False
        if kind == "map":
            arrow, convert, nullable = self.type(schema["values"], f"{path}{{}}")
            value = pa.field("value", arrow, nullable=nullable)
            return pa.map_(pa.string(), value), _map(convert), False
        return self.type(kind, path)


def _logical(schema: Mapping[str, Any]) -> tuple[pa.DataType, Convert] | None:
    """The Arrow type and converter of a logical type, ``None`` for one unknown (Avro's rule:
    an unknown logical type reads as its underlying type)."""
    logical = schema.get("logicalType")
    if schema.get("connect.type") == "json":
        return pa.string(), _json
    if logical == "decimal":
        precision = int(schema["precision"])
        scale = int(schema.get("scale", 0))
        return pa.decimal128(precision, scale), _decimal(scale)
    if logical == "date":
        return pa.date32(), _date
    if logical in ("time-millis", "time-micros"):
        return pa.time64("us"), _time(1000 if logical == "time-millis" else 1)
    if logical in ("timestamp-millis", "timestamp-micros"):
        return pa.timestamp("us", tz="UTC"), _timestamp(logical.endswith("millis"), local=False)
    if logical in ("local-timestamp-millis", "local-timestamp-micros"):
        return pa.timestamp("us"), _timestamp(logical.endswith("millis"), local=True)
    if logical == "uuid":
        return pa.string(), str
    return None


def _same(value: Any) -> Any:
    return value


def _json(value: Any) -> Any:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _record(converters: Mapping[str, Convert]) -> Convert:
    def convert(value: Any) -> Any:
        return {
            name: None if value.get(name) is None else each(value[name])
            for name, each in converters.items()
        }

    return convert


def _array(item: Convert) -> Convert:
    return lambda value: [None if each is None else item(each) for each in value]


def _map(item: Convert) -> Convert:
    return lambda value: [(k, None if v is None else item(v)) for k, v in value.items()]


def _decimal(scale: int) -> Convert:
    def convert(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            # The Avro encoding: the unscaled value, big-endian two's complement.
            unscaled = int.from_bytes(value, "big", signed=True)
            return decimal.Decimal(unscaled).scaleb(-scale)
        return decimal.Decimal(value)

    return convert


def _date(value: Any) -> Any:
    if isinstance(value, int):
        return _EPOCH_DATE + dt.timedelta(days=value)
    return value


def _time(unit_us: int) -> Convert:
    def convert(value: Any) -> Any:
        if isinstance(value, int):
            micros = value * unit_us
            seconds, micro = divmod(micros, 1_000_000)
            minutes, second = divmod(seconds, 60)
            hour, minute = divmod(minutes, 60)
            return dt.time(hour, minute, second, micro)
        return value

    return convert


def _timestamp(millis: bool, *, local: bool) -> Convert:
    def convert(value: Any) -> Any:
        if isinstance(value, int):
            moment = _EPOCH + (
                dt.timedelta(milliseconds=value) if millis else dt.timedelta(microseconds=value)
            )
            return moment.replace(tzinfo=None) if local else moment
        if isinstance(value, dt.datetime) and not local and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value

    return convert
