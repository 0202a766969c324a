"""A produce retried with its ``Idempotency-Key`` after the request that first claimed the key
died between writing its events and recording its answer (its replica was killed): once the
claim's lease is over, the retry writes only the events the dead request did not write, and
answers the partition of every event. The dead request is played here by a claim row and the
records it would have written (all, some or none of the batch), on both logs."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from streammesh.identity import Role
from streammesh.log import ConsumerOptions, TopicPartition, partition_for_key
from streammesh.runtime import MeshRuntime
from streammesh.sdk.remote import RemoteMesh
from streammesh.server.idempotency import CLAIM_LEASE_S, fingerprint, idempotency_keys
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

PRINCIPAL = "platform-admin-user"
RECORD_HEADER = "streammesh-idempotency"
BATCH = [{"trade_id": f"t{i}", "symbol": "ACME", "price": float(i)} for i in range(4)]


@dataclass(frozen=True)
class Product:
    """A served mesh and the product the tests write to (a name of its own: the session's
    broker is shared)."""

    served: Served
    reference: str

    @property
    def runtime(self) -> MeshRuntime:
        runtime: MeshRuntime = self.served.client.app.state.streammesh.runtime
        return runtime

    def produce(self, key: str) -> httpx.Response:
        headers = {**self.served.headers(), "Idempotency-Key": key}
        return self.served.client.post(self.events, json={"events": BATCH}, headers=headers)

    @property
    def events(self) -> str:
        return f"/api/v1/products/{self.reference}/events"


@pytest.fixture
def product(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Product]:
    log_url = store_url = None
    if getattr(request, "param", "embedded") == "kafka":  # as replicas run: PostgreSQL too
        log_url = f"kafka://{request.getfixturevalue('kafka_bootstrap')}"
        store_url = request.getfixturevalue("postgres_url")
    name = f"execution.takeovers{secrets.token_hex(3)}"
    for served in serve(tmp_path / "mesh", log_url=log_url, store_url=store_url):
        body = sources((descriptor(name), avro()))
        applied = served.client.post("/api/v1/apply", json=body, headers=served.headers())
        assert applied.status_code == 200, applied.text
        yield Product(served, f"{name}.v1")


def _claim_token(key: str) -> str:
    return hashlib.sha256(f"{PRINCIPAL}\0{key}".encode()).hexdigest()[:32]


def _dead_request(
    product: Product,
    key: str,
    written: tuple[int, ...],
    age_s: float,
    *,
    reference: str | None = None,
    events: Sequence[Mapping[str, Any]] = BATCH,
) -> None:
    """What a request that claimed ``key`` ``age_s`` ago left behind when its server died
    after writing the events at ``written``: a claim without an answer, and those records."""
    runtime = product.runtime
    claimed = datetime.now(UTC) - timedelta(seconds=age_s)
    with runtime.store.write("test") as connection:
        connection.execute(
            sa.insert(idempotency_keys).values(
                principal=PRINCIPAL,
                idempotency_key=key,
                fingerprint=fingerprint(reference or product.reference, events),
                result=None,
                claimed_at=claimed,
                created_at=claimed,
            )
        )
    encoder = runtime.data.encoder(product.reference, principal=PRINCIPAL)
    with runtime.log.producer() as producer:
        for index in written:
            event_key, value, headers = encoder.encode_fields(events[index])
            claim = (RECORD_HEADER, f"{_claim_token(key)}:{index}".encode())
            producer.send(
                encoder.contract.topic, value, key=event_key, headers=(*headers.items(), claim)
            )
        producer.flush()


def _on_the_log(product: Product) -> list[tuple[str, str]]:
    """Every record of the product, read straight from the log: the event's ``trade_id`` and
    the record's claim header."""
    runtime = product.runtime
    encoder = runtime.data.encoder(product.reference, principal=PRINCIPAL)
    names = {encoder.encode_fields(event)[0]: str(event["trade_id"]) for event in BATCH}
    topic = encoder.contract.topic
    partitions = runtime.log.describe_topic(topic).partitions
    targets = [TopicPartition(topic, partition) for partition in range(partitions)]
    found: list[tuple[str, str]] = []
    with runtime.log.consumer(ConsumerOptions(auto_commit=False)) as consumer:
        consumer.assign(targets)
        consumer.seek_to_beginning(targets)
        ends = consumer.end_offsets(targets)
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in targets):
            assert time.monotonic() < deadline, "the log was not read to its end in 30 s"
            for record in consumer.poll(0.5):
                claims = [value.decode() for name, value in record.headers if name == RECORD_HEADER]
                assert record.key is not None
                found.append((names[record.key], claims[0] if claims else ""))
    return sorted(found)


