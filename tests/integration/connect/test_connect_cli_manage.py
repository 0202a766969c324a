"""``streammesh connect create|list|status|pause|resume|restart|delete`` on a local mesh and
through a real ``streammesh up`` with ``--server``; a credential given as ``${VAR}`` never
shows in the CLI's output, the REST answers or the server's log, even when the hosted
connector fails on it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from streammesh.config import MeshConfig
from streammesh.identity import AccountKind
from streammesh.runtime import MeshRuntime
from tests.integration.api_v1_support import MESH_YAML
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import CliResult, invoke_cli

pytestmark = pytest.mark.usefixtures("cli_config_home")

SECRET = "cli-pw-5521-never"
ACCOUNT = "cli-sa"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    """A server whose environment holds a database URL with a password, a team and its
    service account ``cli-sa``."""
    mesh = tmp_path_factory.mktemp("connect-cli-mesh")
    (mesh / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    os.environ["CLI_DB_URL"] = f"postgresql://cli:{SECRET}@127.0.0.1:9/orders"
    try:
        with StreammeshServer(mesh) as server:
            headers = {"Authorization": f"Bearer {server.admin_token}"}
            with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers) as api:
                for path, body in (
                    ("/domains", {"name": "clidomain"}),
                    ("/teams", {"name": "cli-team", "domain": "clidomain"}),
                    (
                        "/principals",
                        {"name": ACCOUNT, "kind": "service-account", "team": "cli-team"},
                    ),
                ):
                    answer = api.post(path, json=body)
                    assert answer.status_code in (200, 201), answer.text
            yield server
    finally:
        os.environ.pop("CLI_DB_URL", None)


def _files(folder: Path, name: str = "drops") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nkind: files\nprincipal: {ACCOUNT}\nconfig:\n"
        f"  folder: {folder / 'inbox'}\n  product: clidomain.orders\n  format: csv\n",
        encoding="utf-8",
    )
    return path


def _remote(server: StreammeshServer, *args: str) -> CliResult:
    assert server.admin_token is not None
    return invoke_cli("connect", *args, "--server", server.url, "--token", server.admin_token)


def _ok(server: StreammeshServer, *args: str) -> CliResult:
    result = _remote(server, *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def _status(server: StreammeshServer, name: str) -> Any:
    return json.loads(_ok(server, "status", name, "--json").stdout)


def test_the_lifecycle_through_a_server(served: StreammeshServer, tmp_path: Path) -> None:
    created = _ok(served, "create", str(_files(tmp_path)), "--placement", "process")
    assert "recorded connector drops (files source, as cli-sa), placement process" in (
        created.stdout
    )

    listed = json.loads(_ok(served, "list", "--json").stdout)
    assert [(item["name"], item["state"]) for item in listed] == [("drops", "UNASSIGNED")]
    table = _ok(served, "list").stdout
    assert "drops" in table and "files" in table and "UNASSIGNED" in table
    assert "drops: UNASSIGNED (files source)" in _ok(served, "status", "drops").stdout

    assert "paused drops" in _ok(served, "pause", "drops").stdout
    paused = _status(served, "drops")
    assert paused["desired"] == "paused" and paused["state"] == "PAUSED" and paused["paused_by"]
    assert "resumed drops" in _ok(served, "resume", "drops").stdout
    assert "restarting drops" in _ok(served, "restart", "drops").stdout
    assert _status(served, "drops")["generation"] == 1
    assert "not restarted" in _ok(served, "restart", "drops", "--only-failed").stdout

    taken = _remote(served, "create", str(_files(tmp_path)), "--placement", "process")
    assert taken.exit_code == 1 and "Connector drops already exists" in taken.stderr
    assert "deleted drops" in _ok(served, "delete", "drops").stdout
    gone = _remote(served, "status", "drops")
    assert gone.exit_code == 1
    assert gone.stderr.startswith("error: ") and "Connector drops not found" in gone.stderr


def test_credentials_never_show(served: StreammeshServer, tmp_path: Path) -> None:
    definition = tmp_path / "orders-poll.yaml"
    definition.write_text(
        f"name: orders-poll\nkind: jdbc-poll\nprincipal: {ACCOUNT}\nconfig:\n"
        "  url: ${CLI_DB_URL}\n  tables: {orders: clidomain.orders}\n  mode: bulk\n",
        encoding="utf-8",
    )
    outputs = [_ok(served, "create", str(definition))]  # hosted: it fails on the database
    deadline = time.monotonic() + 45
    while _status(served, "orders-poll")["state"] != "FAILED":
        assert time.monotonic() < deadline, _status(served, "orders-poll")
        time.sleep(0.5)
    outputs += [
        _ok(served, "status", "orders-poll"),
        _ok(served, "status", "orders-poll", "--json"),
        _ok(served, "list"),
        _ok(served, "list", "--json"),
    ]
    assert _status(served, "orders-poll")["last_error"]
    clear = tmp_path / "leaky.yaml"
    clear.write_text(
        definition.read_text().replace("${CLI_DB_URL}", f"postgresql://cli:{SECRET}@db/x"),
        encoding="utf-8",
    )
    refused = _remote(served, "create", str(clear))
    assert refused.exit_code == 1 and "config.url holds a password in clear" in refused.stderr
    outputs.append(refused)
    headers = {"Authorization": f"Bearer {served.admin_token}"}
    config = httpx.get(f"{served.url}/connect/connectors/orders-poll/config", headers=headers)
    assert config.json()["url"] == "${CLI_DB_URL}"
    _ok(served, "delete", "orders-poll")

    for result in outputs:
        assert SECRET not in result.stdout + result.stderr
    assert SECRET not in config.text
    served.stop()
    log = "".join(served.output)
    assert "connector orders-poll failed" in log
    assert SECRET not in log


def test_the_lifecycle_on_a_local_mesh(tmp_path: Path) -> None:
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    with MeshRuntime.open(MeshConfig.load(mesh)) as runtime:
        runtime.plane.register_team(
            "cli-team", domain=None, email=None, description=None, actor="a"
        )
        runtime.access.create_account(
            ACCOUNT, AccountKind.SERVICE_ACCOUNT, team="cli-team", description="", actor="a"
        )

    def local(*args: str) -> CliResult:
        result = invoke_cli("connect", *args, "--mesh", str(mesh))
        assert result.exit_code == 0, result.stdout + result.stderr
        return result

    # Placed on the server: its folder must lie inside the mesh (connect.allowed_paths).
    outside = invoke_cli("connect", "create", str(_files(tmp_path)), "--mesh", str(mesh))
    assert outside.exit_code == 1
    assert "config.folder" in outside.stderr and "is outside the folders" in outside.stderr
    assert "placement server" in local("create", str(_files(mesh))).stdout
    assert [item["name"] for item in json.loads(local("list", "--json").stdout)] == ["drops"]
    local("pause", "drops")
    assert json.loads(local("status", "drops", "--json").stdout)["state"] == "PAUSED"
    local("delete", "drops")
    assert "No connectors" in local("list").stdout
