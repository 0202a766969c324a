"""``streammesh migrate`` migrates the metadata store once and prints its revision;
``up --no-migrate`` refuses a store that is not at this version's schema, changing nothing, and
starts on one that is (with ``--no-workers``: the API only)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import httpx

from streammesh.store import head_revision
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import invoke_cli


def _tables(database: Path) -> list[str]:
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return [name for (name,) in rows]


def test_migrate_once_then_nothing_to_do(tmp_path: Path) -> None:
    mesh = tmp_path / "mesh"
    head = head_revision()

    first = invoke_cli("migrate", "--mesh", str(mesh))
    assert first.exit_code == 0, first.stderr
    assert f"from schema revision none (empty) to {head}" in first.stdout
    assert "streammesh_schema_version" in _tables(mesh / "meta.db")

    again = invoke_cli("migrate", "--mesh", str(mesh))
    assert again.exit_code == 0, again.stderr
    assert f"already at schema revision {head}; nothing to do" in again.stdout


def test_up_without_migrating_refuses_a_store_not_migrated_and_changes_nothing(
    tmp_path: Path,
) -> None:
    mesh = tmp_path / "mesh"
    refused = invoke_cli("up", "--mesh", str(mesh), "--port", "0", "--no-migrate")
    assert refused.exit_code == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("error: the metadata store ")
    assert f"is at schema revision 'none', and this streammesh needs '{head_revision()}'" in line
    assert "run 'streammesh migrate' once" in line
    assert "streammesh_schema_version" not in _tables(mesh / "meta.db")


def test_a_replica_starts_without_migrating_or_workers_on_a_migrated_store(
    tmp_path: Path,
) -> None:
    mesh = tmp_path / "mesh"
    assert invoke_cli("migrate", "--mesh", str(mesh)).exit_code == 0
    with StreammeshServer(mesh, "--no-migrate", "--no-workers") as server:
        ready = httpx.get(f"{server.url}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text
        assert not [name for name in ready.json()["checks"] if name.startswith("worker:")]
    assert any("start 'streammesh worker'" in line for line in server.output), server.output