@pytest.mark.parametrize(
    ("product", "written"),
    [
        pytest.param("embedded", (0, 1, 2, 3), id="embedded-all"),
        pytest.param("embedded", (0, 2), id="embedded-some"),
        pytest.param("embedded", (), id="embedded-none"),
        pytest.param("kafka", (0, 2), id="kafka-postgres-some", marks=pytest.mark.kafka),
    ],
    indirect=["product"],
)
def test_a_retry_after_the_lease_writes_only_what_the_dead_request_did_not(
    product: Product, written: tuple[int, ...]
) -> None:
    key = str(uuid.uuid4())
    # Its server died 40 s ago, within what a client retrying behind a load balancer waits.
    _dead_request(product, key, written, age_s=40)
    retried = product.produce(key)
    assert retried.status_code == 200, retried.text
    encoder = product.runtime.data.encoder(product.reference, principal=PRINCIPAL)
    partitions = product.runtime.log.describe_topic(encoder.contract.topic).partitions
    keys = [encoder.encode_fields(event)[0] for event in BATCH]
    expected = [partition_for_key(event_key, partitions) for event_key in keys]
    assert len(set(expected)) > 1  # the answer's partitions say something
    assert retried.json()["accepted"] == 4
    assert retried.json()["partitions"] == expected

    token = _claim_token(key)
    assert _on_the_log(product) == [(f"t{i}", f"{token}:{i}") for i in range(4)]

    # The answer is kept: the next retry writes nothing.
    again = product.produce(key)
    assert again.json() == retried.json()
    assert len(_on_the_log(product)) == 4


def test_a_claim_within_its_lease_is_still_in_progress(product: Product) -> None:
    key = str(uuid.uuid4())
    _dead_request(product, key, (0,), age_s=5)
    busy = product.produce(key)
    assert busy.status_code == 409, busy.text
    assert busy.json()["error"]["code"] == "idempotency-key-in-progress"
    assert busy.headers["Retry-After"] == "1"
    assert [event for event, _ in _on_the_log(product)] == ["t0"]


class _ServerDiesOnce(httpx.BaseTransport):
    """A load balancer in front of two replicas: the first produce goes to a replica that
    claims its key, writes its events and dies before answering (the client sees the
    connection drop); every later request goes to the replica that lives."""

    def __init__(self, product: Product, left_s: float) -> None:
        self._product = product
        self._left_s = left_s
        self.produces = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if request.method == "POST" and request.url.path.endswith("/events"):
            self.produces += 1
            if self.produces == 1:
                events = json.loads(body)["events"]
                _dead_request(
                    self._product,
                    request.headers["Idempotency-Key"],
                    tuple(range(len(events))),
                    CLAIM_LEASE_S - self._left_s,
                    reference=request.url.path.split("/")[-2],
                    events=events,
                )
                raise httpx.RemoteProtocolError("the server went away", request=request)
        answer = self._product.served.client.request(
            request.method, str(request.url), headers=request.headers, content=body
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


@pytest.mark.slow
def test_mesh_connect_waits_out_the_claim_of_a_replica_that_died(product: Product) -> None:
    # Its claim has 5 s of lease left when the producer sends the batch again: more than the
    # pauses the producer waits for an unanswered batch (3.5 s in all).
    network = _ServerDiesOnce(product, left_s=5)
    token = product.served.tokens[Role.PLATFORM_ADMIN]
    with (
        httpx.Client(transport=network) as client,
        RemoteMesh("http://testserver", token, client=client) as mesh,
        mesh.producer(product.reference) as producer,
    ):
        producer.send_many(BATCH)
        producer.flush()
    assert network.produces > 2  # answered 409 while the dead replica's claim lasted
    assert [event for event, _ in _on_the_log(product)] == ["t0", "t1", "t2", "t3"]
