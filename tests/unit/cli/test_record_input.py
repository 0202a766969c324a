from __future__ import annotations

import json

import pytest

from streammesh.cli.errors import InputError
from streammesh.cli.record_input import InputFormat, InputRecord, parse_records

LINES = InputFormat.LINES
JSONL = InputFormat.JSONL


def test_each_line_is_a_value_and_blank_lines_are_skipped() -> None:
    records = parse_records(b"first\r\n\nsecond \xc3\xa9\n", "<stdin>", LINES)
    assert records == [
        InputRecord(line=1, key=None, value=b"first"),
        InputRecord(line=3, key=None, value="second é".encode()),
    ]


def test_key_separator_splits_at_its_first_occurrence() -> None:
    records = parse_records(b"acct-1:BUY:10\nacct-2:\n", "in.txt", LINES, ":")
    assert [(r.key, r.value) for r in records] == [(b"acct-1", b"BUY:10"), (b"acct-2", b"")]


def test_a_line_without_the_key_separator_is_reported_with_its_number() -> None:
    with pytest.raises(InputError) as caught:
        parse_records(b"a=1\nb=2\nno separator\n", "in.txt", LINES, "=")
    assert caught.value.line == 3
    assert str(caught.value) == ("in.txt line 3: has no key separator '='; nothing was written")


def test_bytes_that_are_not_utf8_are_reported_with_line_and_column() -> None:
    with pytest.raises(
        InputError, match=r"<stdin> line 2: is not valid UTF-8 \(byte 0xff at column 3\)"
    ):
        parse_records(b"ok\nab\xffcd\n", "<stdin>", LINES)


def test_jsonl_fields_become_key_value_headers_and_timestamp() -> None:
    line = {
        "key": "acct-1",
        "value": {"symbol": "AAPL", "qty": 10, "note": "café"},
        "headers": {"source": "web", "trace": "t-1"},
        "timestamp_ms": 1_700_000_000_000,
    }
    (record,) = parse_records(json.dumps(line).encode(), "trades.jsonl", JSONL)
    assert record.key == b"acct-1"
    assert record.value == '{"symbol":"AAPL","qty":10,"note":"café"}'.encode()
    assert record.headers == (("source", b"web"), ("trace", b"t-1"))
    assert record.timestamp_ms == 1_700_000_000_000


def test_jsonl_null_value_is_a_tombstone_and_scalars_are_json_text() -> None:
    records = parse_records(
        b'{"key": "k", "value": null}\n{"value": "text"}\n{"value": 3}\n', "f", JSONL
    )
    assert [(r.key, r.value) for r in records] == [(b"k", None), (None, b'"text"'), (None, b"3")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"value": 1', "is not valid JSON"),
        ("[1, 2]", "must be a JSON object with a 'value', not an array"),
        ('{"key": "k"}', "has no 'value' (use null for a tombstone)"),
        ('{"value": 1, "partition": 2}', "has unknown field(s) 'partition'"),
        ('{"key": 7, "value": 1}', "'key' must be a string or null, not a number"),
        ('{"value": 1, "headers": ["a"]}', "'headers' must be an object of strings"),
        ('{"value": 1, "headers": {"h": 1}}', "header 'h' must be a string, not a number"),
        ('{"value": 1, "timestamp_ms": -5}', "'timestamp_ms' must be a non-negative integer"),
        ('{"value": 1, "timestamp_ms": 1.5}', "'timestamp_ms' must be a non-negative integer"),
        ('{"value": 1, "timestamp_ms": true}', "'timestamp_ms' must be a non-negative integer"),
        ('{"value": NaN}', "NaN is not a JSON value"),
    ],
)
def test_bad_jsonl_lines_name_the_file_the_line_and_the_problem(line: str, message: str) -> None:
    data = ('{"value": "fine"}\n' + line + "\n").encode()
    with pytest.raises(InputError) as caught:
        parse_records(data, "events.jsonl", JSONL)
    assert str(caught.value).startswith("events.jsonl line 2: ")
    assert message in str(caught.value)


def test_key_separator_with_jsonl_is_refused() -> None:
    with pytest.raises(InputError, match="--key-separator applies to --format lines only"):
        parse_records(b'{"value": 1}\n', "f", JSONL, ":")
