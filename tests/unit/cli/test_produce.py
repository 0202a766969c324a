"""``streammesh produce`` input handling that does not depend on the backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.invoking import invoke_cli


@pytest.fixture
def log_url(tmp_path: Path) -> str:
    url = f"embedded://{tmp_path / 'log'}"
    assert (
        invoke_cli("--log", url, "topics", "create", "orders", "--partitions", "3").exit_code == 0
    )
    return url


def _records(log_url: str) -> int:
    described = invoke_cli("--log", log_url, "topics", "describe", "orders", "--json")
    count: int = json.loads(described.stdout)["records"]
    return count


def test_a_missing_file_is_one_line_naming_it(log_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    result = invoke_cli("--log", log_url, "produce", "orders", "--file", str(missing))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {missing}: cannot be read: No such file or directory; nothing was written\n"
    )


def test_keyless_records_are_spread_over_every_partition(log_url: str) -> None:
    result = invoke_cli(
        "--log", log_url, "produce", "orders", "--json", stdin=b"a\nb\nc\nd\ne\nf\n"
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "topic": "orders",
        "records": 6,
        "partitions": [
            {"partition": 0, "records": 2},
            {"partition": 1, "records": 2},
            {"partition": 2, "records": 2},
        ],
    }


def test_empty_input_writes_nothing_and_says_so(log_url: str) -> None:
    result = invoke_cli("--log", log_url, "produce", "orders", stdin=b"\n\n")
    assert result.exit_code == 0
    assert "wrote 0 records to orders" in result.stdout
    assert _records(log_url) == 0


def test_the_size_limit_counts_key_and_value(log_url: str) -> None:
    result = invoke_cli(
        "--log",
        log_url,
        "--max-record-bytes",
        "10",
        "produce",
        "orders",
        "--key-separator",
        "=",
        stdin=b"12345=67890\n123456=67890\n",
    )
    assert result.exit_code == 1
    assert "<stdin> line 2: the record is 11 bytes, above the limit of 10 bytes" in result.stderr
    assert _records(log_url) == 0
