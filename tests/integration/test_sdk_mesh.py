"""``Mesh.open``: the SDK in-process — where the mesh is, and how consumers stay registered."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streammesh.dataplane import consumer
from streammesh.errors import ConfigError
from streammesh.sdk import Mesh
from tests.unit.cli.invoking import invoke_cli


def test_mesh_is_opened_not_constructed() -> None:
    with pytest.raises(TypeError, match=r"Mesh.open"):
        Mesh()


def test_open_uses_streammesh_home_and_mesh_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMMESH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STREAMMESH_LOG", raising=False)
    monkeypatch.delenv("STREAMMESH_STORE", raising=False)
    with Mesh.open() as mesh:
        assert mesh.local.config.home == tmp_path / "home"
        assert (tmp_path / "home" / "meta.db").is_file()
    (tmp_path / "home" / "mesh.yaml").write_text("lifecycle: {min_deprecated_before_retire: 1}\n")
    with pytest.raises(ConfigError, match=r"mesh\.yaml: lifecycle\.min_deprecated_before_retire"):
        Mesh.open()
    (tmp_path / "home" / "mesh.yaml").write_text("logs: kafka://x:1\n")
    with pytest.raises(ConfigError, match="logs"):
        Mesh.open()


def test_a_polling_consumer_stays_active(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke_cli("init", "sales", "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    monkeypatch.setattr(consumer, "ALIVE_EVERY_S", 0.0)
    with Mesh.open(tmp_path / "home", actor="tester") as mesh:
        mesh.apply([tmp_path / "repo" / "sales"])
        with mesh.consumer("sales.orders", "reporting") as reader:
            ((app, active),) = mesh.applications("sales.orders")
            first_seen = app.last_seen
            time.sleep(0.01)
            reader.poll(0.01)
        ((app, active),) = mesh.applications("sales.orders")
    assert active and app.name == "reporting" and app.principal == "tester"
    assert app.last_seen > first_seen
