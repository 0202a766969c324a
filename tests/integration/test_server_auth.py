"""Every route of a real ``streammesh up`` needs a token (but health and the OpenAPI
document), writes need a writer role, and errors have Confluent's shapes and codes."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from streammesh.cli.tokens import ROLE_NAMES
from streammesh.config import MeshConfig
from streammesh.identity import Principal, Role
from streammesh.runtime import MeshRuntime
from streammesh.server import build_app
from streammesh.server.context import ServerContext
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import completed_cli

# /readyz answers only "ready" or the names of what failed (store, log, keys, a worker): a load
# balancer probes it without credentials (docs/decisions.md).
OPEN_PATHS = {"/healthz", "/readyz", "/openapi.json"}
# /metrics holds counts and names, never event data: by default (server.metrics: loopback) a
# client on the server's machine, like these tests, reads it without a token; others need one
# (tests/integration/test_server_waits.py, test_observe_api.py).
LOOPBACK_OPEN_PATHS = {"/metrics"}
SAMPLE_PATH_VALUES = {"schema_id": "1", "version": "1"}

TRADE = '{"type": "record", "name": "Trade", "fields": [{"name": "symbol", "type": "string"}]}'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    with StreammeshServer(tmp_path_factory.mktemp("mesh")) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server: StreammeshServer) -> Iterator[httpx.Client]:
    assert server.admin_token is not None
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        yield client


@pytest.fixture(scope="module")
def anonymous(server: StreammeshServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        yield client


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``streammesh ARGS`` in this process, on the server's mesh directory."""
    done = completed_cli(*args)
    done.check_returncode()
    return done


def _token_create(server: StreammeshServer, role: str) -> str:
    done = _cli(
        "token", "create", "--role", role, "--name", f"{role}-bot", "--expires-in", "1d",
        "--mesh", str(server.mesh),
    )  # fmt: skip
    secret = done.stdout.strip()
    assert re.fullmatch(r"sm_\S+", secret), done.stdout
    assert "shown only this once" in done.stderr
    return secret


