"""SQL columns → Avro schemas and values a product's events can carry."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import uuid

import fastavro
import pytest

from streammesh.connect.columns import (
    Column,
    ColumnConversionError,
    avro_type,
    field_schema,
    record_schema,
    row_converter,
    to_avro_value,
)


@pytest.mark.parametrize(
    ("sql_type", "expected"),
    [
        ("int2", "int"),
        ("integer", "int"),
        ("bigint", "long"),
        ("real", "float"),
        ("double precision", "double"),
        ("boolean", "boolean"),
        ("character varying(20)", "string"),
        ("char(3)", "string"),
        ("text", "string"),
        ("bytea", "bytes"),
        ("date", {"type": "int", "logicalType": "date"}),
        ("time without time zone", {"type": "long", "logicalType": "time-micros"}),
        ("timestamp", {"type": "long", "logicalType": "timestamp-micros"}),
        ("timestamp(3) with time zone", {"type": "long", "logicalType": "timestamp-micros"}),
        ("uuid", {"type": "string", "logicalType": "uuid"}),
        ("jsonb", {"type": "string", "connect.type": "json"}),
        ("numeric(10,2)", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}),
        ("numeric", {"type": "string", "connect.type": "numeric"}),
        ("mood", {"type": "string", "connect.type": "mood"}),
        ("integer[]", {"type": "array", "items": ["null", "int"]}),
        ("_text", {"type": "array", "items": ["null", "string"]}),
    ],
)
def test_postgres_type_names_map_to_avro_types(sql_type: str, expected: object) -> None:
    assert avro_type(Column.postgres("c", sql_type)) == expected


def test_postgres_oid_and_type_modifier_give_a_decimal_with_precision_and_scale() -> None:
    # numeric(12,3) as pgoutput's Relation message gives it: OID 1700, atttypmod.
    column = Column.postgres("amount", 1700, type_modifier=((12 << 16) | 3) + 4)
    assert avro_type(column) == {
        "type": "bytes",
        "logicalType": "decimal",
        "precision": 12,
        "scale": 3,
    }
    assert avro_type(Column.postgres("id", 20)) == "long"
    assert avro_type(Column.postgres("created", 1184)) == {
        "type": "long",
        "logicalType": "timestamp-micros",
    }


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("INTEGER", "long"),
        ("BIGINT", "long"),
        ("VARCHAR(20)", "string"),
        ("TEXT", "string"),
        ("", "string"),
        ("BLOB", "bytes"),
        ("REAL", "double"),
        ("DOUBLE", "double"),
        ("BOOLEAN", "boolean"),
        ("DATE", {"type": "int", "logicalType": "date"}),
        ("DATETIME", {"type": "long", "logicalType": "timestamp-micros"}),
        ("DECIMAL(10,2)", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}),
        ("NUMERIC", "double"),
        ("JSON", {"type": "string", "connect.type": "json"}),
        ("UUID", {"type": "string", "logicalType": "uuid"}),
    ],
)
def test_sqlite_declared_types_map_by_affinity(declared: str, expected: object) -> None:
    assert avro_type(Column.sqlite("c", declared)) == expected


def test_nullable_columns_default_to_null_and_primary_keys_are_required() -> None:
    assert field_schema(Column.postgres("note", "text")) == {
        "name": "note",
        "type": ["null", "string"],
        "default": None,
    }
    assert field_schema(Column.postgres("id", "int8", primary_key=True)) == {
        "name": "id",
        "type": "long",
    }
    assert field_schema(Column.postgres("n", "int4", nullable=False)) == {
        "name": "n",
        "type": "int",
    }


def test_a_record_schema_is_named_after_the_table_and_writes_converted_rows() -> None:
    columns = [
        Column.postgres("id", "int8", primary_key=True),
        Column.postgres("amount", "numeric(10,2)"),
        Column.postgres("placed", "timestamptz"),
        Column.postgres("day", "date"),
        Column.postgres("ref", "uuid"),
        Column.postgres("doc", "jsonb"),
        Column.postgres("tags", "text[]"),
        Column.postgres("raw", "bytea"),
        Column.postgres("at", "time"),
        Column.postgres("ok", "bool"),
    ]
    schema = record_schema("public.order items", columns, namespace="shop")
    assert schema["name"] == "order_items"
    assert schema["namespace"] == "shop"
    # The text forms logical replication delivers.
    text_row = {
        "id": "7",
        "amount": "12.5",
        "placed": "2026-12-07 10:52:00.123456+01",
        "day": "2026-12-07",
        "ref": "0b7e6a8e-6f56-4b43-9d1f-5a2f0f7a1c11",
        "doc": '{"a": 1}',
        "tags": '{a,"b,c",NULL}',
        "raw": "\\x0102",
        "at": "10:52:00.5",
        "ok": "t",
    }
    converted = {column.name: to_avro_value(text_row[column.name], column) for column in columns}
    assert converted["amount"] == decimal.Decimal("12.50")
    assert converted["placed"] == datetime.datetime(
        2026, 12, 7, 9, 52, 0, 123456, tzinfo=datetime.UTC
    )
    assert converted["tags"] == ["a", "b,c", None]
    assert converted["raw"] == b"\x01\x02"
    assert converted["ok"] is True
    buffer = io.BytesIO()
    parsed = fastavro.parse_schema(json.loads(json.dumps(schema)))
    fastavro.schemaless_writer(buffer, parsed, converted)
    buffer.seek(0)
    back = fastavro.schemaless_reader(buffer, parsed)
    assert back["id"] == 7
    assert back["ref"] == uuid.UUID("0b7e6a8e-6f56-4b43-9d1f-5a2f0f7a1c11")
    assert back["placed"] == converted["placed"]


def test_driver_values_convert_like_text_values() -> None:
    stamp = Column.sqlite("at", "DATETIME")
    assert to_avro_value(0, stamp) == datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    assert to_avro_value("2026-12-07 10:00:00", stamp) == datetime.datetime(
        2026, 12, 7, 10, tzinfo=datetime.UTC
    )
    price = Column.sqlite("price", "DECIMAL(6,2)")
    assert to_avro_value(3.1, price) == decimal.Decimal("3.10")
    assert to_avro_value({"b": 1, "a": [1]}, Column.postgres("doc", "json")) == '{"a":[1],"b":1}'
    assert to_avro_value(None, price) is None


@pytest.mark.parametrize(
    ("value", "column", "reason"),
    [
        ("12345.678", Column.postgres("amount", "numeric(5,2)"), "more than 5 digits"),
        ("infinity", Column.postgres("day", "date"), "cannot convert 'infinity'"),
        ("NaN", Column.postgres("amount", "numeric(5,2)"), "not a finite number"),
        ("{not json", Column.postgres("doc", "jsonb"), "cannot convert"),
        ("1.5", Column.postgres("n", "int4"), "cannot convert"),
    ],
)
def test_values_that_do_not_fit_name_the_column(value: str, column: Column, reason: str) -> None:
    with pytest.raises(ColumnConversionError, match=reason) as caught:
        to_avro_value(value, column)
    assert caught.value.column == column.name
    assert column.name in str(caught.value)


def test_a_row_converter_converts_like_to_avro_value_and_names_the_failing_column() -> None:
    columns = [
        Column.postgres("id", "int8", primary_key=True),
        Column.postgres("name", "text"),
        Column.postgres("amount", "numeric(4,1)"),
        Column.postgres("at", "timestamptz"),
    ]
    convert = row_converter(columns)
    row = {"id": "3", "name": "ann", "amount": "2.25", "at": "2026-12-07 10:00:00+00"}
    assert convert(row) == {
        name: to_avro_value(row[name], column) for name, column in zip(row, columns, strict=True)
    }
    assert convert({"id": "4"}) == {"id": 4, "name": None, "amount": None, "at": None}
    with pytest.raises(ColumnConversionError, match="column 'amount'"):
        convert({"id": "5", "amount": "12345"})
