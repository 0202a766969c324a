"""Two ``streammesh up`` replicas on Kafka + PostgreSQL, as an operator runs them behind a load
balancer: two mesh directories with the same ``mesh.yaml`` (one broker of their own, one
PostgreSQL database, one master key given as a secret), each replica a real process.

A change made through one replica is seen through the other on the next request; a classified
field produced through one is read in clear through the other by a granted consumer; with
both replicas running their notifiers, each notification is delivered exactly once; and a
replica killed (``kill -9``) while it writes a produce batch loses and duplicates no event
of a client that sends each unanswered batch again, with its ``Idempotency-Key``, to the
other replica.

Each test has a broker of its own: the mesh events topic (``_mesh.events``) and the notifiers'
consumer group have fixed names, which other meshes on the session's shared broker use too.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from streammesh.log import ConsumerOptions, EventLog, TopicPartition, open_log
from streammesh.server.idempotency import CLAIM_LEASE_S
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


BATCHES = 14
BATCH_EVENTS = 2_000
FIRST_KILLABLE = 4
"""The victim's batches before this one are let through: the kill lands mid-burst."""


@dataclass
class _Burst:
    """What the producing client and the test's killer share."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: tuple[int, int] | None = None
    """The victim's batch being sent, and how many events were durable before it."""
    unanswered: list[int] = field(default_factory=list)
    retried_for_s: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _produce_burst(
    replicas: tuple[Replica, Replica], victim: Replica, product: str, burst: _Burst
) -> None:
    """Send the batches round-robin to both replicas, each with its own key; a batch without
    an answer (its replica died) goes again, same key, to the other until it is answered."""
    path = f"{API}/products/{product}/events"
    durable = 0
    survivor = replicas[0] if victim is replicas[1] else replicas[1]
    victim_gone = False
    for number in range(BATCHES):
        body = {"events": _batch(number)}
        headers = {**survivor.admin, "Idempotency-Key": str(uuid.uuid4())}
        target = replicas[number % 2]
        if target is victim and not victim_gone:
            with burst.lock:
                burst.in_flight = (number, durable)
            try:
                answer = httpx.post(
                    f"{victim.server.url}{path}", json=body, headers=headers, timeout=30
                )
            except httpx.TransportError:
                victim_gone = True
                burst.unanswered.append(number)
            else:
                if answer.status_code != 200:
                    burst.failures.append(f"batch {number}: {answer.status_code} {answer.text}")
                    return
                durable += BATCH_EVENTS
                continue
            finally:
                with burst.lock:
                    burst.in_flight = None
        started = time.monotonic()
        while True:  # to the survivor, until it answers (409 while the dead claim lasts)
            answer = httpx.post(
                f"{survivor.server.url}{path}", json=body, headers=headers, timeout=30
            )
            if answer.status_code == 200:
                break
            if answer.status_code != 409 or time.monotonic() - started > 2 * CLAIM_LEASE_S:
                burst.failures.append(f"batch {number}: {answer.status_code} {answer.text}")
                return
            time.sleep(float(answer.headers["Retry-After"]))
        if number in burst.unanswered:
            burst.retried_for_s.append(time.monotonic() - started)
        durable += BATCH_EVENTS


def _batch(number: int) -> list[dict[str, Any]]:
    return [
        {"trade_id": f"b{number}-{index}", "symbol": "ACME", "price": 1.0}
        for index in range(BATCH_EVENTS)
    ]


def _kill_while_it_writes(victim: Replica, log: EventLog, topic: str, burst: _Burst) -> int:
    """Kill the victim once the events of a batch it is writing are on the log, before it
    answers; how many of that batch were there. (Its last batch in flight is killed anyway.)"""
    with log.consumer(ConsumerOptions(auto_commit=False)) as consumer:
        partitions = log.describe_topic(topic).partitions
        targets = [TopicPartition(topic, partition) for partition in range(partitions)]
        consumer.assign(targets)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with burst.lock:
                current = burst.in_flight
            if current is None or current[0] < FIRST_KILLABLE:
                time.sleep(0.001)
                continue
            number, before = current
            on_log = sum(consumer.end_offsets(targets).values()) - before
            last = number >= BATCHES - 2
            with burst.lock:
                if burst.in_flight == current and (on_log > 0 or last):
                    victim.server.kill()
                    return on_log
        raise AssertionError("the victim never had a batch in flight to kill")


def test_a_replica_killed_while_it_writes_loses_and_duplicates_no_event(
    replicas: tuple[Replica, Replica], broker: TansuBroker
) -> None:
    first, victim = replicas
    product = f"execution.trades{secrets.token_hex(3)}"
    first.call("POST", f"{API}/apply", 200, json=sources((descriptor(product), avro())))
    topic = f"{product}.v1"
    burst = _Burst()
    client = threading.Thread(target=_produce_burst, args=(replicas, victim, product, burst))
    log = open_log(f"kafka://{broker.bootstrap}")
    try:
        client.start()
        try:
            on_log = _kill_while_it_writes(victim, log, topic, burst)
        finally:
            client.join(timeout=4 * CLAIM_LEASE_S)
        assert not client.is_alive(), "the client did not finish"
        assert burst.failures == []
        # The kill landed mid-request: that batch had no answer and was sent again.
        assert len(burst.unanswered) == 1, burst.unanswered
        # It was answered once the dead replica's claim lease was over, not much later.
        assert burst.retried_for_s[0] < CLAIM_LEASE_S + 15, burst.retried_for_s

        partitions = log.describe_topic(topic).partitions
        targets = [TopicPartition(topic, partition) for partition in range(partitions)]
        seen: collections.Counter[str] = collections.Counter()
        with log.consumer(ConsumerOptions(auto_commit=False)) as consumer:
            consumer.assign(targets)
            consumer.seek_to_beginning(targets)
            ends = consumer.end_offsets(targets)
            deadline = time.monotonic() + 60
            while any(consumer.position(tp) < ends[tp] for tp in targets):
                assert time.monotonic() < deadline, "the topic was not read to its end in 60 s"
                for record in consumer.poll(0.5):
                    assert record.key is not None
                    seen[record.key.decode()] += 1
    finally:
        log.close()
    expected = {f"b{number}-{index}" for number in range(BATCHES) for index in range(BATCH_EVENTS)}
    missing = sorted(expected - set(seen))
    duplicated = sorted(key for key, count in seen.items() if count > 1)
    killed = burst.unanswered[0]
    assert not missing and not duplicated, (
        f"batch {killed} killed with {on_log} of its events on the log: "
        f"{len(missing)} missing {missing[:5]}, {len(duplicated)} duplicated {duplicated[:5]}"
    )
