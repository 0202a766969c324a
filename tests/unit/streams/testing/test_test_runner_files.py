"""ksql-test-runner's input and output files, the comparison of produced records with the
expected ones, and the diff the CLI prints."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from streammesh.streams.formats import Column, FormatName, serde_for
from streammesh.streams.testing import (
    Header,
    MalformedTestFile,
    ProducedRecord,
    TestRecord,
    Window,
    WindowType,
    compare,
    input_bytes,
    matches,
    parse_records,
    produced_record,
    read_inputs,
    read_outputs,
)
from streammesh.streams.testing.files import MAX_FILE_CHARS
from streammesh.streams.types import DATE, INTEGER, STRING, decimal

# The shape of ksqlDB's documented example (statements: CASE over ORDERUNITS into S1).
INPUT = """{
  "inputs": [
    {"topic": "test_topic", "timestamp": 0, "key": 1, "value": {"ORDERUNITS": 2.0}},
    {"topic": "test_topic", "timestamp": 10, "key": 2, "value": {"ORDERUNITS": 4.0}},
    {"topic": "test_topic", "timestamp": 20, "key": 3, "value": {"ORDERUNITS": 6.0}}
  ]
}"""
OUTPUT = """{
  "outputs": [
    {"topic": "S1", "timestamp": 0, "key": 1,
     "value": {"ORDERUNITS": 2.0, "CASE_RESULT": "medium"}},
    {"topic": "S1", "timestamp": 10, "key": 2,
     "value": {"ORDERUNITS": 4.0, "CASE_RESULT": "large"}},
    {"topic": "S1", "timestamp": 20, "key": 3,
     "value": {"ORDERUNITS": 6.0, "CASE_RESULT": "large"}}
  ]
}"""
WINDOWED = """{"outputs": [
  {"topic": "TRENDING", "key": "ACME", "value": {"TOTAL_QUANTITY": 7},
   "window": {"start": 0, "end": 900000, "type": "time"}}
]}"""


def produced(*cases: tuple[int, float, str, int]) -> list[ProducedRecord]:
    return [
        ProducedRecord("S1", key, {"ORDERUNITS": units, "CASE_RESULT": result}, timestamp)
        for key, units, result, timestamp in cases
    ]


def test_reads_the_documented_files(tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text(INPUT)
    (tmp_path / "output.json").write_text(OUTPUT)
    inputs = read_inputs(tmp_path / "input.json")
    assert inputs[0] == TestRecord("test_topic", 1, {"ORDERUNITS": Decimal("2.0")}, 0)
    assert len(read_outputs(tmp_path / "output.json")) == 3


def test_matching_records_pass() -> None:
    expected = parse_records(OUTPUT, "outputs", "output.json")
    result = compare(
        produced((1, 2.0, "medium", 0), (2, 4.0, "large", 10), (3, 6.0, "large", 20)), expected
    )
    assert result.passed
    assert result.render() == "Test passed: 3 expected records matched."


def test_diff_names_the_record_the_field_and_both_values() -> None:
    expected = parse_records(OUTPUT, "outputs", "output.json")
    result = compare(
        produced((1, 2.0, "small", 0), (2, 4.0, "large", 11), (3, 6.0, "large", 20)), expected
    )
    assert not result.passed
    assert result.render() == "\n".join(
        [
            "Topic 'S1', record 0:",
            '  value.CASE_RESULT: expected "medium"',
            '                       actual "small"',
            "Topic 'S1', record 1:",
            "  timestamp: expected 10",
            "               actual 11",
            "Test failed: 2 differences.",
        ]
    )


def test_missing_and_extra_records_are_listed() -> None:
    expected = parse_records(OUTPUT, "outputs", "output.json")
    result = compare(produced((1, 2.0, "medium", 0), (2, 4.0, "large", 10)), expected)
    assert [(d.field, d.index) for d in result.differences] == [("count", None), ("record", 2)]
    assert "expected 3 records" in result.render()
    assert 'key 3, value {"ORDERUNITS": 6.0, "CASE_RESULT": "large"}' in result.render()
    other_topics = [*produced((1, 2.0, "medium", 0)), ProducedRecord("OTHER", None, 1, 0)]
    one = parse_records(
        '{"outputs": [{"topic": "S1", "key": 1, "value": '
        '{"ORDERUNITS": 2.0, "CASE_RESULT": "medium"}}]}',
        "outputs",
        "o.json",
    )
    assert compare(other_topics, one).passed  # no timestamp: any; topic OTHER not checked


def test_windows_are_compared_and_required_when_the_record_has_one() -> None:
    expected = parse_records(WINDOWED, "outputs", "output.json")
    window = Window(0, 900_000, WindowType.TIME)
    record = ProducedRecord("TRENDING", "ACME", {"TOTAL_QUANTITY": 7}, 5, window)
    assert compare([record], expected).passed
    unwindowed = ProducedRecord("TRENDING", "ACME", {"TOTAL_QUANTITY": 7}, 5)
    assert compare([unwindowed], expected).render().splitlines()[1:3] == [
        "  window: expected time window [0, 900000)",
        "            actual no window",
    ]


@pytest.mark.parametrize(
    ("actual", "expected", "same"),
    [
        (1, "1", True),
        (1, '"1"', False),
        (1, 1.0, True),
        (1.5, 1.5, True),
        (Decimal("1.50"), "1.50", True),
        (Decimal("1.50"), "1.5", False),  # BigDecimal equality: the scale counts
        (Decimal("1.50"), '"1.50"', True),
        (Decimal("2"), "2", True),
        (Decimal("2.0"), "2", False),
        (True, "1", False),
        (None, "null", True),
        (b"\x01\x02", '"AQI="', True),
        (datetime.date(1970, 1, 11), "10", True),
        ({"A": 1}, '{"a": 1}', True),  # a property found in upper case
        ({"A": 1, "B": 2}, '{"A": 1}', False),
        ([1, 2], "[1, 2]", True),
        ([1, 2], "[2, 1]", False),
    ],
)
def test_value_matching_follows_ksqldb(actual: object, expected: str, same: bool) -> None:
    document = parse_records(
        f'{{"outputs": [{{"topic": "t", "value": {expected}}}]}}', "outputs", "o.json"
    )
    assert matches(actual, document[0].value) is same


def test_headers_are_read_and_compared() -> None:
    expected = parse_records(
        '{"outputs": [{"topic": "t", "value": 1, "headers": [{"KEY": "h", "VALUE": "AQI="}]}]}',
        "outputs",
        "o.json",
    )
    assert expected[0].headers == (Header("h", b"\x01\x02"),)
    assert compare(
        [ProducedRecord("t", None, 1, 0, headers=(Header("h", b"\x01\x02"),))], expected
    ).passed
    assert not compare([ProducedRecord("t", None, 1, 0)], expected).passed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"inputs": [', "in.json:1:13: not valid JSON: Expecting value"),
        ("{}", r"in.json: at \$: no 'inputs' field in the input file"),
        ('{"inputs": []}', r"in.json: at \$.inputs: Inputs cannot be empty"),
        ('{"inputs": [{"value": 1}]}', r"at \$.inputs\[0\].topic: missing required field 'topic'"),
        ('{"inputs": [{"topic": "t"}]}', r"at \$.inputs\[0\].value: missing required field"),
        (
            '{"inputs": [{"topic": "t", "value": 1, "timestamp": "soon"}]}',
            r"at \$.inputs\[0\].timestamp: expected milliseconds as an integer, got \"soon\"",
        ),
        (
            '{"inputs": [{"topic": "t", "value": 1, "window": {"start": 0, "end": 1, '
            '"type": "tumbling"}}]}',
            r"at \$.inputs\[0\].window.type: expected 'time' or 'session', got \"tumbling\"",
        ),
        (
            '{"inputs": [{"topic": "t", "value": 1, "window": {"start": 0, "type": "time"}}]}',
            r"at \$.inputs\[0\].window.end: missing required field 'end'",
        ),
    ],
)
def test_malformed_files_are_refused_with_file_path_and_reason(text: str, message: str) -> None:
    with pytest.raises(MalformedTestFile, match=message):
        parse_records(text, "inputs", "in.json")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MalformedTestFile, match="cannot read the file: No such file"):
        read_outputs(tmp_path / "nope.json")


# --- between file records and a topic's bytes ------------------------------------------------

KEY = serde_for(FormatName.KAFKA, [Column("ID", INTEGER)], part="key")
VALUE = serde_for(FormatName.JSON, [Column("NAME", STRING), Column("AGE", INTEGER)])


def test_input_records_become_the_topics_bytes() -> None:
    record = TestRecord("users", 1, {"name": "bob", "age": "49"}, 0)
    key, value = input_bytes(record, KEY, VALUE, file="in.json", path="$.inputs[0]")
    assert key == b"\x00\x00\x00\x01"
    assert value == b'{"NAME":"bob","AGE":49}'
    delimited = serde_for(FormatName.DELIMITED, [Column("NAME", STRING), Column("AGE", INTEGER)])
    line = TestRecord("users", None, "bob,49", 0)
    assert input_bytes(line, KEY, delimited, file="in.json", path="$.inputs[1]") == (
        None,
        b"bob,49",
    )


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            TestRecord("users", 1, {"NAME": "bob", "AGE": "old"}, 0),
            r"in.json: at \$.inputs\[4\].value.AGE: expected INTEGER, got the string 'old'",
        ),
        (
            TestRecord("users", "one", {"NAME": "bob"}, 0),
            r"at \$.inputs\[4\].key: expected INTEGER, got the string 'one'",
        ),
        (
            TestRecord("users", 1, [1, 2], 0),
            r"at \$.inputs\[4\].value: expected a JSON object with the columns NAME, AGE",
        ),
    ],
)
def test_input_records_that_do_not_fit_are_refused(record: TestRecord, message: str) -> None:
    with pytest.raises(MalformedTestFile, match=message):
        input_bytes(record, KEY, VALUE, file="in.json", path="$.inputs[4]")


def test_produced_bytes_are_presented_as_test_files_write_them() -> None:
    price = serde_for(FormatName.JSON, [Column("P", decimal(4, 2)), Column("D", DATE)])
    record = produced_record(
        "prices",
        KEY.serialize((7,)),
        price.serialize((Decimal("1.50"), datetime.date(1970, 1, 3))),
        5,
        KEY,
        price,
    )
    assert record == ProducedRecord("prices", 7, {"P": Decimal("1.50"), "D": 2}, 5)
    expected = parse_records(
        '{"outputs": [{"topic": "prices", "key": 7, "value": {"P": 1.50, "D": 2}}]}',
        "outputs",
        "o.json",
    )
    assert compare([record], expected).passed


def test_a_file_nested_too_deeply_is_refused_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text('{"inputs": [{"topic": "t", "value": ' + "[" * 100_000 + "]" * 100_000 + "}]}")
    with pytest.raises(MalformedTestFile, match="nests too deeply"):
        read_inputs(path)


def test_a_file_over_the_size_bound_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text(" " * (MAX_FILE_CHARS + 1))
    with pytest.raises(MalformedTestFile, match=f"at most {MAX_FILE_CHARS}"):
        read_inputs(path)
