"""The issue's workflow through ``/api/v1``, in-process, on the embedded log with SQLite and
on Kafka with PostgreSQL: plan, apply (twice), produce, consume, search, a compatible schema
change, a refused incompatible one, v2 side by side, deprecate, a new consumer refused,
retire refused and forced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

V1 = "execution.stocktrades.v1"
V2 = "execution.stocktrades.v2"
VENUE = {"name": "venue", "type": "string", "default": "XNYS", "doc": "Exchange."}
PRICE_AS_TEXT = avro().replace('"price", "type": "double"', '"price", "type": "string"')


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("api") / "mesh")


@pytest.fixture(params=["embedded+sqlite", pytest.param("kafka+postgres", marks=pytest.mark.kafka)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """A server over each pair of backends (a fresh mesh per test)."""
    if request.param == "embedded+sqlite":
        yield from serve(tmp_path / "mesh")
        return
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    store = request.getfixturevalue("migrated_postgres_url")
    yield from serve(tmp_path / "mesh", log_url=f"kafka://{bootstrap}", store_url=store)


def _read_all(served: Served, path: str, group: str, expected: int) -> list[dict[str, Any]]:
    """Events for ``group`` until ``expected`` arrived (a Kafka group join takes seconds)."""
    read: list[dict[str, Any]] = []
    for _ in range(10):
        params = {"group": group, "max": expected - len(read), "timeout": 10}
        read += _ok(served, "GET", path, params=params)["events"]
        if len(read) >= expected:
            break
    return read


def _ok(served: Served, method: str, path: str, **kwargs: Any) -> Any:
    response = served.client.request(method, f"/api/v1{path}", headers=served.headers(), **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def _error(served: Served, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
    response = served.client.request(method, f"/api/v1{path}", headers=served.headers(), **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    error: dict[str, Any] = body["error"]
    return error


def _trades(count: int, start: int = 0) -> dict[str, Any]:
    return {
        "events": [
            {"trade_id": f"t-{i}", "symbol": "ACME", "price": 10.0 + i}
            for i in range(start, start + count)
        ]
    }


def test_the_workflow(backend: Served) -> None:
    served = backend
    v1 = sources((descriptor(), avro()))

    planned = _ok(served, "POST", "/plan", json=v1)
    assert planned["ok"] and planned["has_changes"] and planned["applied"] == []
    targets = {(c["resource"], c["target"]) for c in planned["products"][0]["changes"]}
    assert ("topic", V1) in targets and ("schema", f"{V1}-value") in targets
    assert _ok(served, "GET", "/products") == []  # planning changed nothing

    applied = _ok(served, "POST", "/apply", json=v1)
    assert applied["applied"] == [V1]
    again = _ok(served, "POST", "/apply", json=v1)
    assert again["applied"] == [] and not again["has_changes"]

    produced = _ok(served, "POST", "/products/execution.stocktrades/events", json=_trades(5))
    assert produced["accepted"] == 5 and len(produced["partitions"]) == 5
    stats = _ok(served, "GET", "/products/execution.stocktrades/stats")
    assert stats["total_events"] == 5 and stats["events_last_minute"] == 5
    assert stats["last_event_at"] is not None and len(stats["partitions"]) == 4

    events = "/products/execution.stocktrades/events"
    first = _ok(served, "GET", events, params={"group": "risk", "max": 3, "timeout": 10})
    assert 1 <= len(first["events"]) <= 3
    rest = _read_all(served, events, "risk", 5 - len(first["events"]))
    first = first["events"]
    assert {e["key"] for e in first + rest} == {f"t-{i}" for i in range(5)}
    assert all(e["value"]["symbol"] == "ACME" and e["product"] == V1 for e in first + rest)
    # Offsets were committed: the group has read everything.
    assert _ok(served, "GET", events, params={"group": "risk", "timeout": 0.2})["events"] == []
    sample = _ok(served, "GET", "/products/execution.stocktrades/sample", params={"limit": 2})
    assert len(sample["events"]) == 2

    found = _ok(served, "GET", "/products/search", params={"q": "stock"})
    assert [hit["reference"] for hit in found["hits"]] == [V1]
    assert found["facets"]["domain"] == {"execution": 1}

    # A compatible change: a new schema version of the same product.
    evolved = _ok(served, "POST", "/apply", json=sources((descriptor(), avro(VENUE))))
    assert evolved["applied"] == [V1]
    schemas = _ok(served, "GET", "/products/execution.stocktrades/schemas")
    assert [s["version"] for s in schemas] == [1, 2] and "venue" in schemas[1]["schema"]
    diff = _ok(
        served, "GET", "/products/execution.stocktrades/schemas/diff", params={"from": 1, "to": 2}
    )
    assert diff["backward"]["compatible"] and "venue" in diff["diff"]

    # An incompatible one is refused with the list, and nothing changes.
    refused = _error(served, "POST", "/apply", 422, json=sources((descriptor(), PRICE_AS_TEXT)))
    assert refused["code"] == "plan-refused"
    rules = {problem["rule"] for problem in refused["details"]}
    assert "compatibility.incompatible" in rules
    assert any("price" in line for p in refused["details"] for line in p["details"])
    assert len(_ok(served, "GET", "/products/execution.stocktrades/schemas")) == 2

    # Published as v2, it runs side by side and is linked as v1's replacement.
    v2 = _ok(served, "POST", "/apply", json=sources((descriptor(version=2), PRICE_AS_TEXT)))
    assert v2["applied"] == [V2]
    shown = _ok(served, "GET", f"/products/{V1}")
    assert shown["product"]["replaced_by"] == V2 and shown["versions"] == [V1, V2]
    assert [a["application"] for a in shown["applications"]] == ["risk"]
    assert shown["applications"][0]["active"]

    deprecated = _ok(
        served,
        "POST",
        f"/products/{V1}/deprecate",
        json={"reason": "price is text in v2", "sunset": "2027-01-31", "replacement": V2},
    )
    assert deprecated["status"] == "deprecated"
    hits = _ok(served, "GET", "/products/search", params={"q": "stock"})["hits"]
    assert [hit["reference"] for hit in hits] == [V2]  # deprecated v1 left default search

    refusal = _error(served, "GET", f"/products/{V1}/events", 409, params={"group": "latecomer"})
    assert refusal["code"] == "not-accepting-consumers" and V2 in refusal["message"]
    assert _ok(served, "GET", f"/products/{V1}/events", params={"group": "risk", "timeout": 0})

    blocked = _error(served, "POST", f"/products/{V1}/retire", 409, json={})
    assert blocked["code"] == "lifecycle-refused" and "consumer" in blocked["message"]
    assert _ok(served, "GET", f"/products/{V1}")["product"]["status"] == "deprecated"

    retired = _ok(served, "POST", f"/products/{V1}/retire", json={"force": True})
    assert retired["status"] == "retired" and retired["forced_by"] == "platform-admin-user"
    audit = _ok(served, "GET", "/audit", params={"subject": V1, "action": "product.retired"})
    assert [entry["actor"] for entry in audit] == ["platform-admin-user"]
    feed = _ok(served, "GET", "/mesh-events", params={"limit": 1000})
    assert "product.retired" in {event["type"] for event in feed["events"]}


def test_whoami_names_the_token(served: Served) -> None:
    for role in (Role.PLATFORM_ADMIN, Role.CONSUMER):
        response = served.client.get("/api/v1/whoami", headers=served.headers(role))
        assert response.status_code == 200
        assert response.json()["name"] == f"{role.value}-user"
        assert response.json()["role"] == role.value


def test_domains_and_teams(served: Served) -> None:
    _ok(served, "POST", "/domains", json={"name": "risk", "description": "Risk management."})
    _ok(served, "POST", "/teams", json={"name": "risk-team", "domain": "risk"})
    assert "risk" in {d["name"] for d in _ok(served, "GET", "/domains")}
    assert [t["name"] for t in _ok(served, "GET", "/teams", params={"domain": "risk"})] == [
        "risk-team"
    ]
    unknown = _error(served, "POST", "/teams", 422, json={"name": "lost", "domain": "nowhere"})
    assert "'nowhere'" in unknown["message"]
    assert "lost" not in {t["name"] for t in _ok(served, "GET", "/teams")}


def test_applications_are_registered_through_the_api(served: Served, tmp_path: Path) -> None:
    _ok(served, "POST", "/apply", json=sources((descriptor("execution.fills"), avro())))
    registered = _ok(
        served,
        "POST",
        "/products/execution.fills/applications",
        json={"application": "settlement", "role": "consumer", "group": "settlement"},
    )
    assert registered["product"] == "execution.fills.v1" and registered["active"]
    listed = _ok(served, "GET", "/products/execution.fills/applications")
    assert [(a["application"], a["role"]) for a in listed] == [("settlement", "consumer")]
