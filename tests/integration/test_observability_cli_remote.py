"""``streammesh governance proposals``, ``lineage``, ``status``, ``lag`` and ``slo check``
through a real ``streammesh up`` with ``--server``: the same documents and the same error lines
and exit codes as on a local mesh."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streammesh.sdk import Mesh
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import CliResult, invoke_cli
from tests.unit.cli.product_workspace import error_line, make_workspace, ok, trade

GROUP = "risk-scoring"


@pytest.fixture
def remote(server: StreammeshServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The options that name the server, with its admin token (no stored login is used)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert server.admin_token is not None
    return ["--server", server.url, "--token", server.admin_token]


def _json(*args: str) -> Any:
    result = invoke_cli(*args, "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _same_failure(remote: CliResult, local: CliResult) -> str:
    """The error line both printed (the server's URL aside), after checking the exit codes."""
    assert (remote.exit_code, error_line(remote)) == (local.exit_code, error_line(local))
    return error_line(remote)


def test_lineage_and_monitoring_of_a_consumed_product(
    server: StreammeshServer, remote: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = make_workspace(tmp_path, monkeypatch, "remoteobs")
    ok("apply", str(workspace.root), "--yes", *remote)
    assert server.admin_token is not None
    with Mesh.connect(server.url, token=server.admin_token) as mesh:
        with mesh.producer(workspace.name) as producer:
            producer.send_many(trade(number) for number in range(5))
        with mesh.consumer(workspace.name, GROUP) as consumer:
            assert len(consumer.take(5, timeout=10)) == 5

    graph = _json("lineage", workspace.name, "--downstream", *remote)
    assert GROUP in {node["name"] for node in graph["nodes"]}
    tree = ok("lineage", workspace.name, *remote).stdout
    assert GROUP in tree and "consumes" in tree
    impact = _json("lineage", "impact", workspace.name, *remote)
    assert [item["name"] for item in impact["dependents"]] == [GROUP]
    exported = json.loads(ok("lineage", "export", *remote).stdout)
    assert GROUP in {event["job"]["name"] for event in exported}

    status = _json("status", workspace.name, *remote)
    assert status["events_in_window"] == 5
    assert "events/s" in ok("status", workspace.name, *remote).stdout
    lag = _json("lag", GROUP, workspace.name, *remote)
    assert (lag["total_lag"], lag["caught_up"]) == (0, True)
    assert f"{GROUP}: caught up" in ok("lag", GROUP, *remote).stdout
    states = _json("slo", "check", workspace.name, *remote)
    assert all(state["status"] == "met" for state in states)


def test_refusals_read_as_on_a_local_mesh(remote: list[str], tmp_path: Path) -> None:
    local = ["--mesh", str(tmp_path / "local")]
    missing = "nowhere.nothing"
    for command in (["lineage", missing], ["status", missing], ["lag", GROUP, missing]):
        line = _same_failure(invoke_cli(*command, *remote), invoke_cli(*command, *local))
        assert f"product '{missing}' is not in the mesh" in line
    line = _same_failure(invoke_cli("lag", "  ", *remote), invoke_cli("lag", "  ", *local))
    assert line.endswith("is empty; give the group's name")


def test_governance_proposals_through_the_server(remote: list[str], tmp_path: Path) -> None:
    local = ["--mesh", str(tmp_path / "local")]
    created: dict[str, dict[str, Any]] = {}
    for where in (remote, local):
        create = ["governance", "proposals", "create", "Allow protobuf", "--rule", "schema.formats"]
        created[where[0]] = _json(*create, *where)
    proposal = str(created["--server"]["id"])
    moved = _json("governance", "proposals", "move", proposal, "in-review", "--note", "ok", *remote)
    assert moved["status"] == "in-review"
    shown = ok("governance", "proposals", "show", proposal, *remote).stdout
    assert "Allow protobuf" in shown and "in-review by admin: ok" in shown
    listed = _json("governance", "proposals", "list", "protobuf", "--status", "in-review", *remote)
    assert int(proposal) in [item["id"] for item in listed]

    # The remote proposal is in review, the local one a draft: each says so, in the same words.
    for where, status in ((remote, "in-review"), (local, "draft")):
        number = created[where[0]]["id"]
        result = invoke_cli("governance", "proposals", "move", str(number), "implemented", *where)
        assert result.exit_code == 1
        assert error_line(result).startswith(
            f"error: governance proposal '{number}' is '{status}' and cannot move to 'implemented'"
        )
        assert "HTTP" not in error_line(result)
