"""``subscriptions``, ``inbox``, ``incident``, ``notify`` and ``forget`` through a real
``streammesh up`` with ``--server``: the token's principal acts, and its role decides."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from streammesh.identity.tokens import ADMIN_PRINCIPAL
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import CliResult, invoke_cli
from tests.unit.cli.product_workspace import error_line, make_workspace, ok

DOMAIN = "remotenotify"
PRODUCT = f"{DOMAIN}.stocktrades"


pytestmark = pytest.mark.usefixtures("cli_config_home")


@pytest.fixture(scope="module")
def product(server: StreammeshServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The scaffolded product, applied through the server."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        root = tmp_path_factory.mktemp("workspace")
        workspace = make_workspace(root, monkeypatch, DOMAIN)
        assert server.admin_token is not None
        applied = _remote(server.url, server.admin_token, "apply", str(workspace.root), "--yes")
        assert applied.exit_code == 0, applied.stdout + applied.stderr
    return PRODUCT


def _remote(url: str, token: str, *args: str) -> CliResult:
    return invoke_cli(*args, "--server", url, "--token", token)


def _ok(server: StreammeshServer, token: str, *args: str) -> CliResult:
    result = _remote(server.url, token, *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def _json(server: StreammeshServer, token: str, *args: str) -> Any:
    return json.loads(_ok(server, token, *args, "--json").stdout)


def _token(server: StreammeshServer, role: str, name: str) -> str:
    created = ok("token", "create", "--role", role, "--name", name, "--mesh", str(server.mesh))
    return created.stdout.strip()


def test_subscriptions_through_the_server_follow_the_tokens_role(
    server: StreammeshServer, admin: str, product: str
) -> None:
    member = _token(server, "member", "sub-member")
    added = _json(
        server, admin, "subscriptions", "add", "ops-team", "--product", product, "--inbox"
    )
    assert (added["subscriber"], added["created_by"]) == ("ops-team", ADMIN_PRINCIPAL)

    listed = _json(server, admin, "subscriptions", "list", "--subscriber", "ops-team")
    assert [sub["id"] for sub in listed] == [added["id"]]
    everyone = _ok(server, admin, "subscriptions", "list").stdout
    assert added["id"] in everyone

    # A member subscribes itself, but neither someone else nor lists every subscription.
    own = _ok(server, member, "subscriptions", "add", "sub-member", "--domain", DOMAIN, "--inbox")
    assert "subscribed " in own.stdout and "sub-member ← domain remotenotify" in own.stdout
    for command in (
        ("subscriptions", "add", "ops-team", "--inbox"),
        ("subscriptions", "list"),
        ("subscriptions", "remove", added["id"]),
    ):
        refused = _remote(server.url, member, *command)
        assert refused.exit_code == 1
        assert f"the mesh at {server.url} refused the operation" in error_line(refused)

    removed = _ok(server, admin, "subscriptions", "remove", added["id"])
    assert f"removed {added['id']}" in removed.stdout
    missing = _remote(server.url, admin, "subscriptions", "remove", added["id"])
    assert missing.exit_code == 1
    assert f"No subscription '{added['id']}'" in error_line(missing)


def test_an_incident_reaches_the_subscribers_inbox_through_the_server(
    server: StreammeshServer, admin: str, product: str
) -> None:
    reader = _token(server, "member", "inbox-reader")
    _ok(server, reader, "subscriptions", "add", "inbox-reader", "--product", product, "--inbox")

    declared = _ok(server, admin, "incident", "declare", product, "-m", "late since 10:00")
    assert f"incident declared {product}.v1: late since 10:00" in declared.stdout
    empty = _remote(server.url, admin, "incident", "declare", product, "-m", "")
    assert empty.exit_code == 2
    assert "the message is empty" in error_line(empty)

    # The server's notifier delivers to the inbox; the token's principal reads its own.
    deadline = time.monotonic() + 20
    while not (items := _json(server, reader, "inbox", "--unread")):
        assert time.monotonic() < deadline, "the incident never reached the inbox"
        time.sleep(0.2)
    assert [(item["event_type"], item["recipient"]) for item in items] == [
        ("incident.declared", "inbox-reader")
    ]
    _ok(server, reader, "inbox", "--mark-read", str(items[0]["id"]))
    assert _json(server, reader, "inbox", "--unread") == []
    assert "unread" not in _ok(server, reader, "inbox").stdout

    another = _remote(server.url, admin, "inbox", "--as", "inbox-reader")
    assert another.exit_code == 1
    assert "only its token's own inbox, not 'inbox-reader''s" in error_line(another)


def test_dead_letters_through_the_server_are_for_overseers_and_run_stays_local(
    server: StreammeshServer, admin: str
) -> None:
    assert "No dead letters." in _ok(server, admin, "notify", "dead-letters").stdout
    assert _json(server, admin, "notify", "dead-letters") == []
    unknown = _remote(server.url, admin, "notify", "redrive", "nope")
    assert unknown.exit_code == 1
    assert "No dead-lettered delivery 'nope'" in error_line(unknown)

    owner = _token(server, "domain-owner", "dead-letter-owner")
    refused = _remote(server.url, owner, "notify", "dead-letters")
    assert refused.exit_code == 1
    assert "refused the operation" in error_line(refused)

    ran = _remote(server.url, admin, "notify", "run", "--once")
    assert ran.exit_code == 1
    line = error_line(ran)
    assert "'streammesh notify run'" in line and "works on a local mesh only" in line
    assert server.url in line


def test_forget_through_the_server(server: StreammeshServer, admin: str, product: str) -> None:
    done = _json(server, admin, "forget", product, "t-1")
    assert done == {"product": product, "key": "t-1", "versions": 0}
    text = _ok(server, admin, "forget", f"{product}.v1", "t-1").stdout
    assert f"forgot t-1 in {product}: 0 data key version(s) destroyed" in text

    consumer = _token(server, "consumer", "forget-consumer")
    refused = _remote(server.url, consumer, "forget", product, "t-1")
    assert refused.exit_code == 1
    assert "refused the operation" in error_line(refused)
    unknown = _remote(server.url, admin, "forget", f"{DOMAIN}.nothing", "1")
    assert unknown.exit_code == 1
    assert f"{DOMAIN}.nothing" in error_line(unknown)
