"""Refusals of ``/api/v1``: each answers its documented status with the one error shape,
names what is wrong, and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from streammesh.identity import Role, TokenStore
from streammesh.store import open_store
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

PRODUCT = "/api/v1/products/execution.stocktrades"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    for running in serve(tmp_path_factory.mktemp("api-errors") / "mesh"):
        applied = running.client.post(
            "/api/v1/apply", json=sources((descriptor(), avro())), headers=running.headers()
        )
        assert applied.status_code == 200, applied.text
        yield running


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    error: dict[str, Any] = body["error"]
    return error


def _total_events(served: Served) -> int:
    stats = served.client.get(f"{PRODUCT}/stats", headers=served.headers()).json()
    total: int = stats["total_events"]
    return total


def test_a_bad_descriptor_lists_every_problem_with_its_field(served: Served) -> None:
    broken = descriptor("execution.orders").replace("kind: measurement\n", "kind: gossip\n")
    broken = broken.replace("sla: {tier: 2}\n", "sla: {tier: 9}\n")
    for route in ("/api/v1/plan", "/api/v1/apply"):
        error = _error(
            served.client.post(route, json=sources((broken, avro())), headers=served.headers()),
            422,
            "invalid-descriptor",
        )
        assert {"kind", "sla.tier"} <= {d["path"] for d in error["details"]}
        assert all(d["source"] == "execution/p0.yaml" for d in error["details"])
    listed = served.client.get("/api/v1/products", headers=served.headers()).json()
    assert [p["reference"] for p in listed] == ["execution.stocktrades.v1"]


def test_a_bad_event_refuses_the_whole_batch(served: Served) -> None:
    before = _total_events(served)
    events = [
        {"trade_id": "t-1", "symbol": "ACME", "price": 1.0},
        {"trade_id": "t-2", "symbol": "ACME", "price": "cheap"},
        {"trade_id": "t-3", "symbol": "ACME", "price": 3.0},
    ]
    error = _error(
        served.client.post(f"{PRODUCT}/events", json={"events": events}, headers=served.headers()),
        422,
        "invalid-event",
    )
    assert error["details"] == [
        {
            "index": 1,
            "path": "price",
            "rule": error["details"][0]["rule"],
            "reason": (error["details"][0]["reason"]),
        }
    ]
    assert "#1" in error["message"]
    assert _total_events(served) == before


def test_unknown_products_are_404(served: Served) -> None:
    for method, path in (
        ("GET", "/api/v1/products/execution.nothing"),
        ("GET", "/api/v1/products/execution.stocktrades.v7/schemas"),
        ("GET", "/api/v1/products/execution.stocktrade/stats"),
        ("POST", "/api/v1/products/execution.nothing/events"),
    ):
        body = {"events": [{"trade_id": "t"}]}
        response = served.client.request(method, path, json=body, headers=served.headers())
        error = _error(response, 404, "product-not-found")
        assert "is not in the mesh" in error["message"]
    close = _error(
        served.client.get("/api/v1/products/execution.stocktrade", headers=served.headers()),
        404,
        "product-not-found",
    )
    assert "did you mean 'execution.stocktrades'" in close["message"]


def test_a_missing_token_is_401_and_changes_nothing(served: Served) -> None:
    before = _total_events(served)
    response = served.client.post(f"{PRODUCT}/events", json={"events": [{"trade_id": "t"}]})
    error = _error(response, 401, "unauthenticated")
    assert "Bearer" in response.headers["WWW-Authenticate"] and "token" in error["message"]
    assert _total_events(served) == before


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        (Role.CONSUMER, "POST", "/api/v1/apply", sources((descriptor("execution.x"), avro()))),
        (Role.MEMBER, "POST", "/api/v1/apply", sources((descriptor("execution.x"), avro()))),
        (Role.CONSUMER, "POST", f"{PRODUCT}/events", {"events": [{"trade_id": "t"}]}),
        (Role.GOVERNANCE, "POST", f"{PRODUCT}/events", {"events": [{"trade_id": "t"}]}),
        (Role.MEMBER, "POST", f"{PRODUCT}/retire", {"force": True}),
        (Role.CONSUMER, "POST", "/api/v1/domains", {"name": "sneaky"}),
    ],
)
def test_a_wrong_role_is_403_and_changes_nothing(
    served: Served, role: Role, method: str, path: str, body: dict[str, Any]
) -> None:
    before = _total_events(served)
    response = served.client.request(method, path, json=body, headers=served.headers(role))
    error = _error(response, 403, "forbidden")
    assert f"'{role.value}'" in error["message"]
    admin = served.headers()
    assert served.client.get(PRODUCT, headers=admin).json()["product"]["status"] == "published"
    assert "execution.x.v1" not in {
        p["reference"] for p in served.client.get("/api/v1/products", headers=admin).json()
    }
    assert "sneaky" not in {
        d["name"] for d in served.client.get("/api/v1/domains", headers=admin).json()
    }
    assert _total_events(served) == before


def test_roles_that_may_produce_and_plan(served: Served) -> None:
    one = {"events": [{"trade_id": "m-1", "symbol": "ACME", "price": 2.0}]}
    # A member who is a person is refused: only the owning team's applications write.
    member = served.client.post(f"{PRODUCT}/events", json=one, headers=served.headers(Role.MEMBER))
    _error(member, 403, "access-denied")
    admin = served.headers()
    created = served.client.post(
        "/api/v1/principals",
        json={"name": "ingest", "kind": "service-account", "team": "execution-team"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    with open_store(f"sqlite:///{served.mesh / 'meta.db'}") as store:
        secret = TokenStore(store).create("ingest", Role.MEMBER).secret
    writer = served.client.post(
        f"{PRODUCT}/events", json=one, headers={"Authorization": f"Bearer {secret}"}
    )
    assert writer.status_code == 200 and writer.json()["accepted"] == 1
    plan = sources((descriptor("execution.y"), avro()))
    planned = served.client.post("/api/v1/plan", json=plan, headers=served.headers(Role.CONSUMER))
    assert planned.status_code == 200 and planned.json()["ok"]


def test_invalid_requests_name_their_fields(served: Served) -> None:
    error = _error(
        served.client.post(
            f"{PRODUCT}/deprecate", json={"sunset": "someday"}, headers=served.headers()
        ),
        422,
        "invalid-request",
    )
    assert {"body.reason", "body.sunset"} <= {d["path"] for d in error["details"]}
    early = _error(
        served.client.post(f"{PRODUCT}/retire", json={}, headers=served.headers()),
        409,
        "lifecycle-refused",
    )
    assert "published" in early["message"]
    shown = served.client.get(PRODUCT, headers=served.headers()).json()
    assert shown["product"]["status"] == "published"


def test_a_foreign_record_is_named_and_then_skipped(served: Served) -> None:
    served.client.post(
        "/api/v1/apply",
        json=sources((descriptor("execution.quotes"), avro())),
        headers=served.headers(),
    )
    log = served.client.app.state.streammesh.runtime.log  # type: ignore[attr-defined]
    with log.producer() as producer:
        producer.send("execution.quotes.v1", b"not the wire format", key=b"q-0", partition=0)
    events = "/api/v1/products/execution.quotes/events"
    params = {"group": "auditors", "timeout": 5}
    error = _error(
        served.client.get(events, params=params, headers=served.headers()), 409, "unreadable-event"
    )
    assert "offset 0" in error["message"] and "partition 0" in error["message"]
    one = {"events": [{"trade_id": "q-1", "symbol": "ACME", "price": 1.0}]}
    served.client.post(events, json=one, headers=served.headers())
    after = served.client.get(events, params=params, headers=served.headers())
    assert after.status_code == 200
    assert [e["key"] for e in after.json()["events"]] == ["q-1"]
    sample = served.client.get(
        "/api/v1/products/execution.quotes/sample", headers=served.headers()
    ).json()
    assert [e["key"] for e in sample["events"]] == ["q-1"]  # the foreign record is left out


def test_a_json_value_schema_that_is_not_an_object_is_refused_by_apply(served: Served) -> None:
    """/registry takes any JSON Schema; a product's value schema must still be an object."""
    priced = descriptor("execution.prices").replace(
        "schema: stocktrades.avsc", "schema: prices.json"
    )
    error = _error(
        served.client.post(
            "/api/v1/apply", json=sources((priced, '{"type": "number"}')), headers=served.headers()
        ),
        422,
        "plan-refused",
    )
    [detail] = error["details"]
    assert detail["rule"] == "schema.invalid"
    assert "must describe an object" in detail["message"] and "admits number" in detail["message"]
    subjects = served.client.get("/registry/subjects", headers=served.headers()).json()
    assert "execution.prices.v1-value" not in subjects


def test_idempotency_key_refusals_name_the_key_and_write_nothing(served: Served) -> None:
    events = f"{PRODUCT}/events"
    before = _total_events(served)
    malformed = served.client.post(
        events,
        json={"events": [{"trade_id": "k-1", "symbol": "ACME", "price": 1.0}]},
        headers={**served.headers(), "Idempotency-Key": "two words"},
    )
    assert "'two words'" in _error(malformed, 400, "invalid-idempotency-key")["message"]
    key = {**served.headers(), "Idempotency-Key": "errors-table-1"}
    first = served.client.post(
        events, json={"events": [{"trade_id": "k-1", "symbol": "ACME", "price": 1.0}]}, headers=key
    )
    assert first.status_code == 200, first.text
    reused = served.client.post(
        events, json={"events": [{"trade_id": "k-2", "symbol": "ACME", "price": 1.0}]}, headers=key
    )
    assert "'errors-table-1'" in _error(reused, 422, "idempotency-key-reused")["message"]
    assert _total_events(served) == before + 1
