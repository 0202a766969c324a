"""The product commands through a real ``streammesh up`` with ``--server``: what a domain team's
CI job runs (``plan`` / ``apply --yes`` with a token), the catalog and lifecycle commands, a
stored login, and tokens the server refuses (a clear one-line error, nothing changed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streammesh.cli.credentials import save_login
from streammesh.cli.plan import NO_CHANGES
from streammesh.identity.tokens import ADMIN_PRINCIPAL
from streammesh.sdk import Mesh
from tests.support.processes import free_port
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import CliResult, invoke_cli
from tests.unit.cli.product_workspace import (
    Workspace,
    error_line,
    jsonl,
    make_workspace,
    ok,
    trade,
)

pytestmark = pytest.mark.usefixtures("cli_config_home")


def _workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, domain: str) -> Workspace:
    # Each test has its own domain: they share the server.
    return make_workspace(tmp_path, monkeypatch, domain)


def _remote(server: StreammeshServer, token: str | None, *args: str) -> CliResult:
    credentials = ("--token", token) if token is not None else ()
    return invoke_cli(*args, "--server", server.url, *credentials)


def _json(server: StreammeshServer, token: str | None, *args: str) -> Any:
    result = _remote(server, token, *args, "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _product_names(server: StreammeshServer, admin: str, domain: str) -> list[str]:
    listed = _json(server, admin, "products", "list", "--domain", domain)
    return [record["reference"] for record in listed]


def test_a_ci_job_plans_applies_and_browses_through_the_server(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _workspace(tmp_path, monkeypatch, "remoteci")
    v1 = f"{workspace.name}.v1"
    repo = str(workspace.root)

    planned = _remote(server, admin, "plan", repo)
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    assert "Plan: 6 to create, 0 to update, 0 to delete." in planned.stdout
    assert _product_names(server, admin, workspace.domain) == []  # plan changes nothing

    applied = _remote(server, admin, "apply", repo, "--yes")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert f"applied {v1}" in applied.stdout
    again = _remote(server, admin, "apply", repo, "--yes")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert NO_CHANGES in again.stdout

    assert _product_names(server, admin, workspace.domain) == [v1]
    shown = _json(server, admin, "products", "show", workspace.name)
    assert shown["reference"] == v1
    assert shown["status"] == "published"
    assert shown["consumers"] == []
    # The connection details are the server's: its URL, the token's principal, no secret.
    assert shown["connect"]["rest_url"] == server.url
    assert shown["connect"]["principal"] == ADMIN_PRINCIPAL
    assert admin not in json.dumps(shown)
    page = _remote(server, admin, "products", "show", workspace.name)
    assert "Connect" in page.stdout and f'Mesh.connect("{server.url}"' in page.stdout
    assert admin not in page.stdout
    found = _json(server, admin, "products", "search", workspace.domain)
    assert [hit["product"] for hit in found["hits"]] == [v1]
    # The server made the changes: the local mesh was never opened, let alone created.
    assert not (workspace.home / "meta.db").exists()

    # A consumer reading through the server makes the product's retirement need --force.
    with Mesh.connect(server.url, token=admin) as sdk, sdk.consumer(v1, group="risk") as reader:
        assert reader.take(1, timeout=0.2) == []
    [consumer] = _json(server, admin, "products", "consumers", v1)
    assert (consumer["group"], consumer["active"]) == ("risk", True)

    deprecated = _json(
        server, admin, "deprecate", v1, "--reason", "moving to v2", "--sunset", "2027-06-30"
    )
    assert deprecated["status"] == "deprecated"
    refused = _remote(server, admin, "retire", v1)
    assert "consumer" in error_line(refused)
    retired = _json(server, admin, "retire", v1, "--force")
    assert retired["status"] == "retired"
    # The actor recorded is the token's principal, not the OS user running the CLI.
    assert retired["forced_by"] == ADMIN_PRINCIPAL
    hidden = _json(server, admin, "products", "search", workspace.domain)
    assert hidden["hits"] == []


def test_domains_and_teams_with_the_token_a_login_stored(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _workspace(tmp_path, monkeypatch, "remoteowners")
    save_login(server.url, admin)

    created = _json(
        server, None, "domains", "create", "remoteowners", "--description", "Owners, remotely."
    )
    assert created["created_by"] == ADMIN_PRINCIPAL
    team = _json(server, None, "teams", "create", "remote-team", "--domain", "remoteowners")
    assert team["domain"] == "remoteowners"

    domains = {domain["name"]: domain for domain in _json(server, None, "domains", "list")}
    assert domains["remoteowners"]["description"] == "Owners, remotely."
    assert "remote-team" in {team["name"] for team in _json(server, None, "teams", "list")}

    # $STREAMMESH_SERVER names the server when neither --mesh nor --store is given.
    monkeypatch.setenv("STREAMMESH_SERVER", server.url)
    listed = invoke_cli("domains", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert "remoteowners" in {domain["name"] for domain in json.loads(listed.stdout)}


def test_a_wrong_token_is_refused_clearly_and_changes_nothing(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _workspace(tmp_path, monkeypatch, "remotewrong")

    for command in (("apply", str(workspace.root), "--yes"), ("products", "list")):
        result = _remote(server, "sm_not-a-token", *command)
        assert result.exit_code == 1, result.stdout + result.stderr
        line = error_line(result)
        assert f"{server.url} refused the token" in line
        assert "--token" in line
        assert f"streammesh login {server.url}" in line
    assert _product_names(server, admin, workspace.domain) == []


def test_a_stale_login_says_to_log_in_again(
    server: StreammeshServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _workspace(tmp_path, monkeypatch, "remotestale")
    save_login(server.url, "sm_revoked-long-ago")

    for command in (("plan", str(workspace.root)), ("teams", "list")):
        result = _remote(server, None, *command)
        assert result.exit_code == 2
        line = error_line(result)
        assert f"the token stored for {server.url} was refused" in line
        assert f"run 'streammesh login {server.url}'" in line


def test_a_consumer_token_may_plan_but_not_apply(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _workspace(tmp_path, monkeypatch, "remoteconsumer")
    created = ok(
        "token", "create", "--role", "consumer", "--name", "reader", "--mesh", str(server.mesh)
    )
    consumer = created.stdout.strip()

    planned = _remote(server, consumer, "plan", str(workspace.root))
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    refused = _remote(server, consumer, "apply", str(workspace.root), "--yes")

    assert refused.exit_code == 1
    message = error_line(refused)
    assert message.startswith(f"error: the mesh at {server.url} refused the operation: ")
    assert "'reader' has role 'consumer'" in message
    assert "nothing was changed" in message
    assert _product_names(server, admin, workspace.domain) == []


def test_server_and_local_options_do_not_mix(
    server: StreammeshServer, admin: str, tmp_path: Path
) -> None:
    result = invoke_cli(
        "products", "list", "--server", server.url, "--token", admin, "--mesh", str(tmp_path)
    )
    assert result.exit_code == 2
    assert "give --server, or --mesh/--store" in error_line(result)
    assert not (tmp_path / "meta.db").exists()


def test_without_a_token_the_error_says_how_to_get_one(
    server: StreammeshServer,
) -> None:
    result = _remote(server, None, "products", "list")
    assert result.exit_code == 2
    assert f"run 'streammesh login {server.url}'" in error_line(result)


def test_an_unreachable_server_is_one_line() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for command in (("products", "list"), ("plan", ".")):
        result = invoke_cli(*command, "--server", nowhere, "--token", "sm_any")
        assert result.exit_code == 1
        line = error_line(result)
        assert f"cannot reach the mesh at {nowhere}" in line
        assert "check that 'streammesh up' runs there" in line


def test_an_exported_server_leaves_local_work_local(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _workspace(tmp_path, monkeypatch, "remotelocal")
    save_login(server.url, admin)
    monkeypatch.setenv("STREAMMESH_SERVER", server.url)

    # --mesh names the local mesh, so the exported server is not used.
    ok("apply", str(workspace.root), "--yes", "--mesh", str(workspace.home))
    # The data plane by product name is always the local mesh's.
    wrote = ok("produce", workspace.name, stdin=jsonl(trade(1)))

    assert f"wrote 1 event to product {workspace.name}.v1" in wrote.stdout
    with workspace.mesh() as local:
        topic = local.log.describe_topic(f"{workspace.name}.v1")
        assert sum(topic.end_offsets.values()) == 1
    assert _product_names(server, admin, workspace.domain) == []
