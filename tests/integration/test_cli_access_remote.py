"""``streammesh accounts`` and ``streammesh access`` through a real ``streammesh up`` with
``--server``: the token's principal decides (a domain owner of the owning team approves, one of
another team may not), the local mesh is never opened, and ``access sync`` says where it runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streammesh.sdk import Mesh
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import CliResult, invoke_cli
from tests.unit.cli.product_workspace import error_line, make_workspace


@pytest.fixture(autouse=True)
def wide_lines(cli_config_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines wide enough not to wrap (and the CLI's private config home)."""
    monkeypatch.setenv("COLUMNS", "200")


def _remote(server: StreammeshServer, token: str, *args: str) -> CliResult:
    return invoke_cli(*args, "--server", server.url, "--token", token)


def _ok(server: StreammeshServer, token: str, *args: str) -> CliResult:
    result = _remote(server, token, *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def _json(server: StreammeshServer, token: str, *args: str) -> Any:
    return json.loads(_ok(server, token, *args, "--json").stdout)


def _secret(server: StreammeshServer, admin: str, name: str, role: str) -> str:
    return _ok(server, admin, "token", "create", "--role", role, "--name", name).stdout.strip()


def test_accounts_are_created_and_listed_as_the_tokens_principal_allows(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = make_workspace(tmp_path, monkeypatch, "remoteaccounts")
    team = f"{workspace.domain}-team"
    _ok(server, admin, "apply", str(workspace.root), "--yes")  # registers the team too
    with Mesh.connect(server.url, token=admin) as sdk:
        sdk.register_team("elsewhere-team")

    created = _ok(server, admin, "accounts", "create", "ingest", "--kind", "service-account",
                  "--team", team)  # fmt: skip
    assert "created service-account ingest of team remoteaccounts-team" in created.stdout
    listed = {item["name"]: item for item in _json(server, admin, "accounts", "list")}
    assert (listed["ingest"]["team"], listed["ingest"]["created_by"]) == (team, "admin")
    assert "ingest" in _ok(server, admin, "accounts", "list").stdout

    # A domain owner creates accounts in its own teams only.
    _ok(server, admin, "accounts", "create", "olga", "--kind", "user", "--team", team)
    owner = _secret(server, admin, "olga", "domain-owner")
    _ok(server, owner, "accounts", "create", "loader", "--kind", "service-account", "--team", team)
    refused = _remote(server, owner, "accounts", "create", "spy", "--kind", "service-account",
                      "--team", "elsewhere-team")  # fmt: skip
    assert "'olga' may not create an account in 'team:elsewhere-team'" in error_line(refused)
    assert "spy" not in {item["name"] for item in _json(server, admin, "accounts", "list")}
    duplicate = _remote(server, admin, "accounts", "create", "ingest", "--kind", "user")
    assert "principal 'ingest' exists already" in error_line(duplicate)
    # The server made the changes: the local mesh was never opened, let alone created.
    assert not (workspace.home / "meta.db").exists()


def test_access_is_requested_and_decided_by_the_tokens_principal(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = make_workspace(tmp_path, monkeypatch, "remoteaccess")
    v1 = f"{workspace.name}.v1"
    _ok(server, admin, "apply", str(workspace.root), "--yes")
    with Mesh.connect(server.url, token=admin) as sdk:
        sdk.register_team("readers-team")
    for name, kind, team in (
        ("scorer", "service-account", "readers-team"),
        ("dora", "user", f"{workspace.domain}-team"),  # a domain owner of the owning team
        ("rita", "user", "readers-team"),  # a domain owner of another team
    ):
        _ok(server, admin, "accounts", "create", name, "--kind", kind, "--team", team)
    owner = _secret(server, admin, "dora", "domain-owner")
    stranger = _secret(server, admin, "rita", "domain-owner")

    # Rita is a user of the application's team: she may ask for it, not decide.
    asked = _ok(server, stranger, "access", "request", workspace.name, "--as", "scorer",
                "--purpose", "score trades", "--classified")  # fmt: skip
    assert f": scorer → {v1} (requested)" in asked.stdout
    assert "The owners decide: 'streammesh access approve" in asked.stdout
    [pending] = _json(server, admin, "access", "list", "--product", workspace.name)
    assert (pending["state"], pending["requested_by"]) == ("requested", "rita")

    refused = _remote(server, stranger, "access", "approve", pending["id"])
    line = error_line(refused)
    assert f"'rita' may not approve access to '{v1}'" in line
    assert f"a domain owner of team '{workspace.domain}-team'" in line

    approved = _ok(server, owner, "access", "approve", pending["id"], "--note", "ok",
                   "--expires", "30d")  # fmt: skip
    assert f"approved {pending['id']}: scorer → {v1} (approved), expires " in approved.stdout
    [granted] = _json(server, admin, "access", "list", "--state", "approved",
                      "--product", workspace.name)  # fmt: skip
    assert (granted["decided_by"], granted["note"]) == ("dora", "ok")
    assert granted["expires_at"] is not None
    assert pending["id"] in _ok(server, admin, "access", "list").stdout

    revoked = _json(server, owner, "access", "revoke", pending["id"], "--note", "done")
    assert (revoked["state"], revoked["ended_by"]) == ("revoked", "dora")
    again = _remote(server, owner, "access", "revoke", pending["id"])
    assert f"cannot revoke access request '{pending['id']}': it is revoked" in error_line(again)
    unknown = _remote(server, admin, "access", "reject", "feedfacefeedface")
    assert "access request 'feedfacefeedface' not found" in error_line(unknown)
    assert not (workspace.home / "meta.db").exists()


def test_access_sync_through_a_server_says_where_it_runs(
    server: StreammeshServer, admin: str
) -> None:
    result = _remote(server, admin, "access", "sync", "--dry-run")
    assert result.exit_code == 1
    line = error_line(result)
    assert f"the Kafka ACL sync is not offered through the mesh at {server.url}" in line
    assert "run 'streammesh access sync --mesh DIR' on the mesh's host" in line
