"""Monitoring over HTTP: product metrics, group lag, caught-up answers (with a long poll),
SLO states, and ``/metrics`` in Prometheus' format (a token needed but from loopback)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from streammesh.config import MeshConfig
from streammesh.identity import Role
from streammesh.observe import SloChecker, SloLedger
from streammesh.runtime import MeshRuntime
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

PRODUCT = "execution.stocktrades.v1"
FRESH = descriptor().replace("sla: {tier: 2}", "sla: {tier: 2, freshness: 15m}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    for running in serve(tmp_path / "mesh"):
        answer = running.client.post(
            "/api/v1/apply", json=sources((FRESH, avro())), headers=running.headers()
        )
        assert answer.status_code == 200, answer.text
        yield running


def _trades(count: int) -> dict[str, Any]:
    return {
        "events": [{"trade_id": f"t{i}", "symbol": "ACME", "price": 10.0 + i} for i in range(count)]
    }


def _produce(served: Served, count: int) -> None:
    answer = served.client.post(
        f"/api/v1/products/{PRODUCT}/events", json=_trades(count), headers=served.headers()
    )
    assert answer.status_code == 200, answer.text


def _consume(served: Served, group: str) -> int:
    answer = served.client.get(
        f"/api/v1/products/{PRODUCT}/events",
        params={"group": group, "max": 100, "timeout": 2},
        headers=served.headers(),
    )
    assert answer.status_code == 200, answer.text
    return len(answer.json()["events"])


def _check_slos(served: Served) -> None:
    """One pass of the SLO checker over the served mesh (the server's own runs every 30 s)."""
    with MeshRuntime.open(MeshConfig.load(served.mesh)) as mesh:
        SloChecker(mesh.plane, mesh.log, SloLedger(mesh.store)).check()


def _get(served: Served, path: str, **params: Any) -> Any:
    answer = served.client.get(f"/api/v1{path}", params=params, headers=served.headers(Role.MEMBER))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _caught_up(served: Served, group: str, body: dict[str, Any]) -> Any:
    answer = served.client.post(
        f"/api/v1/groups/{group}/caught-up", json=body, headers=served.headers(Role.MEMBER)
    )
    return answer


def test_product_metrics_after_producing(served: Served) -> None:
    empty = _get(served, f"/products/{PRODUCT}/metrics")
    assert empty["events_in_window"] == 0 and empty["last_event_at"] is None

    _produce(served, 25)
    _check_slos(served)
    metrics = _get(served, "/products/execution.stocktrades/metrics", window=120)

    assert metrics["product"] == PRODUCT
    assert metrics["events_in_window"] == 25
    assert metrics["events_per_second"] == pytest.approx(25 / 120)
    assert metrics["bytes_in_window"] > 25 * 5  # the Avro bodies, with the wire header
    assert metrics["last_event_at"] is not None
    assert sum(p["end_offset"] for p in metrics["partitions"]) == 25
    assert len(metrics["partitions"]) == 4
    assert [(s["slo"], s["status"]) for s in metrics["slos"]] == [("freshness", "met")]


def test_group_lag_before_and_after_consuming(served: Served) -> None:
    _produce(served, 6)
    assert _consume(served, "risk-engine") == 6
    _produce(served, 4)

    lag = _get(served, "/groups/risk-engine/lag", product=PRODUCT)
    assert lag["total_lag"] == 4 and lag["caught_up"] is False
    assert sum(p["lag"] for p in lag["products"][0]["partitions"]) == 4

    assert _consume(served, "risk-engine") == 4
    # Without a product: every product the group committed on (here the one).
    after = _get(served, "/groups/risk-engine/lag")
    assert after["caught_up"] is True and after["total_lag"] == 0
    assert [p["product"] for p in after["products"]] == [PRODUCT]


def test_caught_up_true_false_and_waiting(served: Served) -> None:
    _produce(served, 8)
    ends = {
        str(p["partition"]): p["end_offset"]
        for p in _get(served, f"/products/{PRODUCT}/metrics")["partitions"]
    }
    body = {"product": PRODUCT, "offsets": ends}

    behind = _caught_up(served, "billing", body)
    assert behind.status_code == 200, behind.text
    assert behind.json()["caught_up"] is False
    assert sum(behind.json()["behind"].values()) == 8

    consumer = threading.Timer(0.5, _consume, (served, "billing"))
    consumer.start()
    try:
        waited = _caught_up(served, "billing", {**body, "wait": 15})
    finally:
        consumer.join()
    assert waited.json() | {"committed": None} == {
        "group": "billing",
        "product": PRODUCT,
        "caught_up": True,
        "behind": {},
        "committed": None,
    }


def test_caught_up_refuses_a_partition_the_topic_lacks(served: Served) -> None:
    answer = _caught_up(served, "billing", {"product": PRODUCT, "offsets": {"7": 1}})

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid-offsets"
    assert "[7]" in answer.json()["error"]["message"]
    missing = _caught_up(served, "billing", {"product": "nope.nothing", "offsets": {"0": 1}})
    assert missing.status_code == 404


def test_monitoring_routes_need_a_token(served: Served) -> None:
    assert served.client.get(f"/api/v1/products/{PRODUCT}/metrics").status_code == 401
    assert served.client.get("/api/v1/groups/g/lag").status_code == 401


def test_prometheus_metrics_name_products_and_registered_groups(served: Served) -> None:
    _produce(served, 5)
    assert _consume(served, "risk-engine") == 5  # registers the group as an application
    _produce(served, 2)
    _check_slos(served)

    # The test client is not a loopback address: /metrics wants a token by default.
    assert served.client.get("/metrics").status_code == 401
    answer = served.client.get("/metrics", headers=served.headers(Role.MEMBER))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}

    ends = [s for s in families["streammesh_product_end_offset"].samples]
    assert {s.labels["product"] for s in ends} == {PRODUCT}
    assert sum(s.value for s in ends) == 7
    recent = families["streammesh_product_events_last_minute"].samples
    assert [(s.labels, s.value) for s in recent] == [({"product": PRODUCT}, 7.0)]
    assert families["streammesh_product_last_event_timestamp_seconds"].samples[0].value > 0
    lag = families["streammesh_consumer_group_lag"].samples
    assert {s.labels["group"] for s in lag} == {"risk-engine"}
    assert sum(s.value for s in lag) == 2
    assert families["streammesh_up"].samples[0].value == 1
    slo = families["streammesh_product_slo_breached"].samples
    assert [(s.labels, s.value) for s in slo] == [({"product": PRODUCT, "slo": "freshness"}, 0)]
    requests = families["streammesh_http_requests"].samples
    assert any(s.labels.get("route") == "/api/v1/products/{reference}/events" for s in requests)
