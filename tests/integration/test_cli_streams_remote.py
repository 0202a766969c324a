"""``streams deploy/list/status/stop/start/reset/delete`` through a real ``streammesh up`` with
``--server``: the server hosts what ``deploy`` records, and a bad script is one ``error:``
with its line, column and caret."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.api_v1_support import MESH_YAML, avro, descriptor, sources
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import CliResult, invoke_cli

pytestmark = pytest.mark.usefixtures("cli_config_home")

TRADES = "remotestreams.stocktrades"
SQL = f"""\
CREATE STREAM big WITH (product='remotestreams.big_trades') AS
  SELECT trade_id, symbol, price
  FROM {TRADES}
  WHERE price > 500 EMIT CHANGES;
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    """The module's server (as tests/integration/conftest.py's), reading the deployed
    applications and heartbeating each every 250 ms instead of 2 s
    (``streams.hosting_interval``), so a start or a stop is seen sooner."""
    mesh = tmp_path_factory.mktemp("server-mesh")
    yaml = MESH_YAML + "streams:\n  hosting_interval: 250ms\n"
    (mesh / "mesh.yaml").write_text(yaml, encoding="utf-8")
    with StreammeshServer(mesh) as running:
        yield running


@pytest.fixture(scope="module")
def prepared(server: StreammeshServer) -> StreammeshServer:
    """The product, a service account of its team and its read grant, through REST."""
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=30) as api:
        team = {"name": "rs-team", "domain": "remotestreams", "email": "rs@example.com"}
        for path, body in (
            ("/domains", {"name": "remotestreams"}),
            ("/teams", team),
            ("/principals", {"name": "rs-sa", "kind": "service-account", "team": "rs-team"}),
            (
                "/apply",
                sources((descriptor(TRADES).replace("execution-team", "rs-team"), avro())),
            ),
        ):
            answer = api.post(path, json=body)
            assert answer.status_code in (200, 201), answer.text
        asked = api.post(
            "/access/requests",
            json={"product": TRADES, "application": "rs-sa", "purpose": "tests"},
        ).json()
        if asked["state"] != "approved":
            api.post(f"/access/requests/{asked['id']}/approve", json={})
    return server


def _cli(server: StreammeshServer, admin: str, *args: str) -> CliResult:
    return invoke_cli(*args, "--server", server.url, "--token", admin)


def _ok(server: StreammeshServer, admin: str, *args: str) -> CliResult:
    result = _cli(server, admin, *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def _status(server: StreammeshServer, admin: str, name: str) -> Any:
    return json.loads(_ok(server, admin, "streams", "status", name, "--json").stdout)


def _wait_alive(server: StreammeshServer, admin: str, name: str, alive: int) -> Any:
    deadline = time.monotonic() + 45
    while True:
        status = _status(server, admin, name)
        if status["alive"] == alive or time.monotonic() > deadline:
            assert status["alive"] == alive, status
            return status
        time.sleep(0.25)


@pytest.mark.slow
def test_deploy_and_the_lifecycle_through_the_server(
    prepared: StreammeshServer, admin: str, tmp_path: Path
) -> None:
    server = prepared
    script = tmp_path / "big.sql"
    script.write_text(SQL, encoding="utf-8")
    deployed = _ok(
        server, admin, "streams", "deploy", str(script), "--name", "rs-app", "--principal", "rs-sa"
    )
    assert deployed.stdout.startswith("deployed rs-app (1 query, as rs-sa)")
    running = _wait_alive(server, admin, "rs-app", 1)
    assert running["placement"] == "server" and running["principal"] == "rs-sa"
    listed = _ok(server, admin, "streams", "list").stdout
    assert "rs-app" in listed and "server" in listed
    shown = _ok(server, admin, "streams", "status", "rs-app").stdout
    assert shown.startswith("rs-app: running, server, epoch 0, 1 instance alive")

    stopped = _ok(server, admin, "streams", "stop", "rs-app")
    assert stopped.stdout.startswith("stopped rs-app")
    _wait_alive(server, admin, "rs-app", 0)
    reset = _ok(server, admin, "streams", "reset", "rs-app", "--yes")
    assert reset.stdout.startswith("reset rs-app (epoch 1)")
    assert _ok(server, admin, "streams", "start", "rs-app").stdout.strip() == "started rs-app"
    _wait_alive(server, admin, "rs-app", 1)
    _ok(server, admin, "streams", "stop", "rs-app")
    _wait_alive(server, admin, "rs-app", 0)
    _ok(server, admin, "streams", "delete", "rs-app", "--yes")
    gone = _cli(server, admin, "streams", "status", "rs-ap")
    assert gone.exit_code == 1
    assert gone.stderr.startswith("error: stream application 'rs-ap' does not exist")


def test_a_bad_script_is_one_error_with_its_caret(
    prepared: StreammeshServer, admin: str, tmp_path: Path
) -> None:
    script = tmp_path / "bad.sql"
    script.write_text(SQL.replace("WHERE price > 500", "WHERE > 500"), encoding="utf-8")
    result = _cli(prepared, admin, "streams", "deploy", str(script), "--name", "bad-app")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: {script}: line 4:")
    assert lines[1] == "  WHERE > 500 EMIT CHANGES;" and lines[2].strip() == "^"
    assert "bad-app" not in _ok(prepared, admin, "streams", "list").stdout


def test_explain_through_the_server_plans_against_its_mesh(
    prepared: StreammeshServer, admin: str, tmp_path: Path
) -> None:
    script = tmp_path / "big.sql"
    script.write_text(SQL, encoding="utf-8")
    shown = _ok(prepared, admin, "streams", "explain", str(script), "--name", "rs-explain")
    assert "Input products: remotestreams.stocktrades.v1" in shown.stdout
    assert "Query CSAS_BIG_0 -> stream BIG" in shown.stdout
    document = json.loads(_ok(prepared, admin, "streams", "explain", str(script), "--json").stdout)
    assert document["application"] == "big"
    assert document["outputs"] == ["remotestreams.big_trades.v1"]
    assert document["queries"][0]["internal_topics"] == ["big.dead-letter"]
    # Nothing was deployed or published.
    assert "rs-explain" not in _ok(prepared, admin, "streams", "list").stdout
    bad = tmp_path / "bad.sql"
    bad.write_text(SQL.replace("FROM remotestreams.stocktrades", "FROM remotestreams.stocktrade"))
    refused = _cli(prepared, admin, "streams", "explain", str(bad))
    assert refused.exit_code == 1
    lines = refused.stderr.splitlines()
    assert lines[0].startswith(f"error: {bad}: line 3:")
    assert "did you mean remotestreams.stocktrades?" in lines[0]
    assert lines[2].strip().startswith("^")
