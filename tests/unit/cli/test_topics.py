"""``streammesh topics`` details that need no second backend: confirmation and formatting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.invoking import invoke_cli


@pytest.fixture
def log_url(tmp_path: Path) -> str:
    url = f"embedded://{tmp_path / 'log'}"
    assert invoke_cli("--log", url, "topics", "create", "orders").exit_code == 0
    return url


def _exists(log_url: str, name: str) -> bool:
    return invoke_cli("--log", log_url, "topics", "describe", name).exit_code == 0


def test_delete_asks_on_a_terminal_and_keeps_the_topic_when_told_no(log_url: str) -> None:
    result = invoke_cli("--log", log_url, "topics", "delete", "orders", stdin=b"n\n", terminal=True)
    assert result.exit_code == 1
    assert "Delete topic 'orders' and its 0 records?" in result.stderr
    assert "was not deleted" in result.stderr
    assert _exists(log_url, "orders")


def test_delete_asks_on_a_terminal_and_deletes_when_told_yes(log_url: str) -> None:
    result = invoke_cli("--log", log_url, "topics", "delete", "orders", stdin=b"y\n", terminal=True)
    assert result.exit_code == 0, result.stderr
    assert "deleted topic orders" in result.stdout
    assert not _exists(log_url, "orders")


def test_retention_options_cannot_both_be_given(log_url: str) -> None:
    result = invoke_cli(
        "--log", log_url, "topics", "create", "t", "--retention-ms", "1000", "--retention", "1d"
    )
    assert result.exit_code == 2
    assert "give --retention-ms or --retention, not both" in result.stderr
    assert not _exists(log_url, "t")


def test_a_bad_duration_is_a_usage_error(log_url: str) -> None:
    result = invoke_cli("--log", log_url, "topics", "create", "t", "--retention", "7 days")
    assert result.exit_code == 2
    assert "'7 days' is not a duration" in result.stderr


def test_an_empty_log_says_how_to_start(tmp_path: Path) -> None:
    result = invoke_cli("--log", f"embedded://{tmp_path / 'empty'}", "topics", "list")
    assert result.exit_code == 0
    assert "streammesh topics create NAME" in result.stdout
    listed = invoke_cli("--log", f"embedded://{tmp_path / 'empty'}", "topics", "list", "--json")
    assert listed.stdout == "[]\n"
