"""Two ``streammesh up`` replicas on Kafka + PostgreSQL, as an operator runs them behind a load
balancer: two mesh directories with the same ``mesh.yaml`` (one broker of their own, one
PostgreSQL database, one master key given as a secret), each replica a real process.

A change made through one replica is seen through the other on the next request; a classified
field produced through one is read in clear through the other by a granted consumer; and with
both replicas running their notifiers, each notification is delivered exactly once.

Each test has a broker of its own: the mesh events topic (``_mesh.events``) and the notifiers'
consumer group have fixed names, which other meshes on the session's shared broker use too.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.api_v1_support import MESH_YAML, avro, descriptor, sources
from tests.support.streammesh_server import StreammeshServer
from tests.support.tansu import TansuBroker
from tests.unit.notify.servers import WebhookReceiver, run_receiver, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.kafka]

API = "/api/v1"
KEY_ENV = "STREAMMESH_TEST_REPLICAS_MASTER_KEY"
NOTE = {"name": "note", "type": "string", "doc": "The trader's health remark."}
HEALTH_NOTE = "trader on sick leave since 2026-11-02"


class Replica:
    """One running replica and the admin token both share (the store is one)."""

    def __init__(self, server: StreammeshServer, token: str) -> None:
        self.server = server
        self.admin = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, status: int, **kw: Any) -> Any:
        headers = kw.pop("headers", self.admin)
        answer = httpx.request(
            method, f"{self.server.url}{path}", headers=headers, timeout=30, **kw
        )
        assert answer.status_code == status, f"{method} {path}: {answer.text}"
        return answer.json()


@pytest.fixture
def broker() -> Iterator[TansuBroker]:
    """A broker per test: the replicas of an earlier test leave the notifiers' group behind."""
    with TansuBroker() as running:
        yield running


@pytest.fixture
def replicas(
    tmp_path: Path, broker: TansuBroker, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Replica, Replica]]:
    # The replicas inherit the key from the environment, as from a secret store.
    monkeypatch.setenv(KEY_ENV, base64.b64encode(secrets.token_bytes(32)).decode())
    shared_yaml = (
        MESH_YAML
        + f"log: kafka://{broker.bootstrap}\n"
        + f"store: {postgres_url}\n"
        + f"privacy:\n  kms: {{type: local, key_env: {KEY_ENV}}}\n"
    )
    with contextlib.ExitStack() as stack:
        servers = []
        for name in ("replica-a", "replica-b"):
            home = tmp_path / name
            home.mkdir()
            (home / "mesh.yaml").write_text(shared_yaml, encoding="utf-8")
            servers.append(stack.enter_context(StreammeshServer(home, startup_timeout=60)))
        # The first start over the empty database made the one admin token; the second
        # found it there.
        tokens = [server.admin_token for server in servers]
        assert tokens[0] is not None and tokens[1] is None, [s.output for s in servers]
        yield Replica(servers[0], tokens[0]), Replica(servers[1], tokens[0])


def test_changes_and_classified_data_made_through_one_replica_are_seen_through_the_other(
    replicas: tuple[Replica, Replica],
) -> None:
    first, second = replicas
    product = f"execution.trades{secrets.token_hex(3)}"
    extra = "classifications: {note: [health]}\n"
    body = sources((descriptor(product, extra=extra), avro(NOTE)))
    first.call("POST", f"{API}/apply", 200, json=body)
    assert second.call("GET", f"{API}/products/{product}", 200)["product"]["name"] == product

    second.call("POST", f"{API}/teams", 200, json={"name": "risk-team"})
    account = {"name": "risk-app", "kind": "service-account", "team": "risk-team"}
    first.call("POST", f"{API}/principals", 201, json=account)
    token = {"principal": "risk-app", "role": "consumer"}
    created = second.call("POST", f"{API}/tokens", 201, json=token)
    consumer = {"Authorization": f"Bearer {created['secret']}"}

    events = f"{API}/products/{product}/events"
    event = {"trade_id": "t-1", "symbol": "ACME", "price": 1.0, "note": HEALTH_NOTE}
    first.call("POST", events, 200, json={"events": [event]})  # the entity's data key: here
    access = {"product": product, "application": "risk-app", "purpose": "x", "classified": True}
    request = second.call("POST", f"{API}/access/requests", 201, json=access)
    first.call("POST", f"{API}/access/requests/{request['id']}/approve", 200, json={})

    read: list[Any] = []
    for _ in range(6):  # a first Kafka group join takes seconds
        params = {"group": "risk", "max": 10, "timeout": 10}
        read += second.call("GET", events, 200, params=params, headers=consumer)["events"]
        if read:
            break
    assert [item["value"]["note"] for item in read] == [HEALTH_NOTE]


def test_each_notification_is_delivered_once_while_both_replicas_run_notifiers(
    replicas: tuple[Replica, Replica],
) -> None:
    first, second = replicas
    product = f"execution.trades{secrets.token_hex(3)}"
    first.call("POST", f"{API}/apply", 200, json=sources((descriptor(product), avro())))
    with contextlib.contextmanager(run_receiver)(WebhookReceiver()) as receiver:
        subscription = {
            "scope": "product",
            "target": product,
            "events": ["incident.declared"],
            "webhook_url": receiver.url,
        }
        second.call("POST", f"{API}/subscriptions", 201, json=subscription)
        count = 12
        for number in range(count):  # declared through both replicas in turn
            replica = (first, second)[number % 2]
            note = {"message": f"incident {number}"}
            replica.call("POST", f"{API}/products/{product}/incidents", 201, json=note)
        try:
            wait_for(lambda: len(receiver.received) >= count, timeout=90)
        except AssertionError:
            outputs = [replica.server.output for replica in replicas]
            pytest.fail(f"{len(receiver.received)} of {count} delivered: {outputs}")
        time.sleep(5)  # both notifiers keep reading: a second delivery would arrive by now
        notes = sorted(body["note"] for body in receiver.bodies())
    assert notes == sorted(f"incident {number}" for number in range(count))
