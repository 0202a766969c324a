"""The ``streammesh`` command against real event logs: the embedded one and a Kafka broker.

Commands run in-process through the same ``run()`` that the console script calls, so every
error path (messages, exit codes, no traceback) is the one a user sees;
``test_cli_process.py`` covers what needs a real process (pipes, Ctrl-C).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from streammesh.log.partitioner import partition_for_key
from tests.unit.cli.invoking import CliResult, invoke_cli

# Long enough for a Kafka consumer group join (~3 s on the test broker), short enough to fail
# a test quickly if records never arrive.
READ_TIMEOUT = "30"


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=pytest.mark.kafka)])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "embedded":
        return f"embedded://{tmp_path / 'log'}"
    return f"kafka://{request.getfixturevalue('kafka_bootstrap')}"


@pytest.fixture
def topic() -> str:
    # The Kafka broker lives for the whole session: every test needs its own names.
    return f"cli.test.{uuid.uuid4().hex[:12]}"


def cli(log_url: str, *args: str, stdin: bytes = b"") -> CliResult:
    return invoke_cli("--log", log_url, *args, stdin=stdin)


def ok(log_url: str, *args: str, stdin: bytes = b"") -> CliResult:
    result = cli(log_url, *args, stdin=stdin)
    assert result.exit_code == 0, result.stderr
    return result


def failed(log_url: str, *args: str, stdin: bytes = b"") -> str:
    """Run a command that must fail; return its one error line."""
    result = cli(log_url, *args, stdin=stdin)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def describe(log_url: str, topic: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(ok(log_url, "topics", "describe", topic, "--json").stdout)
    return document


def consume_json(log_url: str, topic: str, *args: str) -> list[dict[str, Any]]:
    result = ok(log_url, "consume", topic, "--json", "--timeout", READ_TIMEOUT, *args)
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_topics_create_list_describe_and_delete(log_url: str, topic: str) -> None:
    created = ok(log_url, "topics", "create", topic, "--partitions", "3")
    assert topic in created.stdout

    table = ok(log_url, "topics", "list").stdout
    row = next(line for line in table.splitlines() if topic in line)
    assert row.split() == [topic, "3", "delete", "7d", "0"]

    listed = json.loads(ok(log_url, "topics", "list", "--json").stdout)
    (mine,) = [entry for entry in listed if entry["name"] == topic]
    assert mine == {
        "name": topic,
        "partitions": 3,
        "cleanup_policy": "delete",
        "retention_ms": 7 * 86_400_000,
        "retention_bytes": None,
        "min_compaction_lag_ms": 0,
        "delete_retention_ms": 86_400_000,
        "records": 0,
    }

    details = describe(log_url, topic)
    assert details["partition_offsets"] == [
        {"partition": p, "beginning_offset": 0, "end_offset": 0, "records": 0} for p in range(3)
    ]
    human = ok(log_url, "topics", "describe", topic).stdout
    assert "cleanup policy" in human
    assert "7d" in human

    assert topic in ok(log_url, "topics", "delete", topic, "--yes").stdout
    names = [entry["name"] for entry in json.loads(ok(log_url, "topics", "list", "--json").stdout)]
    assert topic not in names
    assert "does not exist" in failed(log_url, "topics", "describe", topic)


def test_topic_settings_are_created_as_given(log_url: str, topic: str) -> None:
    ok(
        log_url,
        "topics",
        "create",
        topic,
        "--partitions",
        "2",
        "--cleanup-policy",
        "compact",
        "--retention",
        "1d12h",
        "--retention-bytes",
        "1048576",
        "--min-compaction-lag-ms",
        "60000",
    )
    details = describe(log_url, topic)
    assert details["cleanup_policy"] == "compact"
    assert details["retention_ms"] == 129_600_000
    assert details["retention_bytes"] == 1_048_576
    assert details["min_compaction_lag_ms"] == 60_000


def test_unlimited_retention(log_url: str, topic: str) -> None:
    ok(log_url, "topics", "create", topic, "--retention-ms", "-1")
    assert describe(log_url, topic)["retention_ms"] is None


def test_produce_lines_with_keys_from_stdin_and_consume_as_a_group(
    log_url: str, topic: str
) -> None:
    ok(log_url, "topics", "create", topic, "--partitions", "4")
    lines = [f"acct-{n % 7}:trade {n}" for n in range(40)]
    produced = ok(
        log_url,
        "produce",
        topic,
        "--key-separator",
        ":",
        "--json",
        stdin="\n".join(lines).encode() + b"\n",
    )
    report = json.loads(produced.stdout)
    assert report["records"] == 40
    assert sum(entry["records"] for entry in report["partitions"]) == 40

    first = consume_json(
        log_url, topic, "--group", f"{topic}.g1", "--from-beginning", "--max", "25"
    )
    assert len(first) == 25
    rest = consume_json(log_url, topic, "--group", f"{topic}.g1", "--from-beginning", "--max", "15")
    assert len(rest) == 15
    records = first + rest
    # Each record exactly once across the two runs: the first run's commit held.
    assert sorted(r["value"] for r in records) == sorted(line.split(":", 1)[1] for line in lines)
    for record in records:
        assert record["partition"] == partition_for_key(record["key"].encode(), 4)
    # Per key, the order of production is kept.
    for key in {r["key"] for r in records}:
        in_partition = sorted(
            (r for r in records if r["key"] == key), key=lambda r: int(r["offset"])
        )
        sent = [line.split(":", 1)[1] for line in lines if line.startswith(key + ":")]
        assert [r["value"] for r in in_partition] == sent
    assert describe(log_url, topic)["records"] == 40


def test_produce_jsonl_file_with_keys_headers_timestamps_and_a_tombstone(
    log_url: str, topic: str, tmp_path: Path
) -> None:
    ok(log_url, "topics", "create", topic, "--partitions", "2")
    events = [
        {"key": "acct-1", "value": {"symbol": "AAPL", "qty": 10}, "headers": {"src": "web"}},
        {"key": "acct-2", "value": "plain", "timestamp_ms": 1_700_000_000_000},
        {"key": "acct-1", "value": None},
    ]
    file = tmp_path / "events.jsonl"
    file.write_text("\n".join(json.dumps(event) for event in events) + "\n")
    result = ok(log_url, "produce", topic, "--file", str(file), "--format", "jsonl")
    assert "wrote 3 records" in result.stdout

    records = consume_json(log_url, topic, "--from-beginning", "--max", "3")
    by_value = {r["value"]: r for r in records}
    trade = by_value['{"symbol":"AAPL","qty":10}']
    assert trade["key"] == "acct-1"
    assert trade["headers"] == [{"name": "src", "value": "web", "encoding": "utf-8"}]
    assert by_value['"plain"']["timestamp_ms"] == 1_700_000_000_000
    tombstone = by_value[None]
    assert (tombstone["key"], tombstone["value_encoding"]) == ("acct-1", None)
    assert {r["partition"] for r in records if r["key"] == "acct-1"} == {
        partition_for_key(b"acct-1", 2)
    }


def test_consume_one_partition_by_assignment(log_url: str, topic: str) -> None:
    ok(log_url, "topics", "create", topic, "--partitions", "3")
    ok(log_url, "produce", topic, "--partition", "2", stdin=b"x\ny\n")
    ok(log_url, "produce", topic, "--partition", "0", stdin=b"z\n")
    records = consume_json(log_url, topic, "--partition", "2", "--from-beginning", "--max", "2")
    assert [(r["partition"], r["offset"], r["value"]) for r in records] == [
        (2, 0, "x"),
        (2, 1, "y"),
    ]
    text = ok(
        log_url, "consume", topic, "--from-beginning", "--max", "3", "--timeout", READ_TIMEOUT
    )
    assert sorted(text.stdout.split()) == ["x", "y", "z"]


def test_consume_stops_after_timeout_without_new_records(log_url: str, topic: str) -> None:
    ok(log_url, "topics", "create", topic)
    result = ok(log_url, "consume", topic, "--timeout", "1")
    assert result.stdout == ""


def test_a_malformed_jsonl_line_writes_nothing(log_url: str, topic: str, tmp_path: Path) -> None:
    ok(log_url, "topics", "create", topic)
    file = tmp_path / "bad.jsonl"
    file.write_text('{"key": "a", "value": 1}\n{"key": "b", "value": 2\n{"value": 3}\n')
    line = failed(log_url, "produce", topic, "--file", str(file), "--format", "jsonl")
    assert f"{file} line 2: is not valid JSON" in line
    assert "nothing was written" in line
    assert describe(log_url, topic)["records"] == 0


def test_a_bad_line_on_stdin_is_reported_as_stdin(log_url: str, topic: str) -> None:
    ok(log_url, "topics", "create", topic)
    line = failed(log_url, "produce", topic, "--key-separator", "=", stdin=b"a=1\nb\n")
    assert line == "error: <stdin> line 2: has no key separator '='; nothing was written"
    assert describe(log_url, topic)["records"] == 0


def test_an_oversized_record_writes_nothing(log_url: str, topic: str) -> None:
    ok(log_url, "topics", "create", topic)
    result = invoke_cli(
        "--log", log_url, "--max-record-bytes", "100", "produce", topic, stdin=b"ok\n" + b"x" * 101
    )
    assert result.exit_code != 0
    assert "line 2: the record is 101 bytes, above the limit of 100 bytes" in result.stderr
    assert describe(log_url, topic)["records"] == 0


def test_a_partition_outside_the_topic_writes_nothing(log_url: str, topic: str) -> None:
    ok(log_url, "topics", "create", topic, "--partitions", "2")
    line = failed(log_url, "produce", topic, "--partition", "2", stdin=b"a\n")
    assert f"topic '{topic}' has no partition 2" in line
    assert describe(log_url, topic)["records"] == 0


def test_an_unknown_topic_is_one_clear_line_for_every_command(log_url: str, topic: str) -> None:
    expected = f"error: topic '{topic}' does not exist"
    assert failed(log_url, "produce", topic, stdin=b"a\n").startswith(expected)
    assert failed(log_url, "consume", topic, "--max", "1").startswith(expected)
    assert failed(log_url, "topics", "describe", topic).startswith(expected)
    assert failed(log_url, "topics", "delete", topic, "--yes").startswith(expected)


@pytest.mark.parametrize("count", ["0", "-3", "20000"])
def test_a_bad_partition_count_creates_nothing(log_url: str, topic: str, count: str) -> None:
    line = failed(log_url, "topics", "create", topic, "--partitions", count)
    assert f"topic '{topic}': invalid partitions" in line
    assert "does not exist" in failed(log_url, "topics", "describe", topic)


@pytest.mark.parametrize("name", ["bad/name", "with space", ".."])
def test_a_bad_topic_name_is_refused(log_url: str, name: str) -> None:
    line = failed(log_url, "topics", "create", name)
    assert "invalid topic name" in line


def test_creating_a_topic_twice_is_refused(log_url: str, topic: str) -> None:
    ok(log_url, "topics", "create", topic)
    assert failed(log_url, "topics", "create", topic) == f"error: topic '{topic}' already exists"


def test_delete_without_yes_and_without_a_terminal_refuses(log_url: str, topic: str) -> None:
    ok(log_url, "topics", "create", topic)
    result = cli(log_url, "topics", "delete", topic)
    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert describe(log_url, topic)["name"] == topic
