from __future__ import annotations

import base64

from streammesh.cli.record_output import record_document, record_text
from streammesh.log.base import Record


def _record(
    key: bytes | None, value: bytes | None, headers: tuple[tuple[str, bytes], ...] = ()
) -> Record:
    return Record("t", 2, 41, key, value, headers, 1_700_000_000_000)


def test_utf8_bytes_print_as_text() -> None:
    document = record_document(_record(b"acct-1", '{"q":"é"}'.encode(), (("h", b"v"),)))
    assert document == {
        "topic": "t",
        "partition": 2,
        "offset": 41,
        "timestamp_ms": 1_700_000_000_000,
        "key": "acct-1",
        "key_encoding": "utf-8",
        "value": '{"q":"é"}',
        "value_encoding": "utf-8",
        "headers": [{"name": "h", "value": "v", "encoding": "utf-8"}],
    }


def test_other_bytes_print_as_base64_with_a_marker() -> None:
    raw = b"\x00\xff\xfe"
    document = record_document(_record(raw, raw, (("bin", raw), ("bin", b"x"))))
    assert base64.b64decode(document["key"]) == raw
    assert document["key_encoding"] == "base64"
    assert base64.b64decode(document["value"]) == raw
    assert document["value_encoding"] == "base64"
    assert document["headers"] == [
        {"name": "bin", "value": base64.b64encode(raw).decode(), "encoding": "base64"},
        {"name": "bin", "value": "x", "encoding": "utf-8"},
    ]


def test_missing_key_and_tombstone_are_null_with_null_encoding() -> None:
    document = record_document(_record(None, None))
    assert (document["key"], document["key_encoding"]) == (None, None)
    assert (document["value"], document["value_encoding"]) == (None, None)
    assert record_text(_record(None, None)) == "null"


def test_text_output_escapes_bytes_that_are_not_utf8() -> None:
    assert record_text(_record(None, b"ok\xff")) == "ok\\xff"
