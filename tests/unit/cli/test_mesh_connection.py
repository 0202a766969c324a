"""How commands find their mesh, and whether a name given to produce/consume is a product."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from streammesh.cli.mesh_connection import MeshTarget, cli_actor, open_mesh, open_product
from tests.unit.cli.product_workspace import NAME, V1, make_workspace, ok


def test_the_actor_is_the_os_user() -> None:
    assert cli_actor() == f"cli:{getpass.getuser()}"


def test_looking_for_a_product_creates_no_mesh(tmp_path: Path) -> None:
    target = MeshTarget(mesh=tmp_path / "mesh")
    assert not target.exists()
    with open_product(target, "execution.stocktrades") as found:
        assert found is None
    assert not (tmp_path / "mesh").exists()


def test_open_mesh_creates_it_where_the_options_say(tmp_path: Path) -> None:
    target = MeshTarget(mesh=tmp_path / "mesh")
    with open_mesh(target) as session:
        assert session.location == str(tmp_path / "mesh")
        assert session.mesh.products() == []
    assert target.exists()


def test_names_are_products_only_when_the_mesh_has_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = make_workspace(tmp_path, monkeypatch)
    ok("apply", str(workspace.root), "--yes")
    target = MeshTarget()
    for name in (NAME, V1):
        with open_product(target, name) as found:
            assert found is not None
            assert found[1].reference == V1
    for name in ("execution.orders", "execution.stocktrades.v2", "orders", "Execution.Stocktrades"):
        with open_product(target, name) as found:
            assert found is None, name
