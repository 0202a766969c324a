"""What the CLI and the SDK create in a mesh directory is private (0700 directories, 0600
files) whatever the umask, the directories leading to it included."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.cli.main import run
from streammesh.config import MeshConfig
from streammesh.runtime import MeshRuntime


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _loose(root: Path) -> list[str]:
    return [
        f"{path} {stat.S_IMODE(path.stat().st_mode):o}"
        for path in [root, *root.rglob("*")]
        if stat.S_IMODE(path.stat().st_mode) != (0o700 if path.is_dir() else 0o600)
    ]


def test_a_log_created_by_the_cli_is_private(tmp_path: Path) -> None:
    home = tmp_path / "new" / "mesh"
    assert run(["--log", f"embedded://{home / 'log'}", "topics", "create", "orders"]) == 0
    assert (home / "log" / "log.db").exists()
    assert _loose(tmp_path / "new") == []


def test_a_mesh_opened_in_process_is_private(tmp_path: Path) -> None:
    home = tmp_path / "mesh"
    with MeshRuntime.open(MeshConfig.load(home)) as mesh:
        mesh.keys.current("customers.profiles", b"user-1")  # makes privacy/master.key
    assert (home / "privacy" / "master.key").exists()
    assert _loose(home) == []
