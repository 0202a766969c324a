"""``streammesh up`` and the admin token: a start that fails creates none, the first start that
serves prints it, and a start of a mesh nobody can administer says how to make one."""

from __future__ import annotations

import gc
import shlex
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import CliResult, invoke_cli


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        yield other.getsockname()[1]


def _whoami(server: StreammeshServer, secret: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})


def _error_line(result: CliResult) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _suggested_command(output: str) -> list[str]:
    """The command the hint of ``up`` prints, as a person would copy it."""
    lines = [line.strip() for line in output.splitlines()]
    [command] = [
        line for line in lines if line.startswith("streammesh ") and " token create " in line
    ]
    return shlex.split(command)[1:]


def test_a_start_on_a_taken_port_leaves_the_admin_token_to_the_first_start_that_serves(
    tmp_path: Path, taken_port: int
) -> None:
    mesh = tmp_path / "mesh"
    failed = invoke_cli("up", "--mesh", str(mesh), "--port", str(taken_port))
    assert failed.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{taken_port}" in _error_line(failed)

    with StreammeshServer(mesh) as server:
        assert server.admin_token is not None, "".join(server.output)
        assert _whoami(server, server.admin_token).json()["role"] == "platform-admin"


def test_a_start_whose_mesh_cannot_open_closes_its_socket_and_creates_no_token(
    tmp_path: Path,
) -> None:
    mesh = tmp_path / "mesh"
    not_a_directory = tmp_path / "log-file"
    not_a_directory.touch()
    failed = invoke_cli(
        "up", "--mesh", str(mesh), "--port", "0", "--log", f"embedded://{not_a_directory}"
    )
    gc.collect()  # an unclosed listening socket would warn here (warnings are errors)
    assert failed.exit_code == 1
    assert "is unavailable" in _error_line(failed)

    with StreammeshServer(mesh) as server:
        assert server.admin_token is not None, "".join(server.output)
        assert _whoami(server, server.admin_token).status_code == 200


@pytest.mark.slow
def test_a_mesh_whose_admin_tokens_are_revoked_says_how_to_make_one(tmp_path: Path) -> None:
    mesh = tmp_path / "mesh"
    with StreammeshServer(mesh) as first:
        assert first.admin_token is not None
        admin_id = _whoami(first, first.admin_token).json()["token_id"]
    with StreammeshServer(mesh) as usable:
        # An admin token is still active: nothing to say, nothing created.
        assert usable.admin_token is None
        assert "no usable" not in "".join(usable.output)
    revoked = invoke_cli("token", "revoke", admin_id, "--mesh", str(mesh))
    assert revoked.exit_code == 0, revoked.stderr

    with StreammeshServer(mesh) as locked_out:
        printed = "".join(locked_out.output)
        assert locked_out.admin_token is None
        assert "no usable platform-admin token" in printed
        created = invoke_cli(*_suggested_command(printed))
        assert created.exit_code == 0, created.stderr
        secret = created.stdout.strip()
        assert _whoami(locked_out, secret).json()["role"] == "platform-admin"


def test_a_mesh_with_only_member_tokens_says_how_to_make_an_admin_token(tmp_path: Path) -> None:
    mesh = tmp_path / "mesh"
    made = invoke_cli("token", "create", "--role", "member", "--name", "ci", "--mesh", str(mesh))
    assert made.exit_code == 0, made.stderr
    with StreammeshServer(mesh) as server:
        printed = "".join(server.output)
        assert server.admin_token is None
        assert "no usable platform-admin token" in printed
        assert _suggested_command(printed)[:2] == ["token", "create"]
