"""Request limits: which family a route belongs to, the JSON depth scan, the limits read from
``mesh.yaml``, and the middleware refusing before the application reads a byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from streammesh.config import MeshConfig
from streammesh.errors import ConfigError
from streammesh.server.errors import install_error_handlers
from streammesh.server.request_limits import family_of, json_too_deep, limit_requests
from streammesh.server.settings import RequestLimits, ServerSettings


@pytest.mark.parametrize(
    ("method", "path", "family"),
    [
        ("POST", "/registry/subjects/x-value/versions", "registry"),
        ("POST", "/api/v1/products/execution.trades.v1/events", "events"),
        ("GET", "/api/v1/products/execution.trades.v1/events", "api"),
        ("POST", "/api/v1/plan", "api"),
        ("POST", "/ui/publish", "ui"),
    ],
)
def test_each_route_has_its_family(method: str, path: str, family: str) -> None:
    assert family_of(method, path) == family


def test_json_depth_counts_brackets_outside_strings_only() -> None:
    assert json_too_deep(b'{"a": [[1]]}', 3) is None
    assert json_too_deep(b'{"a": [[[1]]]}', 3) == 8
    assert json_too_deep(b'{"a": "[[[[[[\\"[[[["}', 2) is None
    assert json_too_deep(b'[{"a": "]]]]"}, ' + b"[" * 5000, 64) == 79  # never closed
    # Empty strings and strings of brackets side by side, an escaped quote before a bracket.
    assert json_too_deep(b'{"": "[[[", "b": ""}', 1) is None
    assert json_too_deep(b'[["", "]"], [[[""]]], "\\"["]', 4) is None
    assert json_too_deep(b'[["", "]"], [[[""]]], "\\"["]', 3) == 14
    batch = b'{"events": [' + b'{"id": "e", "tags": ["x"]}, ' * 10_000 + b"{}]}"
    assert json_too_deep(batch, 4) is None
    assert json_too_deep(batch, 3) == 32


def test_limits_come_from_mesh_yaml(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text(
        "server:\n  request_limits: {registry: 2KiB, events: 32MiB, json_depth: 16}\n",
        encoding="utf-8",
    )
    limits = ServerSettings(mesh=tmp_path).request_limits()
    assert (limits.registry, limits.events, limits.api, limits.json_depth) == (
        2048,
        32 * 1024 * 1024,
        1024 * 1024,
        16,
    )
    MeshConfig.load(tmp_path)  # the section is a known one for the mesh's own settings

    (tmp_path / "mesh.yaml").write_text(
        "server:\n  request_limits: {registry: lots}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"'server.request_limits' in .* is invalid"):
        ServerSettings(mesh=tmp_path).request_limits()


def _client(limits: RequestLimits) -> tuple[TestClient, list[int]]:
    app = FastAPI()
    install_error_handlers(app)
    seen: list[int] = []

    @app.post("/api/v1/echo")
    @app.post("/registry/echo")
    async def echo(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.append(len(body))
        return {"size": len(body)}

    return TestClient(limit_requests(app, limits)), seen


def test_a_body_over_the_limit_never_reaches_the_route() -> None:
    client, seen = _client(RequestLimits(api=100, registry=50))
    assert client.post("/api/v1/echo", content=b"x" * 100).json() == {"size": 100}

    declared = client.post("/api/v1/echo", content=b"x" * 101)
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "request-too-large"
    assert "101 bytes, over the 100 bytes allowed for api" in declared.json()["error"]["message"]

    chunked = client.post("/registry/echo", content=iter([b"x" * 40, b"x" * 40]))
    assert chunked.status_code == 413
    assert chunked.json()["error_code"] == 41301
    assert seen == [100]


def test_a_deep_json_body_is_422_but_deep_text_is_not_json() -> None:
    client, seen = _client(RequestLimits(json_depth=4))
    deep = client.post(
        "/api/v1/echo", content=b"[[[[[1]]]]]", headers={"Content-Type": "application/json"}
    )
    assert deep.status_code == 422
    assert deep.json()["error"]["code"] == "request-too-deep"
    text = client.post(
        "/api/v1/echo", content=b"[[[[[1]]]]]", headers={"Content-Type": "text/plain"}
    )
    assert text.status_code == 200
    assert seen == [11]
