"""ksqlDB's ``ksql-test-runner`` files: the input records and the expected output records.

The input file is ``{"inputs": [record, ...]}``, the output file ``{"outputs": [record,
...]}``; neither list may be empty, and other top-level properties are ignored. A record is an
object with:

- ``topic`` (required): the topic's name;
- ``key`` (optional, default null) and ``value`` (required, may be null): a JSON value as the
  topic's format presents it — an object of columns for JSON, AVRO, PROTOBUF, a bare value
  for a single key column or an unwrapped value, a string for DELIMITED (``"1,foo"``); BYTES
  are base64 text, a decimal a number or its text;
- ``timestamp`` (optional): the record's timestamp in milliseconds; an expected record without
  one matches any timestamp;
- ``window`` (optional): ``{"start": ms, "end": ms, "type": "time" | "session"}`` for a record
  of a windowed topic (``type`` in any case);
- ``headers`` (optional): ``[{"KEY": name, "VALUE": base64 bytes}, ...]``; an expected record
  without them expects none.

Other properties of a record are ignored, as ksqlDB ignores them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Literal

from streammesh.streams.testing.errors import MalformedTestFile

FileKind = Literal["inputs", "outputs"]


class WindowType(StrEnum):
    """ksqlDB's window kinds in test files: tumbling and hopping windows are ``TIME``."""

    TIME = "TIME"
    SESSION = "SESSION"


@dataclass(frozen=True, slots=True)
class Window:
    """A record's window: ``[start, end)`` in milliseconds, and its kind."""

    start: int
    end: int
    type: WindowType


@dataclass(frozen=True, slots=True)
class Header:
    """One record header: a name and bytes."""

    key: str
    value: bytes


@dataclass(frozen=True, slots=True)
class TestRecord:
    """One record of an input or output file, as written there.

    ``key`` and ``value`` are JSON data (numbers with a fraction as ``Decimal``, so a
    decimal's digits and scale are kept); ``timestamp``, ``window`` and ``headers`` are
    ``None`` when the file leaves them out.
    """

    __test__ = False  # not a pytest test class, despite the name

    topic: str
    key: object
    value: object
    timestamp: int | None = None
    window: Window | None = None
    headers: tuple[Header, ...] | None = None


MAX_FILE_CHARS = 4 * 1024 * 1024
"""Characters a test file may have (about 100,000 records; reading it takes well under a
second)."""


def read_inputs(path: str | Path) -> tuple[TestRecord, ...]:
    """The records of an input file (``{"inputs": [...]}``).

    Raises:
        MalformedTestFile: the file cannot be read, is not JSON, or breaks the format.
    """
    return parse_records(_read(path), "inputs", str(path))


def read_outputs(path: str | Path) -> tuple[TestRecord, ...]:
    """The records of an expected-output file (``{"outputs": [...]}``).

    Raises:
        MalformedTestFile: the file cannot be read, is not JSON, or breaks the format.
    """
    return parse_records(_read(path), "outputs", str(path))


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise MalformedTestFile(str(path), "$", f"cannot read the file: {reason}") from None


