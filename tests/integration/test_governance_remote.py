"""Governance through a real ``streammesh up`` with ``--server``: policies set with a token are
what the server's ``apply`` enforces and what ``validate --server`` reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import invoke_cli
from tests.unit.cli.product_workspace import MESH_YAML, json_of, make_workspace, ok


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    mesh = tmp_path_factory.mktemp("server-mesh")
    (mesh / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    with StreammeshServer(mesh) as running:
        yield running


def test_the_server_policy_is_enforced_and_validated_against(
    server: StreammeshServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    workspace = make_workspace(tmp_path, monkeypatch, "remotegov")
    assert server.admin_token is not None
    remote = ("--server", server.url, "--token", server.admin_token)
    policy = tmp_path / "governance.yaml"
    policy.write_text("rules:\n  regions.allowed: {regions: [eu-west-1]}\n", encoding="utf-8")

    ok("governance", "set-policy", str(policy), *remote)
    assert json_of("governance", "show-policy", *remote)["version"] == 1

    checked = invoke_cli("validate", str(workspace.root), *remote, "--json")
    assert checked.exit_code == 1, checked.stdout + checked.stderr
    rules = [finding["rule"] for finding in json.loads(checked.stdout)["findings"]]
    assert "regions.allowed" in rules

    refused = invoke_cli("apply", str(workspace.root), "--yes", *remote)
    assert refused.exit_code != 0
    assert "regions.allowed" in refused.stdout + refused.stderr

    workspace.replace_in_descriptor("regions: []", "regions: [eu-west-1]")
    ok("apply", str(workspace.root), "--yes", *remote)
    report = json_of("governance", "report", *remote)
    assert report["summary"]["compliant"] == report["summary"]["products"] >= 1
