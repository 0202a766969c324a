"""The compiled insert path of ``postgres-cdc``: for every payload it either makes exactly
the record the general path makes (decode, convert, key), or declines so that the general
path runs and does what it does (dead letter, error)."""

from __future__ import annotations

import datetime
import decimal
import struct
from typing import Any

import pytest

from streammesh.connect.base import SourceRecord
from streammesh.connect.columns import Column, row_converter
from streammesh.connect.postgres import pgoutput
from streammesh.connect.postgres.inserts import compile_insert

COLUMNS = (
    Column.postgres("id", "int8", nullable=False, primary_key=True),
    Column.postgres("customer", "text", nullable=False),
    Column.postgres("amount", "numeric", type_modifier=((10 << 16) | 2) + 4),
    Column.postgres("placed", "timestamptz"),
    Column.postgres("score", "float8"),
    Column.postgres("paid", "bool"),
    Column.postgres("tags", "_int4"),
    Column.postgres("doc", "jsonb"),
    Column.postgres("day", "date"),
)
COMMIT_MS = 1_796_637_600_000


def text(value: str) -> bytes:
    raw = value.encode()
    return b"t" + struct.pack("!i", len(raw)) + raw


def insert(*values: bytes, oid: int = 16384) -> bytes:
    return b"I" + struct.pack("!I", oid) + b"N" + struct.pack("!h", len(values)) + b"".join(values)


def general(columns: tuple[Column, ...], payload: bytes) -> SourceRecord:
    """The record the general path makes (what ``PostgresCdcSource._records`` does)."""
    _, values = pgoutput.decode_insert(payload)
    names = [column.name for column in columns]
    row = row_converter(columns)(dict(zip(names, values, strict=True)))
    keys = [column.name for column in columns if column.primary_key]
    key: Any = row[keys[0]] if len(keys) == 1 else ({k: row[k] for k in keys} if keys else None)
    return SourceRecord("shop.orders", key, row, {}, COMMIT_MS, stream="public.orders")


ROW = (
    text("42"),
    text("customer-7 ü"),
    text("1234.5"),
    text("2026-12-07 10:00:00.123456+00"),
    text("NaN"),
    text("t"),
    text("{1,NULL,3}"),
    text('{"b": [1, 2], "a": "x"}'),
    text("2026-12-07"),
)


def test_an_insert_gives_the_general_paths_record_value_for_value() -> None:
    fast = compile_insert("shop.orders", "public.orders", COLUMNS)
    payload = insert(*ROW)
    record = fast(payload, COMMIT_MS)
    assert record is not None
    expected = general(COLUMNS, payload)
    assert record.value is not None and expected.value is not None
    score = record.value["score"]
    assert score != score  # NaN: compared apart, NaN is not equal to itself
    assert {**record.value, "score": None} == {**expected.value, "score": None}
    assert [type(v) for v in record.value.values()] == [type(v) for v in expected.value.values()]
    assert record.value["amount"] == decimal.Decimal("1234.50")
    assert record.value["placed"] == datetime.datetime(
        2026, 12, 7, 10, 0, 0, 123456, tzinfo=datetime.UTC
    )
    assert (record.product, record.key, record.timestamp_ms, record.stream) == (
        "shop.orders",
        42,
        COMMIT_MS,
        "public.orders",
    )
    assert record.headers == {} and record.position == {}


def test_nulls_a_composite_key_and_no_key() -> None:
    columns = (
        Column.postgres("region", "text", nullable=False, primary_key=True),
        Column.postgres("n", "int4", nullable=False, primary_key=True),
        Column.postgres("note", "varchar"),
    )
    payload = insert(text("eu"), text("-3"), b"n")
    record = compile_insert("shop.orders", "public.orders", columns)(payload, None)
    assert record == SourceRecord(
        "shop.orders",
        {"region": "eu", "n": -3},
        {"region": "eu", "n": -3, "note": None},
        {},
        None,
        stream="public.orders",
    )
    keyless = tuple(Column.postgres(c.name, c.sql_type) for c in columns)
    record = compile_insert("shop.orders", "public.orders", keyless)(payload, COMMIT_MS)
    assert record is not None and record.key is None and record == general(keyless, payload)


@pytest.mark.parametrize(
    ("case", "payload"),
    [
        ("an id that is no number", insert(text("4x2"), *ROW[1:])),
        ("more digits than numeric(10,2)", insert(ROW[0], ROW[1], text("123456789.5"), *ROW[3:])),
        ("a timestamp PostgreSQL writes as infinity", insert(*ROW[:3], text("infinity"), *ROW[4:])),
        ("fewer columns than the layout", insert(*ROW[:-1])),
        ("a binary value", insert(b"b" + struct.pack("!i", 8) + bytes(8), *ROW[1:])),
        ("an unchanged TOASTed value", insert(*ROW[:-1], b"u")),
        ("a value cut short", insert(*ROW)[:-3]),
        ("bytes after the last column", insert(*ROW) + b"\0"),
        ("text that is not UTF-8", insert(ROW[0], b"t" + struct.pack("!i", 1) + b"\xff", *ROW[2:])),
        ("an unknown value kind", insert(b"x", *ROW[1:])),
    ],
)
def test_what_the_general_path_must_handle_is_declined(case: str, payload: bytes) -> None:
    assert compile_insert("shop.orders", "public.orders", COLUMNS)(payload, COMMIT_MS) is None


def test_column_names_are_data_not_code() -> None:
    columns = (Column.postgres('x"}, 1/0, {"', "int8", primary_key=True),)
    record = compile_insert("shop.orders", "public.orders", columns)(insert(text("1")), None)
    assert record is not None and record.value == {'x"}, 1/0, {"': 1}
