"""Turning the input of ``streammesh produce`` into records, all checked before any is sent.

Two formats:

* ``lines`` — each line is one UTF-8 value; with a key separator, the text before the first
  separator is the key (as ``kafka-console-producer`` does with ``parse.key``).
* ``jsonl`` — each line is a JSON object with ``value`` (any JSON, written compactly as UTF-8;
  ``null`` is a tombstone) and optionally ``key`` (string or null), ``headers`` (an object of
  strings) and ``timestamp_ms`` (UTC milliseconds). Other fields are an error.

Blank lines are skipped in both formats. Every problem names the source and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from streammesh.cli.errors import InputError
from streammesh.log import Header

_JSONL_FIELDS = frozenset({"key", "value", "headers", "timestamp_ms"})


class InputFormat(StrEnum):
    """How ``streammesh produce`` reads its input."""

    LINES = "lines"
    JSONL = "jsonl"


@dataclass(frozen=True, slots=True)
class InputRecord:
    """A record read from the input, ready to send, with the line it came from."""

    line: int
    key: bytes | None
    value: bytes | None
    headers: tuple[Header, ...] = ()
    timestamp_ms: int | None = None


def parse_records(
    data: bytes,
    source: str,
    input_format: InputFormat,
    key_separator: str | None = None,
) -> list[InputRecord]:
    """Every record in ``data``; raise ``InputError`` at the first bad line."""
    if input_format is InputFormat.JSONL and key_separator is not None:
        raise InputError(source, None, "--key-separator applies to --format lines only")
    if key_separator == "":
        raise InputError(source, None, "--key-separator must not be empty")
    records: list[InputRecord] = []
    for number, text in _text_lines(data, source):
        if not text.strip():
            continue
        if input_format is InputFormat.JSONL:
            records.append(_parse_json_line(text, source, number))
        else:
            records.append(_parse_text_line(text, source, number, key_separator))
    return records


def _text_lines(data: bytes, source: str) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                source,
                number,
                f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})",
            ) from exc


def _parse_text_line(text: str, source: str, number: int, key_separator: str | None) -> InputRecord:
    if key_separator is None:
        return InputRecord(number, None, text.encode())
    key, found, value = text.partition(key_separator)
    if not found:
        raise InputError(source, number, f"has no key separator {key_separator!r}")
    return InputRecord(number, key.encode(), value.encode())


def _parse_json_line(text: str, source: str, number: int) -> InputRecord:
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(
            source, number, f"is not valid JSON: {exc.msg} at column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise InputError(source, number, f"is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InputError(
            source, number, f"must be a JSON object with a 'value', not {_json_type(document)}"
        )
    unknown = sorted(set(document) - _JSONL_FIELDS)
    if unknown:
        raise InputError(
            source,
            number,
            f"has unknown field(s) {', '.join(repr(field) for field in unknown)}; "
            "allowed: 'key', 'value', 'headers', 'timestamp_ms'",
        )
    if "value" not in document:
        raise InputError(source, number, "has no 'value' (use null for a tombstone)")
    return InputRecord(
        line=number,
        key=_json_key(document.get("key"), source, number),
        value=_json_value(document["value"]),
        headers=_json_headers(document.get("headers"), source, number),
        timestamp_ms=_json_timestamp(document.get("timestamp_ms"), source, number),
    )


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, which no other JSON reader does.
    raise ValueError(f"{name} is not a JSON value")


def _json_key(key: Any, source: str, number: int) -> bytes | None:
    if key is None:
        return None
    if not isinstance(key, str):
        raise InputError(source, number, f"'key' must be a string or null, not {_json_type(key)}")
    return key.encode()


def _json_value(value: Any) -> bytes | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _json_headers(headers: Any, source: str, number: int) -> tuple[Header, ...]:
    if headers is None:
        return ()
    if not isinstance(headers, dict):
        raise InputError(
            source, number, f"'headers' must be an object of strings, not {_json_type(headers)}"
        )
    checked: list[Header] = []
    for name, value in headers.items():
        if not isinstance(value, str):
            raise InputError(
                source, number, f"header '{name}' must be a string, not {_json_type(value)}"
            )
        checked.append((name, value.encode()))
    return tuple(checked)


def _json_timestamp(timestamp: Any, source: str, number: int) -> int | None:
    if timestamp is None:
        return None
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise InputError(
            source,
            number,
            f"'timestamp_ms' must be a non-negative integer (UTC milliseconds), not {timestamp!r}",
        )
    return timestamp


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)