def parse_records(text: str, kind: FileKind, file: str) -> tuple[TestRecord, ...]:
    """The records of an input (``kind="inputs"``) or output file's text.

    Raises:
        MalformedTestFile: naming ``file``, the JSON path and the reason (line and column for
            a JSON syntax error).
    """
    if len(text) > MAX_FILE_CHARS:
        raise MalformedTestFile(
            file, "$", f"the file has {len(text)} characters; at most {MAX_FILE_CHARS}"
        )
    try:
        document = json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicates)
    except RecursionError:  # json recurses once per bracket: thousands deep exhaust the stack
        raise MalformedTestFile(file, "$", "the JSON nests too deeply to read") from None
    except json.JSONDecodeError as exc:
        raise MalformedTestFile(
            file, "$", f"not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    except _DuplicateProperty as exc:
        raise MalformedTestFile(file, "$", f"property '{exc.name}' appears twice") from None
    if not isinstance(document, Mapping):
        raise MalformedTestFile(file, "$", f"expected an object with an '{kind}' array")
    records = document.get(kind)
    noun = "input" if kind == "inputs" else "output"
    if records is None:
        raise MalformedTestFile(file, "$", f"no '{kind}' field in the {noun} file")
    if not isinstance(records, list):
        raise MalformedTestFile(file, f"$.{kind}", "expected an array of records")
    if not records:
        raise MalformedTestFile(file, f"$.{kind}", f"{kind.capitalize()} cannot be empty")
    return tuple(_record(item, file, f"$.{kind}[{index}]") for index, item in enumerate(records))


class _DuplicateProperty(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for name, value in pairs:
        if name in result:
            raise _DuplicateProperty(name)
        result[name] = value
    return result


def _record(item: object, file: str, path: str) -> TestRecord:
    if not isinstance(item, Mapping):
        raise MalformedTestFile(file, path, "expected a record object")
    topic = item.get("topic")
    if topic is None or topic == "":
        raise MalformedTestFile(file, f"{path}.topic", "missing required field 'topic'")
    if not isinstance(topic, str):
        raise MalformedTestFile(file, f"{path}.topic", "expected the topic's name as a string")
    if "value" not in item:
        raise MalformedTestFile(
            file, f"{path}.value", "missing required field 'value' (write null for none)"
        )
    return TestRecord(
        topic=topic,
        key=item.get("key"),
        value=item["value"],
        timestamp=_optional_long(item.get("timestamp"), file, f"{path}.timestamp"),
        window=_window(item.get("window"), file, f"{path}.window"),
        headers=_headers(item.get("headers"), file, f"{path}.headers"),
    )


def _long(value: object, file: str, path: str) -> int:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedTestFile(
            file, path, f"expected milliseconds as an integer, got {_shown(value)}"
        )
    if not -(2**63) <= value < 2**63:
        raise MalformedTestFile(file, path, f"{value} does not fit a 64-bit integer")
    return value


def _optional_long(value: object, file: str, path: str) -> int | None:
    return None if value is None else _long(value, file, path)


def _window(value: object, file: str, path: str) -> Window | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise MalformedTestFile(file, path, 'expected {"start": ms, "end": ms, "type": ...}')
    for field in ("start", "end", "type"):
        if value.get(field) is None:
            raise MalformedTestFile(file, f"{path}.{field}", f"missing required field '{field}'")
    kind = value["type"]
    if not isinstance(kind, str) or kind.upper() not in WindowType.__members__:
        raise MalformedTestFile(
            file, f"{path}.type", f"expected 'time' or 'session', got {_shown(kind)}"
        )
    return Window(
        _long(value["start"], file, f"{path}.start"),
        _long(value["end"], file, f"{path}.end"),
        WindowType(kind.upper()),
    )


def _headers(value: object, file: str, path: str) -> tuple[Header, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise MalformedTestFile(file, path, 'expected an array of {"KEY": ..., "VALUE": ...}')
    headers: list[Header] = []
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(item, Mapping):
            raise MalformedTestFile(file, where, 'expected {"KEY": name, "VALUE": base64}')
        name, data = item.get("KEY"), item.get("VALUE")
        if not isinstance(name, str):
            raise MalformedTestFile(file, f"{where}.KEY", "expected the header's name as a string")
        if not isinstance(data, str):
            raise MalformedTestFile(file, f"{where}.VALUE", "expected the header's bytes in base64")
        try:
            headers.append(Header(name, base64.b64decode(data, validate=True)))
        except (binascii.Error, ValueError):
            raise MalformedTestFile(file, f"{where}.VALUE", f"not base64: {_shown(data)}") from None
    return tuple(headers)


def _shown(value: object) -> str:
    return json.dumps(value, default=str)
