"""Between test-file records and a topic's bytes: what the test command feeds and reads.

A test file writes a key or value as the topic's format presents it (see
:mod:`streammesh.streams.testing.files`); :func:`input_bytes` turns an input record into the
key and value bytes of the topic's formats, and :func:`produced_record` presents a record a
run wrote the same way, ready for :func:`~streammesh.streams.testing.compare.compare`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from streammesh.streams.formats import (
    DelimitedSerde,
    DeserializationFailed,
    JsonSerde,
    NoneSerde,
    Row,
    RowSerde,
    SerializationFailed,
)
from streammesh.streams.testing.compare import ProducedRecord
from streammesh.streams.testing.errors import MalformedTestFile
from streammesh.streams.testing.files import Header, TestRecord, Window

_T = TypeVar("_T")


def input_bytes(
    record: TestRecord, key: RowSerde, value: RowSerde, *, file: str, path: str
) -> tuple[bytes | None, bytes | None]:
    """The key and value bytes of an input record in its topic's formats.

    Args:
        record: The record as the input file gives it.
        key: The topic's key serde.
        value: The topic's value serde.
        file: The input file, for messages.
        path: The record's JSON path (``$.inputs[3]``), for messages.

    Raises:
        MalformedTestFile: the key or value does not fit the topic's columns; it names the
            JSON path down to the column (``$.inputs[3].value.AGE``) and the reason.
    """
    return (
        _encode(record.key, key, file, f"{path}.key"),
        _encode(record.value, value, file, f"{path}.value"),
    )


def _encode(spec: object, serde: RowSerde, file: str, path: str) -> bytes | None:
    if isinstance(serde, NoneSerde) or spec is None:
        return None
    row: Row | None
    if isinstance(serde, DelimitedSerde):
        # ksqlDB's test runner writes a DELIMITED record's text as it is.
        text = spec if isinstance(spec, str) else str(spec)
        row = _checked(lambda: serde.deserialize(text.encode("utf-8")), file, path, True)
    else:
        # Any other format: the file holds the JSON form of the columns.
        as_json = JsonSerde(serde.columns, wrapped=serde.wrapped)
        row = _checked(lambda: as_json.from_document(spec), file, path, serde.wrapped)
    return _checked(lambda: serde.serialize(row), file, path, serde.wrapped)


def _checked(action: Callable[[], _T], file: str, path: str, by_column: bool) -> _T:
    try:
        return action()
    except (DeserializationFailed, SerializationFailed) as exc:
        where = f"{path}.{exc.column}" if exc.column and by_column else path
        raise MalformedTestFile(file, where, exc.reason) from None


def produced_record(
    topic: str,
    key_data: bytes | None,
    value_data: bytes | None,
    timestamp: int,
    key: RowSerde,
    value: RowSerde,
    *,
    window: Window | None = None,
    headers: tuple[Header, ...] = (),
) -> ProducedRecord:
    """A record a run wrote, its key and value read with the topic's serdes and presented as
    test files write them (an object of columns, a bare value, DELIMITED's line).

    Raises:
        DeserializationFailed: the bytes cannot be read with the topic's formats.
    """
    return ProducedRecord(
        topic,
        _present(key_data, key),
        _present(value_data, value),
        timestamp,
        window,
        headers,
    )


def _present(data: bytes | None, serde: RowSerde) -> object:
    if data is None or isinstance(serde, NoneSerde):
        return None
    row = serde.deserialize(data)
    if row is None:
        return None
    if isinstance(serde, DelimitedSerde):
        return data.decode("utf-8")
    return JsonSerde(serde.columns, wrapped=serde.wrapped).to_document(row)
