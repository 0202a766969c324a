"""Fixtures the CLI-through-a-server tests share (``test_*_remote.py``): a real
``streammesh up`` per module, its admin token, and a CLI that sees no stored login and no
server or token from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.product_workspace import MESH_YAML


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    """A server over a fresh mesh whose lifecycle has no minimum time between stages (a test
    can deprecate and retire at once). Tests of a module share it: each uses its own domain."""
    mesh = tmp_path_factory.mktemp("server-mesh")
    (mesh / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    with StreammeshServer(mesh) as running:
        yield running


@pytest.fixture
def admin(server: StreammeshServer) -> str:
    """The platform-admin token the server printed at start."""
    assert server.admin_token is not None
    return server.admin_token


@pytest.fixture
def cli_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private $XDG_CONFIG_HOME (no login but the ones a test stores), and no server or
    token from the environment; use it with ``pytest.mark.usefixtures`` or as an argument."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("STREAMMESH_SERVER", raising=False)
    monkeypatch.delenv("STREAMMESH_TOKEN", raising=False)
    return home
