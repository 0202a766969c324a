"""The CLI on a mesh whose files were emptied: one ``error:`` line naming the file and what to
do, exit 1, and the file left as it was (never a new, empty mesh over it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.cli.main import run
from streammesh.config import MeshConfig
from streammesh.runtime import MeshRuntime


@pytest.fixture
def home(tmp_path: Path) -> Path:
    MeshRuntime.open(MeshConfig.load(tmp_path)).close()
    return tmp_path


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def test_an_empty_metadata_database(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (home / "meta.db").write_bytes(b"")
    assert run(["products", "list", "--mesh", str(home)]) == 1
    error = _one_error(capsys)
    assert f"'{home / 'meta.db'}' is damaged" in error
    assert "empty (0 bytes)" in error and "backup" in error
    assert (home / "meta.db").stat().st_size == 0


def test_an_empty_log_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log_db = home / "log" / "log.db"
    log_db.write_bytes(b"")
    assert run(["--log", f"embedded://{home / 'log'}", "topics", "list"]) == 1
    error = _one_error(capsys)
    assert f"the log file '{log_db}' is damaged" in error and "empty (0 bytes)" in error
    assert log_db.stat().st_size == 0
