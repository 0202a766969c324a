"""A produce retried with its ``Idempotency-Key`` after the request that first claimed the key
died between writing its events and recording its answer (its replica was killed): once the
claim's lease is over, the retry writes only the events the dead request did not write, and
answers the partition of every event. The dead request is played here by a claim row and the
records it would have written (all, some or none of the batch), on the embedded log."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from streammesh.log import partition_for_key
from streammesh.runtime import MeshRuntime
from streammesh.server.idempotency import fingerprint, idempotency_keys
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

NAME = "execution.takeovers"
PRODUCT = f"{NAME}.v1"
EVENTS = f"/api/v1/products/{PRODUCT}/events"
PRINCIPAL = "platform-admin-user"
RECORD_HEADER = "streammesh-idempotency"
BATCH = [{"trade_id": f"t{i}", "symbol": "ACME", "price": float(i)} for i in range(4)]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    for running in serve(tmp_path / "mesh"):
        body = sources((descriptor(NAME), avro()))
        applied = running.client.post("/api/v1/apply", json=body, headers=running.headers())
        assert applied.status_code == 200, applied.text
        yield running


def _runtime(served: Served) -> MeshRuntime:
    runtime: MeshRuntime = served.client.app.state.streammesh.runtime  # type: ignore[attr-defined]
    return runtime


def _claim_token(key: str) -> str:
    return hashlib.sha256(f"{PRINCIPAL}\0{key}".encode()).hexdigest()[:32]


def _dead_request(served: Served, key: str, written: tuple[int, ...], age_s: float) -> None:
    """What a request that claimed ``key`` ``age_s`` ago left behind when its server died
    after writing the events at ``written``: a claim without an answer, and those records."""
    runtime = _runtime(served)
    claimed = datetime.now(UTC) - timedelta(seconds=age_s)
    with runtime.store.write("test") as connection:
        connection.execute(
            sa.insert(idempotency_keys).values(
                principal=PRINCIPAL,
                idempotency_key=key,
                fingerprint=fingerprint(PRODUCT, BATCH),
                result=None,
                claimed_at=claimed,
                created_at=claimed,
            )
        )
    encoder = runtime.data.encoder(PRODUCT, principal=PRINCIPAL)
    with runtime.log.producer() as producer:
        for index in written:
            event_key, value, headers = encoder.encode_fields(BATCH[index])
            claim = (RECORD_HEADER, f"{_claim_token(key)}:{index}".encode())
            producer.send(
                encoder.contract.topic, value, key=event_key, headers=(*headers.items(), claim)
            )
        producer.flush()


def _read_all(served: Served) -> list[tuple[str, str]]:
    """Every event of the product: its key and its claim header."""
    answer = served.client.get(
        EVENTS, params={"group": "audit", "max": 100, "timeout": 2}, headers=served.headers()
    )
    assert answer.status_code == 200, answer.text
    read = []
    for event in answer.json()["events"]:
        claims = [h["value"] for h in event["headers"] if h["name"] == RECORD_HEADER]
        read.append((event["key"], base64.b64decode(claims[0]).decode() if claims else ""))
    return sorted(read)


@pytest.mark.parametrize("written", [(0, 1, 2, 3), (0, 2), ()], ids=["all", "some", "none"])
def test_a_retry_after_the_lease_writes_only_what_the_dead_request_did_not(
    served: Served, written: tuple[int, ...]
) -> None:
    key = str(uuid.uuid4())
    # Its server died 40 s ago, within what a client retrying behind a load balancer waits.
    _dead_request(served, key, written, age_s=40)
    retried = served.client.post(
        EVENTS, json={"events": BATCH}, headers={**served.headers(), "Idempotency-Key": key}
    )
    assert retried.status_code == 200, retried.text
    encoder = _runtime(served).data.encoder(PRODUCT, principal=PRINCIPAL)
    partitions = _runtime(served).log.describe_topic(encoder.contract.topic).partitions
    keys = [encoder.encode_fields(event)[0] for event in BATCH]
    expected = [partition_for_key(event_key, partitions) for event_key in keys]
    assert len(set(expected)) > 1  # the answer's partitions say something
    assert retried.json()["accepted"] == 4
    assert retried.json()["partitions"] == expected

    token = _claim_token(key)
    assert _read_all(served) == [(f"t{i}", f"{token}:{i}") for i in range(4)]

    # The answer is kept: the next retry writes nothing.
    again = served.client.post(
        EVENTS, json={"events": BATCH}, headers={**served.headers(), "Idempotency-Key": key}
    )
    assert again.json() == retried.json()
    assert _read_all(served) == []


def test_a_claim_within_its_lease_is_still_in_progress(served: Served) -> None:
    key = str(uuid.uuid4())
    _dead_request(served, key, (0,), age_s=5)
    busy = served.client.post(
        EVENTS, json={"events": BATCH}, headers={**served.headers(), "Idempotency-Key": key}
    )
    assert busy.status_code == 409, busy.text
    assert busy.json()["error"]["code"] == "idempotency-key-in-progress"
    assert busy.headers["Retry-After"] == "1"
    assert [event for event, _ in _read_all(served)] == ["t0"]
