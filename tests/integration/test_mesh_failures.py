"""A real ``streammesh up`` whose mesh files are damaged or deleted while it runs: ``/readyz``
answers 503 naming the store or the log (and stays fast), the API answers 503 naming the file,
and a produce is refused instead of acknowledged into a file that is gone."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.integration.api_v1_support import MESH_YAML, avro, descriptor, sources
from tests.support.streammesh_server import StreammeshServer

PRODUCT = "execution.stocktrades.v1"
# How fast /healthz answers under load is measured in benchmarks/server.py, not here: timed
# assertions fail on a busy machine without telling anything about the code.


def _headers(server: StreammeshServer) -> dict[str, str]:
    assert server.admin_token is not None
    return {"Authorization": f"Bearer {server.admin_token}"}


def _events(count: int) -> dict[str, object]:
    return {"events": [{"trade_id": f"t{i}", "symbol": "ACME", "price": 1.0} for i in range(count)]}


def _apply_and_produce(server: StreammeshServer) -> None:
    applied = httpx.post(
        f"{server.url}/api/v1/apply",
        json=sources((descriptor(), avro())),
        headers=_headers(server),
        timeout=30,
    )
    assert applied.status_code == 200, applied.text
    produced = httpx.post(
        f"{server.url}/api/v1/products/{PRODUCT}/events",
        json=_events(3),
        headers=_headers(server),
        timeout=30,
    )
    assert produced.status_code == 200, produced.text


def _health(server: StreammeshServer) -> httpx.Response:
    return httpx.get(f"{server.url}/readyz", timeout=5)


def _unhealthy(server: StreammeshServer, within_s: float = 5.0) -> httpx.Response:
    """The first 503 of ``/readyz`` within ``within_s``; then it must stay 503."""
    deadline = time.monotonic() + within_s
    while True:
        answer = _health(server)
        if answer.status_code == 503 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for _ in range(10):
        assert _health(server).status_code == answer.status_code
    return answer


@pytest.fixture
def mesh(tmp_path: Path) -> Path:
    home = tmp_path / "mesh"
    home.mkdir()
    (home / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    return home


def test_a_deleted_mesh_directory_is_unhealthy_and_refuses_produce(mesh: Path) -> None:
    with StreammeshServer(mesh) as server:
        _apply_and_produce(server)
        assert _health(server).status_code == 200

        shutil.rmtree(mesh)

        health = _unhealthy(server)
        assert health.status_code == 503, health.text
        assert health.json()["status"] == "unavailable"
        assert "store" in health.json()["failed"]
        # Only names to an anonymous caller: the reasons are in the server's log.
        assert str(mesh) not in health.text

        produced = httpx.post(
            f"{server.url}/api/v1/products/{PRODUCT}/events",
            json=_events(2),
            headers=_headers(server),
            timeout=30,
        )
        assert produced.status_code == 503, produced.text
        error = produced.json()["error"]
        assert "deleted" in error["message"]
        assert str(mesh) in error["message"]


def test_a_damaged_metadata_database_is_unhealthy_and_named(mesh: Path) -> None:
    with StreammeshServer(mesh) as server:
        _apply_and_produce(server)
        # Move every page into the database file first: SQLite reads a page from the
        # write-ahead log while it is there, so damage under a page the log still holds
        # (the migrations' header page, say) stays invisible until the next checkpoint.
        with closing(sqlite3.connect(mesh / "meta.db")) as other_process:
            other_process.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with (mesh / "meta.db").open("r+b") as file:
            file.write(b"\x00garbage\x00" * 20)  # over the header: not a database any more

        health = _unhealthy(server)
        assert health.status_code == 503, health.text
        # With no master key made yet, whether one is missing is a count of wrapped keys in
        # the store: the key check cannot pass without the store either.
        failed = health.json()["failed"]
        assert "store" in failed and set(failed) <= {"store", "keys"}, failed

        listed = httpx.get(f"{server.url}/api/v1/products", headers=_headers(server), timeout=30)
        assert listed.status_code == 503, listed.text
        error = listed.json()["error"]
        assert error["code"] == "store-corrupt"
        assert str(mesh / "meta.db") in error["message"]
        assert "backup" in error["message"]


def test_health_is_ok_on_a_healthy_mesh(mesh: Path) -> None:
    with StreammeshServer(mesh) as server:
        _apply_and_produce(server)
        for _ in range(20):
            answer = _health(server)
            assert answer.status_code == 200
            assert answer.json()["status"] == "ready"
            assert httpx.get(f"{server.url}/healthz", timeout=5).json() == {"status": "ok"}


def test_mesh_files_are_private_whatever_the_umask(mesh: Path) -> None:
    previous = os.umask(0o022)  # the server process inherits it
    try:
        with StreammeshServer(mesh) as server:
            _apply_and_produce(server)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(mesh.stat().st_mode) == 0o700
    found = sorted(mesh.rglob("*"))
    assert any(path.name == "meta.db" for path in found)
    assert any(path.name == "log.db" for path in found)
    loose = [
        f"{path} {stat.S_IMODE(path.stat().st_mode):o}"
        for path in found
        if path.name != "mesh.yaml"  # written by the test, not by streammesh
        and stat.S_IMODE(path.stat().st_mode) != (0o700 if path.is_dir() else 0o600)
    ]
    assert loose == []


def test_a_deleted_log_directory_refuses_produce_with_the_reason(mesh: Path) -> None:
    with StreammeshServer(mesh) as server:
        _apply_and_produce(server)

        shutil.rmtree(mesh / "log")  # the metadata store stays: the request gets to the log

        produced = httpx.post(
            f"{server.url}/api/v1/products/{PRODUCT}/events",
            json=_events(2),
            headers=_headers(server),
            timeout=30,
        )
        assert produced.status_code == 503, produced.text
        error = produced.json()["error"]
        assert error["code"] in ("delivery-failed", "log-unavailable")
        assert f"'{mesh / 'log' / 'log.db'}' was deleted" in error["message"]

        health = _unhealthy(server)
        assert health.status_code == 503, health.text
        assert health.json()["failed"] == ["log"]
