"""Which mesh, log and store ``streammesh up`` serves: options, environment, ``mesh.yaml``."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.cli.up import server_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("STREAMMESH_HOME", "STREAMMESH_LOG", "STREAMMESH_STORE"):
        monkeypatch.delenv(variable, raising=False)


def test_defaults_are_inside_the_mesh_directory(tmp_path: Path) -> None:
    settings = server_settings(tmp_path / "mesh", None)
    assert settings.mesh == tmp_path / "mesh"
    assert settings.log_url == f"embedded://{tmp_path / 'mesh' / 'log'}"
    assert settings.resolved_store_url == f"sqlite:///{tmp_path / 'mesh' / 'meta.db'}"


def test_mesh_yaml_is_read_and_options_win_over_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "mesh"
    home.mkdir()
    (home / "mesh.yaml").write_text("log: kafka://broker:9092\n", encoding="utf-8")
    assert server_settings(home, None).log_url == "kafka://broker:9092"
    assert server_settings(home, None, log="kafka://other:9092").log_url == "kafka://other:9092"
    monkeypatch.setenv("STREAMMESH_LOG", "kafka://from-env:9092")
    assert server_settings(home, None).log_url == "kafka://from-env:9092"


def test_the_home_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMMESH_HOME", str(tmp_path / "elsewhere"))
    assert server_settings(None, None).mesh == tmp_path / "elsewhere"
