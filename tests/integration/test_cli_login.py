"""``streammesh login`` / ``logout`` against a real ``streammesh up``: the token is checked
before it is stored, stored for its owner only, used by ``--server`` commands without
``--token``, and never printed."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from streammesh.cli.credentials import credentials_path, load_credentials, save_login
from tests.support.processes import free_port
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import CliResult, invoke_cli

TRADE = '{"type": "record", "name": "Trade", "fields": [{"name": "symbol", "type": "string"}]}'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    with StreammeshServer(tmp_path_factory.mktemp("mesh")) as running:
        yield running


@pytest.fixture
def token(server: StreammeshServer) -> str:
    assert server.admin_token is not None
    return server.admin_token


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private $XDG_CONFIG_HOME per test, and no token or server from the environment."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("STREAMMESH_TOKEN", raising=False)
    monkeypatch.delenv("STREAMMESH_SERVER", raising=False)
    return home


def _login(url: str, secret: str) -> CliResult:
    return invoke_cli("login", url, stdin=f"{secret}\n".encode())


def _printed(result: CliResult) -> str:
    return result.stdout + result.stderr


def _expected_identity(server: StreammeshServer, secret: str) -> str:
    """What login says about the token: its principal when the server names it."""
    who = httpx.get(f"{server.url}/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    if who.status_code == 404:
        return f"Logged in to {server.url} (this server does not say whose token it is)"
    body = who.json()
    return f"Logged in to {server.url} as {body['name']} (role {body['role']})"


def test_login_stores_the_token_privately_and_server_commands_use_it(
    server: StreammeshServer, token: str, config_home: Path, tmp_path: Path
) -> None:
    # A trailing slash names the same server.
    result = _login(server.url + "/", token)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == _expected_identity(server, token)
    assert token not in _printed(result)
    stored = config_home / "streammesh" / "credentials.json"
    assert credentials_path() == stored
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert json.loads(stored.read_text())["default"] == server.url
    assert load_credentials().token_for(server.url) == token

    schema = tmp_path / "trade.avsc"
    schema.write_text(TRADE, encoding="utf-8")
    registered = invoke_cli(
        "schemas", "register", "login.trades.v1-value", str(schema), "--server", server.url
    )
    assert registered.exit_code == 0, registered.stderr
    listed = invoke_cli("schemas", "list", "--server", server.url, "--json")
    assert listed.exit_code == 0, listed.stderr
    assert "login.trades.v1-value" in listed.stdout
    assert token not in _printed(registered) + _printed(listed)


def test_the_server_can_come_from_the_environment(
    server: StreammeshServer, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _login(server.url, token).exit_code == 0
    monkeypatch.setenv("STREAMMESH_SERVER", server.url)

    remote = invoke_cli("schemas", "list", "--json")
    assert remote.exit_code == 0, remote.stderr

    # An explicit local mesh beats the exported server: nothing there yet.
    local = invoke_cli("schemas", "list", "--json", "--mesh", str(tmp_path / "local"))
    assert local.exit_code == 0, local.stderr
    assert json.loads(local.stdout) == []


def test_logout_forgets_the_token_and_commands_ask_for_a_login_again(
    server: StreammeshServer, token: str
) -> None:
    assert _login(server.url, token).exit_code == 0

    result = invoke_cli("logout", server.url)

    assert result.exit_code == 0, result.stderr
    assert f"Logged out of {server.url}" in result.stdout
    assert load_credentials().token_for(server.url) is None
    listed = invoke_cli("schemas", "list", "--server", server.url)
    assert listed.exit_code == 2
    assert f"run 'streammesh login {server.url}'" in listed.stderr
    again = invoke_cli("logout", server.url)
    assert again.exit_code == 0
    assert f"Not logged in to {server.url}" in again.stdout


def test_a_wrong_token_is_refused_and_nothing_is_stored(
    server: StreammeshServer, config_home: Path
) -> None:
    wrong = "sm_not-a-real-token"

    result = _login(server.url, wrong)

    assert result.exit_code == 1
    assert f"the token was refused by {server.url}" in result.stderr
    assert wrong not in _printed(result)
    assert not (config_home / "streammesh" / "credentials.json").exists()


def test_an_unreachable_server_is_reported_and_nothing_is_stored(
    token: str, config_home: Path
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"

    result = _login(nowhere, token)

    assert result.exit_code == 1
    assert f"cannot check the token with {nowhere}" in result.stderr
    assert "nothing was stored" in result.stderr
    assert token not in _printed(result)
    assert not (config_home / "streammesh" / "credentials.json").exists()


def test_a_stored_token_the_server_no_longer_accepts_asks_for_a_new_login(
    server: StreammeshServer,
) -> None:
    save_login(server.url, "sm_revoked-long-ago")

    listed = invoke_cli("schemas", "list", "--server", server.url)

    assert listed.exit_code == 2
    assert f"the token stored for {server.url} was refused" in listed.stderr
    assert "sm_revoked-long-ago" not in _printed(listed)


def test_logging_into_a_second_server_makes_it_the_default_and_keeps_the_first(
    server: StreammeshServer, token: str
) -> None:
    other = "http://127.0.0.1:1"
    save_login(other, "sm_other")
    assert _login(server.url, token).exit_code == 0
    assert load_credentials().default_server == server.url

    # Without a URL, logout forgets the default; the other login stays and becomes it.
    assert invoke_cli("logout").exit_code == 0
    remaining = load_credentials()
    assert remaining.token_for(server.url) is None
    assert remaining.token_for(other) == "sm_other"
    assert remaining.default_server == other


def test_a_damaged_credentials_file_is_named_with_the_fix(
    server: StreammeshServer, config_home: Path
) -> None:
    stored = config_home / "streammesh" / "credentials.json"
    stored.parent.mkdir(parents=True)
    stored.write_text("{not json", encoding="utf-8")

    listed = invoke_cli("schemas", "list", "--server", server.url)

    assert listed.exit_code == 2
    assert f"the credentials file '{stored}' cannot be used" in listed.stderr
    assert "fix or delete it" in listed.stderr


def test_an_empty_token_on_stdin_is_refused(server: StreammeshServer, config_home: Path) -> None:
    result = invoke_cli("login", server.url, stdin=b"\n")

    assert result.exit_code == 2
    assert "no token given" in result.stderr
    assert not (config_home / "streammesh").exists()


def _read_until(fd: int, wanted: bytes, timeout_s: float = 30.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout_s
    while wanted not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {wanted!r}; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


def _wait_or_kill(pid: int, timeout_s: float = 30.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def test_on_a_terminal_the_token_is_asked_for_without_echo(
    server: StreammeshServer, token: str, config_home: Path
) -> None:
    # A real pseudo-terminal: getpass reads the controlling terminal, not stdin.
    env = dict(os.environ, XDG_CONFIG_HOME=str(config_home), PYTHONUNBUFFERED="1")
    pid, fd = pty.fork()
    if pid == 0:  # the child: become `streammesh login URL` on the terminal
        argv = [sys.executable, "-m", "streammesh.cli", "login", server.url]
        os.execve(sys.executable, argv, env)
    try:
        # The space after the colon is written by getpass once echo is off: typing earlier
        # would be echoed, then flushed away.
        prompt = _read_until(fd, b"API token: ")
        os.write(fd, token.encode() + b"\n")
        rest = _read_until(fd, b"Logged in to")
        rest += _read_until(fd, b"\n")
    finally:
        status = _wait_or_kill(pid)
        os.close(fd)

    assert os.waitstatus_to_exitcode(status) == 0
    assert token.encode() not in prompt + rest  # not echoed, not printed
    assert load_credentials().token_for(server.url) == token
