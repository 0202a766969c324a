"""Two replicas sharing one PostgreSQL store and one event log, each with its own mesh
directory and the same ``mesh.yaml``: a classified field produced through one replica is read
in clear through the other by a granted consumer, because both are given the same master key
(``privacy.kms`` with ``key_env``) instead of each making its own ``privacy/master.key``."""

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
from streammesh.privacy.local_kms import MASTER_KEY_FILE
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import MESH_YAML, avro, descriptor, sources

API = "/api/v1"
PRODUCT = "execution.stocktrades"
EVENTS = f"{API}/products/{PRODUCT}/events"
NOTE = {"name": "note", "type": "string", "doc": "The trader's health remark."}
HEALTH_NOTE = "trader on sick leave since 2026-11-02"
KEY_ENV = "STREAMMESH_TEST_REPLICA_MASTER_KEY"


class Replica:
    """One ``streammesh up`` replica: an app over its own mesh directory."""

    def __init__(self, client: TestClient, home: Path, admin: str) -> None:
        self.client = client
        self.home = home
        self.admin = {"Authorization": f"Bearer {admin}"}

    def call(self, method: str, path: str, status: int, **kw: Any) -> Any:
        answer = self.client.request(method, path, headers=kw.pop("headers", self.admin), **kw)
        assert answer.status_code == status, answer.text
        return answer.json()


@pytest.fixture
def replicas(
    tmp_path: Path, migrated_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Replica, Replica]]:
    monkeypatch.setenv(KEY_ENV, base64.b64encode(secrets.token_bytes(32)).decode())
    shared_yaml = (
        MESH_YAML
        + f"log: embedded://{(tmp_path / 'shared-log').as_posix()}\n"
        + f"store: {migrated_postgres_url}\n"
        + f"privacy:\n  kms: {{type: local, key_env: {KEY_ENV}}}\n"
    )
    with ExitStack() as stack:
        found: list[Replica] = []
        for name in ("replica-a", "replica-b"):
            home = tmp_path / name
            home.mkdir()
            (home / "mesh.yaml").write_text(shared_yaml, encoding="utf-8")
            settings = ServerSettings(mesh=home)
            with open_store(settings.resolved_store_url) as store:
                admin = TokenStore(store).create(f"admin-{name}", Role.PLATFORM_ADMIN).secret
            client = stack.enter_context(TestClient(create_app(settings)))
            found.append(Replica(client, home, admin))
        yield found[0], found[1]


def _consumer_token(replica: Replica) -> dict[str, str]:
    with open_store(ServerSettings(mesh=replica.home).resolved_store_url) as store:
        secret = TokenStore(store).create("risk-app", Role.CONSUMER).secret
    return {"Authorization": f"Bearer {secret}"}


def test_a_classified_field_produced_through_one_replica_reads_in_clear_through_the_other(
    replicas: tuple[Replica, Replica],
) -> None:
    first, second = replicas
    first.call("POST", f"{API}/teams", 200, json={"name": "risk-team"})
    account = {"name": "risk-app", "kind": "service-account", "team": "risk-team"}
    first.call("POST", f"{API}/principals", 201, json=account)
    extra = "classifications: {note: [health]}\n"
    first.call("POST", f"{API}/apply", 200, json=sources((descriptor(extra=extra), avro(NOTE))))
    event = {"trade_id": "t-1", "symbol": "ACME", "price": 1.0, "note": HEALTH_NOTE}
    first.call("POST", EVENTS, 200, json={"events": [event]})  # the entity's data key: made here
    body = {"product": PRODUCT, "application": "risk-app", "purpose": "x", "classified": True}
    request = second.call("POST", f"{API}/access/requests", 201, json=body)
    second.call("POST", f"{API}/access/requests/{request['id']}/approve", 200, json={})

    params = {"group": "risk", "max": 10, "timeout": 5}
    answer = second.call("GET", EVENTS, 200, params=params, headers=_consumer_token(second))
    assert [item["value"]["note"] for item in answer["events"]] == [HEALTH_NOTE]
    # Producing for the same entity through the other replica reuses the key made by the first.
    second.call("POST", EVENTS, 200, json={"events": [event]})
    answer = first.call("GET", EVENTS, 200, params=params, headers=_consumer_token(first))
    assert [item["value"]["note"] for item in answer["events"]] == [HEALTH_NOTE]
    # The key is the shared secret: no replica made a key file of its own.
    assert not (first.home / MASTER_KEY_FILE).exists()
    assert not (second.home / MASTER_KEY_FILE).exists()
