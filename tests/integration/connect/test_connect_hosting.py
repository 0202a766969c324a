"""Connectors hosted by the server (``streammesh up``'s app, placement ``server``): a files
source created over ``/connect`` feeds its product; paused, nothing new lands; resumed, it
goes on; a failing one shows its error as the task's trace, redacted; the server's log never
holds a credential."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streammesh.identity import Role, TokenStore
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import MESH_YAML, Served, descriptor, sources

API = "/api/v1"
TRADES = "execution.stocktrades"
SECRET = "hosted-pw-4417"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("TRADES_DB_URL", f"postgresql://trades:{SECRET}@127.0.0.1:9/trades")
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    settings = ServerSettings(mesh=mesh, host_streams=True)
    app = create_app(settings)
    with open_store(settings.resolved_store_url) as store:
        tokens = {
            role: TokenStore(store).create(f"{role.value}-user", role).secret for role in Role
        }
    with TestClient(app) as client:
        built = Served(mesh, client, tokens)
        _setup(built)
        yield built


def _ok(served: Served, method: str, path: str, **kwargs: Any) -> Any:
    answer = served.client.request(method, path, headers=served.headers(), **kwargs)
    assert answer.status_code in (200, 201, 202, 204), answer.text
    return answer.json() if answer.content else None


def _setup(served: Served) -> None:
    _ok(served, "POST", f"{API}/domains", json={"name": "execution"})
    team = {"name": "execution-team", "domain": "execution", "email": "ex@example.com"}
    _ok(served, "POST", f"{API}/teams", json=team)
    account = {"name": "trades-sa", "kind": "service-account", "team": "execution-team"}
    _ok(served, "POST", f"{API}/principals", json=account)
    # The schema the files source derives from the CSV below (nullable columns).
    fields = [
        {"name": name, "type": ["null", kind], "default": None}
        for name, kind in (("trade_id", "string"), ("symbol", "string"), ("price", "double"))
    ]
    schema = json.dumps({"type": "record", "name": "stocktrades", "fields": fields})
    _ok(served, "POST", f"{API}/apply", json=sources((descriptor(TRADES), schema)))


def _drop(folder: Path, name: str, rows: list[tuple[str, str, float]]) -> None:
    text = "trade_id,symbol,price\n" + "".join(f"{t},{s},{p}\n" for t, s, p in rows)
    path = folder / name
    path.write_text(text)
    moment = time.time() - 60
    os.utime(path, (moment, moment))


def _events(served: Served) -> int:
    stats = _ok(served, "GET", f"{API}/products/{TRADES}/stats")
    return int(stats["total_events"])


def _wait(
    what: str,
    done: Callable[[], bool],
    timeout_s: float = 30.0,
    status: Callable[[], Any] = lambda: None,
) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {status()}"
        time.sleep(0.2)


def _status(served: Served, name: str) -> Any:
    return _ok(served, "GET", f"/connect/connectors/{name}/status")


@pytest.mark.slow
def test_a_hosted_files_source_feeds_its_product_pauses_and_resumes(
    served: Served, tmp_path: Path
) -> None:
    inbox = served.mesh / "inbox"  # server-hosted connectors use folders inside the mesh
    inbox.mkdir()
    _drop(inbox, "a.csv", [("t1", "ACME", 1.5), ("t2", "ACME", 2.5), ("t3", "INIT", 3.0)])
    config = {
        "connector.class": "files",
        "principal": "trades-sa",
        "folder": str(inbox),
        "product": TRADES,
        "format": "csv",
        "key": ["trade_id"],
        "columns": {"trade_id": "text", "symbol": "text", "price": "double precision"},
        "stable_after": "0s",
        "poll_interval": "100ms",
    }
    _ok(served, "POST", "/connect/connectors", json={"name": "trades-files", "config": config})

    _wait(
        "the first file",
        lambda: _events(served) >= 3,
        status=lambda: _status(served, "trades-files"),
    )
    running = _status(served, "trades-files")
    assert running["connector"]["state"] == "RUNNING", running
    [task] = running["tasks"]
    assert task["state"] == "RUNNING" and task["worker_id"] == running["connector"]["worker_id"]
    landed = _events(served)
    # Lineage: the folder it reads -> the connector -> the product.
    edges = {(e["source"], e["target"]) for e in _ok(served, "GET", f"{API}/lineage")["edges"]}
    assert ("application:trades-files", f"product:{TRADES}.v1") in edges
    assert any(
        source.startswith("dataset:") and target == "application:trades-files"
        for source, target in edges
    ), edges

    _ok(served, "PUT", "/connect/connectors/trades-files/pause")
    _wait("the pause", lambda: _status(served, "trades-files")["tasks"] == [])
    assert _status(served, "trades-files")["connector"]["state"] == "PAUSED"
    _drop(inbox, "b.csv", [("t4", "ACME", 4.0), ("t5", "ACME", 5.0)])
    time.sleep(3)  # a host round and more: a paused connector reads nothing
    assert _events(served) == landed

    _ok(served, "PUT", "/connect/connectors/trades-files/resume")
    _wait("the second file", lambda: _events(served) > landed)
    _wait("running", lambda: _status(served, "trades-files")["connector"]["state"] == "RUNNING")

    _ok(served, "DELETE", "/connect/connectors/trades-files")
    time.sleep(3)  # its worker stops at its next heartbeat (every 2 s)
    after_delete = _events(served)
    _drop(inbox, "c.csv", [("t6", "ACME", 6.0)])
    time.sleep(3)
    assert _events(served) == after_delete


def test_a_failing_connector_shows_its_redacted_error_and_is_retried(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = {
        "connector.class": "jdbc-poll",
        "principal": "trades-sa",
        "url": "${TRADES_DB_URL}",
        "tables": {"trades": TRADES},
        "mode": "bulk",
    }
    _ok(served, "PUT", "/connect/connectors/trades-poll/config", json=config)

    def failed() -> bool:
        return bool(_status(served, "trades-poll")["connector"]["state"] == "FAILED")

    _wait("the failure", failed)
    status = _status(served, "trades-poll")
    trace = status["tasks"][0]["trace"]
    assert status["tasks"][0]["state"] == "FAILED" and trace
    assert status["streammesh"]["last_error"] == trace
    assert SECRET not in str(status)
    assert SECRET not in caplog.text
    assert "trades-poll" in caplog.text  # the failure was logged, without the password


def test_the_host_does_not_run_a_recorded_connector_naming_a_path_outside_the_mesh(
    served: Served,
) -> None:
    # Recorded without the check (as before the rule existed, or before mesh.yaml changed):
    # the host checks again and fails it with the reason instead of reading /etc.
    from streammesh.connect import ConnectorManager

    definition = (
        "name: snoop\nkind: files\nprincipal: trades-sa\n"
        f"config: {{folder: /etc, product: {TRADES}, format: csv}}\n"
    )
    with open_store(ServerSettings(mesh=served.mesh).resolved_store_url) as store:
        ConnectorManager(store).create(definition, actor="test")

    _wait("the refusal", lambda: _status(served, "snoop")["connector"]["state"] == "FAILED")
    trace = _status(served, "snoop")["tasks"][0]["trace"]
    assert "config.folder '/etc' is outside the folders" in trace
    assert _events(served) == 0
