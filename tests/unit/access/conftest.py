"""The access mesh on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.access.meshes import AccessMesh, open_access_mesh


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AccessMesh]:
    url = None if request.param == "sqlite" else request.getfixturevalue("migrated_postgres_url")
    opened = open_access_mesh(tmp_path / "mesh", url)
    yield opened
    opened.mesh.close()
