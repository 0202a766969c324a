"""A replica on a Kafka broker that stops answering (SIGSTOP): ``/healthz`` stays 200 (the
process lives), ``/readyz`` answers 503 naming the log within a few seconds, a REST produce
answers 503 within a few seconds instead of hanging, ``/metrics`` answers at once; all is
well again once the broker goes on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources
from tests.support.tansu import TansuBroker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

PRODUCT = "execution.stocktrades.v1"
# Generous bounds for a loaded machine; the broken behaviour took 30 to 40 s and more.
ANSWER_WITHIN_S = 10.0


@pytest.fixture
def broker() -> Iterator[TansuBroker]:
    # A broker of its own: pausing the session's would stall every other Kafka test.
    with TansuBroker() as running:
        yield running


@pytest.fixture
def served(tmp_path: Path, broker: TansuBroker) -> Iterator[Served]:
    yield from serve(tmp_path / "mesh", log_url=f"kafka://{broker.bootstrap}")


def _produce(served: Served, count: int) -> tuple[int, float]:
    events = [{"trade_id": f"t{i}", "symbol": "ACME", "price": 1.0} for i in range(count)]
    started = time.monotonic()
    answer = served.client.post(
        f"/api/v1/products/{PRODUCT}/events", json={"events": events}, headers=served.headers()
    )
    return answer.status_code, time.monotonic() - started


def _ready_again(served: Served, within_s: float = 60.0) -> dict[str, object]:
    deadline = time.monotonic() + within_s
    while True:
        answer = served.client.get("/readyz")
        if answer.status_code == 200 or time.monotonic() > deadline:
            body: dict[str, object] = answer.json()
            return body
        time.sleep(0.2)


def test_a_paused_broker_is_named_by_readyz_and_produce_answers_503(
    served: Served, broker: TansuBroker
) -> None:
    applied = served.client.post(
        "/api/v1/apply", json=sources((descriptor(), avro())), headers=served.headers()
    )
    assert applied.status_code == 200, applied.text
    assert _produce(served, 2)[0] == 200
    assert _ready_again(served)["status"] == "ready"

    broker.pause()
    try:
        status, took = _produce(served, 1)
        assert status == 503 and took < ANSWER_WITHIN_S, (status, took)

        started = time.monotonic()
        ready = served.client.get("/readyz")
        assert time.monotonic() - started < ANSWER_WITHIN_S
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "unavailable" and "log" in body["failed"]
        assert body["checks"]["store"] == "ok"

        assert served.client.get("/healthz").json() == {"status": "ok"}

        started = time.monotonic()
        metrics = served.client.get("/metrics", headers=served.headers())
        assert metrics.status_code == 200
        assert time.monotonic() - started < ANSWER_WITHIN_S
        # The figures could not be collected in time: said so, not hidden behind old ones.
        assert "streammesh_up 0.0" in metrics.text
    finally:
        broker.resume()

    assert _ready_again(served)["status"] == "ready"
    assert _produce(served, 1)[0] == 200
