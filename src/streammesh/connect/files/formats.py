"""Reading CSV, JSON lines and Parquet files as rows, and the columns a file's rows have.

A reader yields every row of a file from a given row number on, each as a :class:`FileRow`:
its number (data rows for CSV after the header, lines for JSON lines, rows for Parquet, all
from 0) and either its raw values or why it is not a row (a CSV line with too many fields,
a line that is not a JSON object) — the source sends those to the dead letters.

Columns: Parquet's come from its Arrow schema; CSV's and JSON lines' are inferred from the
whole file (a column whose every value is a whole number is ``bigint``, then ``double
precision``, ``boolean``, ``date``, ``timestamptz``, else ``text``; JSON objects and arrays
are ``jsonb``), and the ``columns`` setting overrides the inference. Within a run, the types
of successive files are merged (:func:`merged_types`).
"""

from __future__ import annotations

import csv
import datetime
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from streammesh.connect.files.config import FileFormat

__all__ = ["FileRow", "file_types", "merged_types", "read_rows"]

_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_BOOLEANS = {"true", "false"}


@dataclass(frozen=True, slots=True)
class FileRow:
    """One row of a file, or why a line of it is not a row.

    Attributes:
        number: The row's number in the file (from 0).
        values: Column → raw value, or ``None`` when the line is bad.
        problem: Why the line is bad.
        text: The bad line's text (shortened), for the dead letter.
    """

    number: int
    values: Mapping[str, Any] | None
    problem: str = ""
    text: str = ""


def read_rows(
    path: Path, file_format: FileFormat, start: int, delimiter: str = ","
) -> Iterator[FileRow]:
    """The rows of ``path`` from row number ``start`` on."""
    if file_format is FileFormat.CSV:
        return _csv_rows(path, start, delimiter)
    if file_format is FileFormat.JSONL:
        return _jsonl_rows(path, start)
    return _parquet_rows(path, start)


def _csv_rows(path: Path, start: int, delimiter: str) -> Iterator[FileRow]:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        number = -1
        while True:
            number += 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if number >= start:
                    yield FileRow(number, None, f"line {reader.line_num}: {exc}")
                continue
            if number < start:
                continue
            if len(fields) != len(header):
                yield FileRow(
                    number,
                    None,
                    f"line {reader.line_num}: {len(fields)} fields where the header has "
                    f"{len(header)}",
                    delimiter.join(fields)[:500],
                )
                continue
            yield FileRow(
                number, {n: (v if v != "" else None) for n, v in zip(header, fields, strict=True)}
            )


def _jsonl_rows(path: Path, start: int) -> Iterator[FileRow]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle):
            if number < start or not line.strip():
                continue
            text = line.decode("utf-8", errors="replace")
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield FileRow(number, None, f"line {number + 1}: not JSON: {exc}", text[:500])
                continue
            if not isinstance(value, dict):
                yield FileRow(number, None, f"line {number + 1}: not a JSON object", text[:500])
                continue
            yield FileRow(number, value)


def _parquet_rows(path: Path, start: int) -> Iterator[FileRow]:
    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1_024):
        skip = max(start - number, 0)
        if skip < batch.num_rows:
            for offset, row in enumerate(batch.slice(skip).to_pylist()):
                yield FileRow(number + skip + offset, row)
        number += batch.num_rows


def file_types(path: Path, file_format: FileFormat, delimiter: str = ",") -> dict[str, str]:
    """The file's columns and their SQL types, in the file's order (see the module)."""
    if file_format is FileFormat.PARQUET:
        return {field.name: _arrow_sql_type(field.type) for field in pq.read_schema(path)}
    return _inferred(read_rows(path, file_format, 0, delimiter))


def merged_types(earlier: Mapping[str, str], later: Mapping[str, str]) -> dict[str, str]:
    """The types of two files' columns together: a column typed differently in each gets
    the type both fit (``bigint`` and ``double precision`` → ``double precision``, else
    ``text``), so a product's schema only widens from file to file."""
    merged = dict(earlier)
    for name, sql_type in later.items():
        before = merged.get(name)
        merged[name] = sql_type if before in (None, sql_type) else _common_kind({before, sql_type})
    return merged


def _inferred(rows: Iterator[FileRow]) -> dict[str, str]:
    kinds: dict[str, set[str]] = {}
    for row in rows:
        if row.values is None:
            continue
        for name, value in row.values.items():
            found = kinds.setdefault(name, set())
            if value is not None:
                found.add(_value_kind(value))
    return {name: _common_kind(found) for name, found in kinds.items()}


def _value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int8"
    if isinstance(value, float):
        return "float8"
    if isinstance(value, dict | list):
        return "jsonb"
    text = str(value).strip()
    if _INTEGER.match(text):
        return "int8" if -(2**63) <= int(text) < 2**63 else "text"
    if _NUMBER.match(text):
        return "float8"
    if text.lower() in _BOOLEANS:
        return "bool"
    try:
        if len(text) == 10:
            datetime.date.fromisoformat(text)
            return "date"
        if len(text) > 10:
            datetime.datetime.fromisoformat(text)
            return "timestamptz"
    except ValueError:
        pass
    return "text"


def _common_kind(kinds: set[str]) -> str:
    if not kinds:
        return "text"
    if len(kinds) == 1:
        return next(iter(kinds))
    if kinds <= {"int8", "float8"}:
        return "float8"
    if "jsonb" in kinds:
        return "jsonb"
    return "text"


def _arrow_sql_type(arrow: pa.DataType) -> str:
    types = pa.types
    if types.is_boolean(arrow):
        return "bool"
    if types.is_int8(arrow) or types.is_int16(arrow) or types.is_uint8(arrow):
        return "int2"
    if types.is_int32(arrow) or types.is_uint16(arrow):
        return "int4"
    if types.is_integer(arrow):
        return "int8"
    if types.is_float16(arrow) or types.is_float32(arrow):
        return "float4"
    if types.is_float64(arrow):
        return "float8"
    if types.is_decimal(arrow):
        return f"numeric({arrow.precision},{arrow.scale})"
    if types.is_string(arrow) or types.is_large_string(arrow):
        return "text"
    if types.is_binary(arrow) or types.is_large_binary(arrow) or types.is_fixed_size_binary(arrow):
        return "bytea"
    if types.is_date(arrow):
        return "date"
    if types.is_timestamp(arrow):
        return "timestamptz"
    if types.is_time(arrow):
        return "time"
    if types.is_nested(arrow):
        return "jsonb"
    return "text"
