"""The lineage world on SQLite (and on PostgreSQL where a test asks for it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.sdk.local import InProcessMesh
from tests.unit.lineage.world import open_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[InProcessMesh]:
    mesh = open_world(tmp_path / "mesh")
    yield mesh
    mesh.close()