def test_token_roles_offered_by_the_cli_are_the_identity_roles() -> None:
    assert tuple(role.value for role in Role) == ROLE_NAMES
    refused = subprocess.run(
        [sys.executable, "-m", "streammesh.cli", "token", "create", "--role", "wizard"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "'wizard' is not a role" in refused.stderr and "domain-owner" in refused.stderr


def _documented_operations(anonymous: httpx.Client) -> list[tuple[str, str]]:
    document = anonymous.get("/openapi.json")
    assert document.status_code == 200
    operations = []
    for path, methods in document.json()["paths"].items():
        for method in methods:
            operations.append((method.upper(), path))
    return operations


def _concrete(path: str) -> str:
    return re.sub(
        r"\{(\w+)\}", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "some.subject-value"), path
    )


def test_every_documented_route_but_health_needs_a_token(anonymous: httpx.Client) -> None:
    operations = _documented_operations(anonymous)
    documented_paths = {path for _, path in operations}
    # The enumeration covers the whole registry API, not an empty or partial document.
    assert {
        "/registry/subjects",
        "/registry/subjects/{subject}/versions",
        "/registry/subjects/{subject}/versions/{version}",
        "/registry/schemas/ids/{schema_id}",
        "/registry/compatibility/subjects/{subject}/versions",
        "/registry/config/{subject}",
        "/registry/mode",
    } <= documented_paths
    assert len(operations) >= 30

    for method, path in operations:
        response = anonymous.request(method, _concrete(path), json={"schema": TRADE})
        if path in OPEN_PATHS | LOOPBACK_OPEN_PATHS:
            assert response.status_code == 200, (method, path)
            continue
        assert response.status_code == 401, (method, path, response.text)
        assert "Bearer" in response.headers["WWW-Authenticate"]
        body = response.json()
        if path.startswith("/registry"):
            assert body["error_code"] == 40101, (method, path)
            assert "token" in body["message"]
        elif path.startswith("/connect"):  # Kafka Connect's error body
            assert body["error_code"] == 401, (method, path)
            assert "token" in body["message"]
        else:
            assert body["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer sm_not-a-real-token",
        "Basic bm90LWJhc2U2NA=",  # malformed base64
        "Basic " + "YWRtaW4=",  # "admin" without a password
        "Digest abc",
    ],
)
def test_bad_credentials_are_refused(anonymous: httpx.Client, authorization: str) -> None:
    response = anonymous.get("/registry/subjects", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["error_code"] == 40101


def test_health_and_openapi_are_open(anonymous: httpx.Client) -> None:
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    ready = anonymous.get("/readyz").json()
    assert ready["status"] == "ready" and ready["failed"] == []
    assert {"store", "log", "worker:notifier", "worker:event-relay"} <= set(ready["checks"])
    document = anonymous.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert {scheme["scheme"] for scheme in schemes.values()} == {"bearer", "basic"}


def test_readers_read_and_only_writer_roles_write(
    server: StreammeshServer, admin: httpx.Client
) -> None:
    consumer = _token_create(server, "consumer")
    owner = _token_create(server, "domain-owner")
    subject = "/registry/subjects/roles.demo-value/versions"
    with httpx.Client(base_url=server.url, auth=("ci", consumer)) as as_consumer:
        refused = as_consumer.post(subject, json={"schema": TRADE})
        assert refused.status_code == 403
        assert refused.json()["error_code"] == 40301
        assert "'consumer'" in refused.json()["message"]
        assert "'domain-owner'" in refused.json()["message"]
        assert as_consumer.get("/registry/subjects").status_code == 200
        config = as_consumer.put("/registry/config", json={"compatibility": "NONE"})
        assert config.status_code == 403
    with httpx.Client(base_url=server.url, auth=("ci", owner)) as as_owner:
        created = as_owner.post(subject, json={"schema": TRADE})
        assert created.status_code == 200, created.text
        assert created.json() == {"id": created.json()["id"]}
    # The consumer's refused write changed nothing; the owner's is version 1.
    assert admin.get(subject).json() == [1]


def test_token_list_shows_tokens_without_secrets(server: StreammeshServer) -> None:
    _token_create(server, "member")
    listed = _cli("token", "list", "--json", "--mesh", str(server.mesh))
    assert server.admin_token is not None and server.admin_token not in listed.stdout
    tokens = json.loads(listed.stdout)
    assert tokens[0]["principal"] == "admin" and tokens[0]["role"] == "platform-admin"
    assert any(t["principal"] == "member-bot" and t["expires_at"] for t in tokens)


def _error(response: httpx.Response) -> tuple[int, int, str]:
    assert response.headers["content-type"].startswith("application/vnd.schemaregistry.v1+json")
    body = response.json()
    assert set(body) == {"error_code", "message"}
    return response.status_code, body["error_code"], body["message"]


def test_confluent_error_shapes(admin: httpx.Client) -> None:
    admin.post("/registry/subjects/errors.demo-value/versions", json={"schema": TRADE})

    status, code, message = _error(admin.get("/registry/subjects/no.such-value/versions"))
    assert (status, code) == (404, 40401) and "'no.such-value'" in message

    status, code, message = _error(admin.get("/registry/subjects/errors.demo-value/versions/7"))
    assert (status, code) == (404, 40402) and "7" in message

    status, code, _ = _error(admin.get("/registry/schemas/ids/987654"))
    assert (status, code) == (404, 40403)

    for bad in ("abc", "0", "-2"):
        status, code, message = _error(
            admin.get(f"/registry/subjects/errors.demo-value/versions/{bad}")
        )
        assert (status, code) == (422, 42202), bad
        assert repr(bad) in message

    broken = '{"type": "record", "name": "Trade", "fields": [{"name": "price"}]}'
    status, code, message = _error(
        admin.post("/registry/subjects/errors.demo-value/versions", json={"schema": broken})
    )
    assert (status, code) == (422, 42201)
    assert "/fields/0" in message and "price" in message  # names where the problem is

    status, code, message = _error(
        admin.post(
            "/registry/subjects/errors.demo-value/versions",
            json={"schema": TRADE, "schemaType": "XML"},
        )
    )
    assert (status, code) == (422, 42201) and "XML" in message

    status, code, message = _error(
        admin.post("/registry/subjects/errors.demo-value/versions", json={"schemaType": "AVRO"})
    )
    assert (status, code) == (422, 422) and "schema" in message

    status, code, _ = _error(admin.put("/registry/mode", json={"mode": "SOMETIMES"}))
    assert (status, code) == (422, 42204)

    status, code, _ = _error(admin.get("/registry/no/such/route"))
    assert (status, code) == (404, 404)
    assert admin.get("/registry/subjects/errors.demo-value/versions").json() == [1]


def test_compatibility_messages_are_verbose_on_request(admin: httpx.Client) -> None:
    admin.post("/registry/subjects/compat.demo-value/versions", json={"schema": TRADE})
    breaking = TRADE.replace('"string"', '"long"')
    url = "/registry/compatibility/subjects/compat.demo-value/versions/latest"
    quiet = admin.post(url, json={"schema": breaking})
    assert quiet.json() == {"is_compatible": False, "messages": []}
    verbose = admin.post(url, params={"verbose": "true"}, json={"schema": breaking})
    assert verbose.json()["is_compatible"] is False
    assert any("symbol" in line for line in verbose.json()["messages"])


class _FailingRegistry:
    def schema_types(self) -> Any:
        raise KeyError("secret internal detail")


class _Everyone:
    def verify(self, secret: str) -> Principal | None:
        return Principal(name="tester", role=Role.PLATFORM_ADMIN, token_id="t-1")


def test_unexpected_errors_are_500_without_internals(tmp_path: Path) -> None:
    with MeshRuntime.open(MeshConfig.load(tmp_path)) as runtime:
        broken = dataclasses.replace(runtime, registry=_FailingRegistry())  # type: ignore[arg-type]
        app = build_app(ServerContext(broken, tokens=_Everyone()))
        _assert_internal_error_hidden(app)


def _assert_internal_error_hidden(app: Any) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/registry/schemas/types", headers={"Authorization": "Bearer x"})
    assert response.status_code == 500
    assert response.json()["error_code"] == 50001
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
