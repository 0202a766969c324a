"""The REST data plane remembers its per-request reads (the product, the write permission,
the governance policy, the latest schema, the reader's grants) while the store's generation
stays the same; a change made by any other writer — another replica, the CLI — bumps it in
the writer's own transaction, so the server's very next request sees the change.

Two replicas (two apps, each its own mesh handle) of one mesh: on SQLite they share the mesh
directory; on PostgreSQL one store and one event log, each with its own directory.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streammesh.identity import Role, TokenStore
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store, store_generation
from tests.integration.api_v1_support import MESH_YAML, avro, descriptor, sources
from tests.unit.cli.invoking import invoke_cli

API = "/api/v1"
NAME = "execution.stocktrades"
EVENTS = f"{API}/products/{NAME}/events"
KEY_ENV = "STREAMMESH_TEST_GENERATION_MASTER_KEY"
TRADE = {"trade_id": "t-1", "symbol": "ACME", "price": 1.0}


class Replica:
    """One ``streammesh up`` replica: an app over its mesh directory."""

    def __init__(self, client: TestClient, home: Path, admin: str) -> None:
        self.client = client
        self.home = home
        self.admin = {"Authorization": f"Bearer {admin}"}

    def call(self, method: str, path: str, status: int, **kw: Any) -> Any:
        answer = self.client.request(method, path, headers=kw.pop("headers", self.admin), **kw)
        assert answer.status_code == status, answer.text
        return answer.json()

    def token(self, principal: str, role: Role) -> tuple[dict[str, str], str]:
        """Headers with a new token of ``principal``, and the token's id."""
        with open_store(ServerSettings(mesh=self.home).resolved_store_url) as store:
            issued = TokenStore(store).create(principal, role)
        return {"Authorization": f"Bearer {issued.secret}"}, issued.token_id


@pytest.fixture(params=["sqlite", "postgres"])
def replicas(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Replica, Replica]]:
    monkeypatch.setenv(KEY_ENV, base64.b64encode(secrets.token_bytes(32)).decode())
    text = MESH_YAML + f"privacy:\n  kms: {{type: local, key_env: {KEY_ENV}}}\n"
    if request.param == "postgres":
        text += f"log: embedded://{(tmp_path / 'shared-log').as_posix()}\n"
        text += f"store: {request.getfixturevalue('migrated_postgres_url')}\n"
        homes = [tmp_path / "replica-a", tmp_path / "replica-b"]
    else:
        homes = [tmp_path / "mesh", tmp_path / "mesh"]
    with ExitStack() as stack:
        found: list[Replica] = []
        for index, home in enumerate(homes):
            home.mkdir(exist_ok=True)
            (home / "mesh.yaml").write_text(text, encoding="utf-8")
            settings = ServerSettings(mesh=home)
            with open_store(settings.resolved_store_url) as store:
                admin = TokenStore(store).create(f"admin-{index}", Role.PLATFORM_ADMIN).secret
            client = stack.enter_context(TestClient(create_app(settings)))
            found.append(Replica(client, home, admin))
        first, second = found
        first.call("POST", f"{API}/apply", 200, json=sources((descriptor(NAME), avro())))
        yield first, second


def test_a_grant_revoked_through_the_cli_refuses_the_next_consume(
    replicas: tuple[Replica, Replica],
) -> None:
    first, second = replicas
    first.call("POST", f"{API}/teams", 200, json={"name": "risk-team"})
    account = {"name": "risk-app", "kind": "service-account", "team": "risk-team"}
    first.call("POST", f"{API}/principals", 201, json=account)
    first.call("POST", EVENTS, 200, json={"events": [TRADE, {**TRADE, "trade_id": "t-2"}]})
    body = {"product": NAME, "application": "risk-app", "purpose": "risk", "classified": False}
    grant = second.call("POST", f"{API}/access/requests", 201, json=body)
    assert grant["state"] == "approved"  # no classified fields: approved at once
    reader, _ = first.token("risk-app", Role.CONSUMER)
    params = {"group": "risk", "max": 1, "timeout": 5}
    assert len(first.call("GET", EVENTS, 200, params=params, headers=reader)["events"]) == 1

    revoked = invoke_cli("access", "revoke", grant["id"], "--mesh", str(second.home))
    assert revoked.exit_code == 0, revoked.stderr

    refused = first.call("GET", EVENTS, 403, params=params, headers=reader)
    assert refused["error"]["code"] == "access-denied"


def test_a_write_permission_revoked_through_the_cli_refuses_the_next_produce(
    replicas: tuple[Replica, Replica],
) -> None:
    first, second = replicas
    # ops-user writes as a member, through the platform-admin token it also holds.
    member, _ = first.token("ops-user", Role.MEMBER)
    _, admin_token = first.token("ops-user", Role.PLATFORM_ADMIN)
    first.call("POST", EVENTS, 200, json={"events": [TRADE]}, headers=member)

    revoked = invoke_cli("token", "revoke", admin_token, "--mesh", str(second.home))
    assert revoked.exit_code == 0, revoked.stderr

    refused = first.call("POST", EVENTS, 403, json={"events": [TRADE]}, headers=member)
    assert refused["error"]["code"] == "access-denied"


def test_a_schema_version_registered_elsewhere_is_written_with_by_the_next_produce(
    replicas: tuple[Replica, Replica],
) -> None:
    first, second = replicas
    before = first.call("POST", EVENTS, 200, json={"events": [TRADE]})["schema_id"]

    venue = {"name": "venue", "type": "string", "default": "XNYS", "doc": "Where."}
    newer = second.call(
        "POST",
        f"/registry/subjects/{NAME}.v1-value/versions",
        200,
        json={"schema": avro(venue)},
    )["id"]
    assert newer != before

    after = first.call("POST", EVENTS, 200, json={"events": [{**TRADE, "venue": "XLON"}]})
    assert after["schema_id"] == newer


def test_a_version_deprecated_elsewhere_is_no_longer_what_the_name_writes_to(
    replicas: tuple[Replica, Replica],
) -> None:
    first, second = replicas
    first.call("POST", f"{API}/apply", 200, json=sources((descriptor(NAME, version=2), avro())))
    assert first.call("POST", EVENTS, 200, json={"events": [TRADE]})["product"] == f"{NAME}.v2"

    body = {"reason": "moved back", "sunset": "2099-01-01"}
    second.call("POST", f"{API}/products/{NAME}.v2/deprecate", 200, json=body)

    # The name's current version is the highest published one again: v1.
    assert first.call("POST", EVENTS, 200, json={"events": [TRADE]})["product"] == f"{NAME}.v1"


def test_reads_of_unwatched_tables_leave_the_generation_alone(
    replicas: tuple[Replica, Replica],
) -> None:
    first, _ = replicas
    with open_store(ServerSettings(mesh=first.home).resolved_store_url) as store:
        before = store_generation(store)
        first.call("POST", EVENTS, 200, json={"events": [TRADE]})
        params = {"group": "audit", "max": 1, "timeout": 5}
        first.call("GET", EVENTS, 200, params=params)  # registers the group: an application
        assert store_generation(store) == before
        first.call("POST", f"{API}/teams", 200, json={"name": "risk-team"})
        assert store_generation(store) > before
