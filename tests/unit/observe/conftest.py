from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.runtime import MeshRuntime
from tests.unit.observe.meshes import Clock, open_observed_mesh


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[MeshRuntime]:
    with open_observed_mesh(tmp_path / "mesh") as opened:
        yield opened


@pytest.fixture
def clock() -> Clock:
    return Clock()
