"""The REST data plane as a remote client uses it: a produce retried with its
``Idempotency-Key`` writes once and answers the same; a group's successive consumes read on
from where the previous one stopped without joining the group again (on both logs); batches
over the limits are refused naming the limit, with nothing written."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from streammesh.identity import Role
from streammesh.log import open_log
from streammesh.sdk.remote import RemoteMesh
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

NAME = "execution.restreads"
PRODUCT = f"{NAME}.v1"
EVENTS = f"/api/v1/products/{PRODUCT}/events"


def _applied(served: Served) -> Served:
    applied = served.client.post(
        "/api/v1/apply", json=sources((descriptor(NAME), avro())), headers=served.headers()
    )
    assert applied.status_code == 200, applied.text
    return served


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Served]:
    for served in serve(tmp_path / "mesh"):
        yield _applied(served)


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=pytest.mark.kafka)])
def either(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    log_url = None
    if request.param == "kafka":
        log_url = f"kafka://{request.getfixturevalue('kafka_bootstrap')}"
    for served in serve(tmp_path / "mesh", log_url=log_url):
        yield _applied(served)


def _trades(start: int, count: int) -> list[dict[str, object]]:
    return [{"trade_id": f"t{i}", "symbol": "ACME", "price": 1.0} for i in range(start, count)]


def _read_all(served: Served, group: str) -> list[str]:
    answer = served.client.get(
        EVENTS, params={"group": group, "max": 1000, "timeout": 5}, headers=served.headers()
    )
    assert answer.status_code == 200, answer.text
    return [event["key"] for event in answer.json()["events"]]


def test_a_produce_retried_with_its_idempotency_key_writes_once(embedded: Served) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"events": _trades(0, 3)}
    first = embedded.client.post(EVENTS, json=body, headers={**embedded.headers(), **key})
    again = embedded.client.post(EVENTS, json=body, headers={**embedded.headers(), **key})
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert first.json()["accepted"] == 3

    # The same key for other events is refused, and writes nothing.
    other = embedded.client.post(
        EVENTS, json={"events": _trades(3, 5)}, headers={**embedded.headers(), **key}
    )
    assert other.status_code == 422, other.text
    assert other.json()["error"]["code"] == "idempotency-key-reused"
    assert key["Idempotency-Key"] in other.json()["error"]["message"]

    # Without a key, a request is written each time, as before.
    embedded.client.post(EVENTS, json=body, headers=embedded.headers()).raise_for_status()
    assert sorted(_read_all(embedded, "audit")) == ["t0", "t0", "t1", "t1", "t2", "t2"]


def test_a_malformed_idempotency_key_is_refused_and_nothing_written(embedded: Served) -> None:
    for key in ("a b", "x" * 256, ""):
        bad = embedded.client.post(
            EVENTS,
            json={"events": _trades(0, 1)},
            headers={**embedded.headers(), "Idempotency-Key": key},
        )
        assert bad.status_code == 400, bad.text
        assert bad.json()["error"]["code"] == "invalid-idempotency-key"
        assert "Idempotency-Key" in bad.json()["error"]["message"]
    assert _read_all(embedded, "audit") == []


def test_successive_consumes_of_a_group_read_on_without_joining_again(either: Served) -> None:
    either.client.post(
        EVENTS, json={"events": _trades(0, 10)}, headers=either.headers()
    ).raise_for_status()

    def consume(count: int) -> tuple[list[str], float]:
        started = time.monotonic()
        answer = either.client.get(
            EVENTS, params={"group": "risk", "max": count, "timeout": 10}, headers=either.headers()
        )
        assert answer.status_code == 200, answer.text
        return [event["key"] for event in answer.json()["events"]], time.monotonic() - started

    first, _ = consume(4)
    second, took = consume(4)
    third, _ = consume(100)
    assert len(first) == len(second) == 4
    # Every event once, in order within its partition: each consume went on from the last.
    assert sorted(first + second + third) == sorted(f"t{i}" for i in range(10))
    # No group join in the second request (a join takes a second or more on Kafka).
    assert took < 1.0, f"the second consume took {took:.2f} s"


SHORT = "execution.restshort"  # a topic of its own: the Kafka broker outlives each test
SHORT_EVENTS = f"/api/v1/products/{SHORT}.v1/events"


@pytest.fixture
def one_partition_on_kafka(tmp_path: Path, kafka_bootstrap: str) -> Iterator[Served]:
    for served in serve(tmp_path / "mesh", log_url=f"kafka://{kafka_bootstrap}"):
        applied = served.client.post(
            "/api/v1/apply",
            json=sources((descriptor(SHORT).replace("partitions: s", "partitions: xs"), avro())),
            headers=served.headers(),
        )
        assert applied.status_code == 200, applied.text
        yield served


@pytest.mark.kafka
def test_a_short_answer_with_more_on_the_log_keeps_the_groups_member(
    one_partition_on_kafka: Served, kafka_bootstrap: str
) -> None:
    served, headers = one_partition_on_kafka, one_partition_on_kafka.headers()
    served.client.post(SHORT_EVENTS, json={"events": _trades(0, 3)}, headers=headers)
    log = open_log(f"kafka://{kafka_bootstrap}")
    try:
        with log.producer() as raw:
            raw.send(f"{SHORT}.v1", b"not an event", key=b"t3")
            raw.flush()
    finally:
        log.close()
    served.client.post(SHORT_EVENTS, json={"events": _trades(4, 7)}, headers=headers)

    def consume() -> tuple[httpx.Response, float]:
        started = time.monotonic()
        answer = served.client.get(
            SHORT_EVENTS, params={"group": "risk", "max": 100, "timeout": 10}, headers=headers
        )
        return answer, time.monotonic() - started

    first, _ = consume()  # joins the group; stops short at the record that is no event
    refused, took = consume()
    third, _ = consume()
    assert first.status_code == third.status_code == 200, third.text
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "unreadable-event"
    keys = [e["key"] for answer in (first, third) for e in answer.json()["events"]]
    assert keys == [f"t{i}" for i in (0, 1, 2, 4, 5, 6)]
    # The short first answer did not make the member leave, since the log held more for the
    # group: no join again (~3 s on the test broker) before the next answer.
    assert took < 1.0, f"the consume after the short answer took {took:.2f} s"


def test_batches_over_the_limits_are_refused_naming_them(embedded: Served) -> None:
    too_many = embedded.client.post(
        EVENTS, json={"events": _trades(0, 10_001)}, headers=embedded.headers()
    )
    assert too_many.status_code == 422, too_many.text
    assert "10000" in too_many.text and "events" in too_many.text
    empty = embedded.client.post(EVENTS, json={"events": []}, headers=embedded.headers())
    assert empty.status_code == 422, empty.text
    too_far = embedded.client.get(
        EVENTS, params={"group": "g", "max": 10_001}, headers=embedded.headers()
    )
    assert too_far.status_code == 422 and "max" in too_far.text, too_far.text
    assert _read_all(embedded, "audit") == []


class _AnswerLostOnce(httpx.BaseTransport):
    """The network between a client and the server: the first produce reaches the server,
    which writes it, and its answer is lost on the way back (the client sees a timeout)."""

    def __init__(self, server: httpx.Client) -> None:
        self._server = server
        self.produces = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._server.request(
            request.method, str(request.url), headers=request.headers, content=request.read()
        )
        response = httpx.Response(
            answer.status_code, headers=answer.headers, content=answer.content
        )
        if request.method == "POST" and request.url.path.endswith("/events"):
            self.produces += 1
            if self.produces == 1:
                raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def test_mesh_connect_sends_a_batch_again_without_writing_it_twice(embedded: Served) -> None:
    network = _AnswerLostOnce(embedded.client)
    with (
        httpx.Client(transport=network) as client,
        RemoteMesh(
            "http://testserver", embedded.tokens[Role.PLATFORM_ADMIN], client=client
        ) as mesh,
        mesh.producer(NAME) as producer,
    ):
        producer.send_many(_trades(0, 3))
        producer.flush()
    assert network.produces == 2  # sent again after the lost answer
    assert sorted(_read_all(embedded, "audit")) == ["t0", "t1", "t2"]
