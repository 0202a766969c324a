"""Fixtures of the client conformance suite: every test runs against the SDK's in-process mesh
and against its remote mesh through a real ``streammesh up`` process, and must behave alike.

Both meshes live for a module (a server start is ~2 s): tests name what they create uniquely
(:func:`unique`) so they do not see each other's products, teams or subscriptions.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.sdk import Mesh, MeshClient
from tests.support.streammesh_server import StreammeshServer

_counter = itertools.count()
IN_PROCESS = "in-process"
REMOTE = "remote"


def unique(prefix: str) -> str:
    """A name no other test of the session uses (lower case, valid as a domain or team)."""
    return f"{prefix}{next(_counter)}{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def _server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    with StreammeshServer(tmp_path_factory.mktemp("served-mesh")) as running:
        yield running


@pytest.fixture(scope="module", params=[IN_PROCESS, REMOTE])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MeshClient]:
    """The mesh a test talks to: in this process (as the mesh's operator), or through a server
    with the platform-admin token ``streammesh up`` printed."""
    if request.param == IN_PROCESS:
        with Mesh.open(tmp_path_factory.mktemp("local-mesh")) as local:
            yield local
        return
    server: StreammeshServer = request.getfixturevalue("_server")
    assert server.admin_token is not None
    with Mesh.connect(server.url, token=server.admin_token) as remote:
        yield remote


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A directory for descriptors and schemas a test writes."""
    return tmp_path
