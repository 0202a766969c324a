"""``streammesh token create/list/revoke``, on the local mesh and through ``--server``: a
revoked token is refused on its next request, and each change is on ``_mesh.events``."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from streammesh.identity.tokens import SERVER_REMEMBER_S
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import completed_cli


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    with StreammeshServer(tmp_path_factory.mktemp("mesh")) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_stored_login(monkeypatch: pytest.MonkeyPatch) -> None:
    """No stored login or server from the environment; wide enough for the table."""
    for name in [name for name in os.environ if name.startswith("STREAMMESH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", "/nonexistent")
    monkeypatch.setenv("COLUMNS", "200")


def _cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``streammesh ARGS`` in this process (the server it talks to is a real process)."""
    done = completed_cli(*args)
    if check:
        done.check_returncode()
    return done


def _whoami(server: StreammeshServer, secret: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})


def _created(done: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    token_id = done.stderr.split("Created token ", 1)[1].split()[0]
    return token_id, done.stdout.strip()


def test_a_token_revoked_on_the_local_mesh_is_refused_by_the_running_server(
    server: StreammeshServer,
) -> None:
    local = ("--mesh", str(server.mesh))
    token_id, secret = _created(_cli("token", "create", "--role", "member", "--name", "ci", *local))
    assert _whoami(server, secret).status_code == 200

    revoked = _cli("token", "revoke", token_id, "--json", *local)
    assert json.loads(revoked.stdout)["revoked_at"]
    # Revoked by another process: the server trusts the token it verified for up to
    # SERVER_REMEMBER_S more seconds (a revocation through the server is refused at once).
    deadline = time.monotonic() + SERVER_REMEMBER_S + 2.0
    while _whoami(server, secret).status_code != 401:
        assert time.monotonic() < deadline, "the revoked token is still accepted"
        time.sleep(0.2)
    listed = json.loads(_cli("token", "list", "--json", *local).stdout)
    assert [t["active"] for t in listed if t["id"] == token_id] == [False]
    assert secret not in json.dumps(listed)


def test_a_token_revoked_through_the_server_is_refused_on_its_next_request(
    server: StreammeshServer,
) -> None:
    assert server.admin_token is not None
    remote = ("--server", server.url, "--token", server.admin_token)
    token_id, secret = _created(
        _cli("token", "create", "--role", "consumer", "--name", "reader", *remote)
    )
    assert _whoami(server, secret).json()["name"] == "reader"
    listed = _cli("token", "list", *remote).stdout
    assert token_id in listed and "reader" in listed and secret not in listed

    revoked = _cli("token", "revoke", token_id, *remote)
    assert f"revoked token {token_id} of 'reader' (consumer)" in revoked.stdout
    assert _whoami(server, secret).status_code == 401

    events = httpx.get(
        f"{server.url}/api/v1/mesh-events",
        params={"limit": 1000},
        headers={"Authorization": f"Bearer {server.admin_token}"},
    ).json()["events"]
    mine = [(e["type"], e["actor"]) for e in events if e["subject"] == f"token:{token_id}"]
    assert mine == [("token.created", "admin"), ("token.revoked", "admin")]


def test_revoking_an_unknown_token_is_one_error_line(server: StreammeshServer) -> None:
    for where in (
        ("--mesh", str(server.mesh)),
        ("--server", server.url, "--token", str(server.admin_token)),
    ):
        done = _cli("token", "revoke", "0123456789abcdef", *where, check=False)
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("error: token '0123456789abcdef' not found"), done.stderr
        assert "Traceback" not in done.stderr


def test_a_member_token_may_not_create_tokens_through_the_server(
    server: StreammeshServer,
) -> None:
    _, member = _created(
        _cli("token", "create", "--role", "member", "--name", "m", "--mesh", str(server.mesh))
    )
    done = _cli(
        "token", "create", "--role", "platform-admin", "--name", "me-too",
        "--server", server.url, "--token", member, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "'m' may not create a platform-admin token of 'me-too'" in done.stderr
    assert "me-too" not in _cli("token", "list", "--mesh", str(server.mesh)).stdout
