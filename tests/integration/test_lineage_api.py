"""``/api/v1/lineage`` and ``/api/v1/openlineage``: the graph, impact analysis, and OpenLineage
run events in (validated, nothing stored on error) and out (round-tripping)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, serve
from tests.unit.lineage.world import DAILY, TRADES, VOLUMES, open_world

API = "/api/v1"
RUN_ID = "0b8f3f7e-3c2a-4f5e-9d1a-2b3c4d5e6f70"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    open_world(tmp_path / "mesh").close()
    yield from serve(tmp_path / "mesh")


def call(
    served: Served,
    method: str,
    path: str,
    status: int,
    role: Role = Role.PLATFORM_ADMIN,
    **kwargs: Any,
) -> Any:
    response = served.client.request(method, f"{API}{path}", headers=served.headers(role), **kwargs)
    assert response.status_code == status, response.text
    return response.json()


def run_event(event_type: str, time: str, **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": event_type,
        "eventTime": time,
        "producer": "https://github.com/apache/airflow",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": RUN_ID, "facets": {}},
        "job": {"namespace": "airflow", "name": "trades_to_warehouse", "facets": {}},
        "inputs": [{"namespace": "kafka://broker:9092", "name": f"{TRADES}.v1", "facets": {}}],
        "outputs": [{"namespace": "postgres://warehouse:5432", "name": "dw.trades"}],
    }
    event.update(overrides)
    return event


def test_whole_mesh_and_a_neighbourhood(served: Served) -> None:
    whole = call(served, "GET", "/lineage", 200, Role.CONSUMER)
    assert whole["center"] is None
    assert {node["name"] for node in whole["nodes"]} == {
        f"{TRADES}.v1",
        f"{VOLUMES}.v1",
        f"{DAILY}.v1",
        "fraud-detector",
        "dashboard",
        "s3://lake/trades",
    }
    near = call(
        served,
        "GET",
        "/lineage",
        200,
        params={"product": DAILY, "direction": "upstream", "depth": 1},
    )
    assert near["center"] == f"product:{DAILY}.v1"
    assert [(e["source"], e["kind"]) for e in near["edges"]] == [
        (f"product:{VOLUMES}.v1", "derives")
    ]
    missing = call(served, "GET", "/lineage", 404, params={"product": "execution.nothing"})
    assert missing["error"]["code"] == "product-not-found"
    call(served, "GET", "/lineage", 422, params={"product": TRADES, "depth": 0})


def test_impact_names_owners(served: Served) -> None:
    found = call(served, "GET", "/lineage/impact", 200, Role.CONSUMER, params={"product": TRADES})
    assert found["product"] == f"{TRADES}.v1"
    assert found["dependents"][0] == {
        "kind": "application",
        "name": "fraud-detector",
        "team": "risk-team",
        "contact": "risk@example.com",
        "depth": 1,
    }
    assert [d["name"] for d in found["dependents"]] == [
        "fraud-detector",
        f"{VOLUMES}.v1",
        f"{DAILY}.v1",
        "dashboard",
    ]


def test_start_then_complete_joins_the_graph_and_export_round_trips(
    served: Served, tmp_path: Path
) -> None:
    started = call(
        served,
        "POST",
        "/openlineage",
        201,
        Role.MEMBER,
        json=run_event("START", "2027-01-04T09:00:00Z"),
    )
    assert started["last_state"] == "START" and started["runs"] == 1
    done = call(
        served,
        "POST",
        "/openlineage",
        201,
        Role.MEMBER,
        json=run_event("COMPLETE", "2027-01-04T09:05:00+00:00", inputs=[], outputs=[]),
    )
    assert done["last_state"] == "COMPLETE" and done["runs"] == 1
    assert done["inputs"] == [{"namespace": "kafka://broker:9092", "name": f"{TRADES}.v1"}]

    job = "application:airflow/trades_to_warehouse"
    graph = call(
        served, "GET", "/lineage", 200, params={"product": TRADES, "direction": "downstream"}
    )
    edges = {(e["source"], e["target"], e["kind"]) for e in graph["edges"]}
    assert (f"product:{TRADES}.v1", job, "consumes") in edges
    assert (job, "dataset:postgres://warehouse:5432/dw.trades", "writes-to") in edges
    impact = call(served, "GET", "/lineage/impact", 200, params={"product": TRADES})
    assert "trades_to_warehouse" in [d["name"] for d in impact["dependents"]]

    exported = call(served, "GET", "/openlineage/export", 200, Role.CONSUMER)
    (event,) = [
        e for e in exported if e["job"] == {"namespace": "airflow", "name": "trades_to_warehouse"}
    ]
    assert event["eventType"] == "COMPLETE" and event["run"] == {"runId": RUN_ID}
    assert event["producer"].startswith("https://") and "OpenLineage.json" in event["schemaURL"]
    assert event["outputs"] == [{"namespace": "postgres://warehouse:5432", "name": "dw.trades"}]

    # Into a fresh mesh with the same products, the export gives back the same graph.
    shutil.rmtree(tmp_path / "other", ignore_errors=True)
    open_world(tmp_path / "other" / "mesh").close()
    for other in serve(tmp_path / "other" / "mesh"):
        for exported_event in exported:
            call(other, "POST", "/openlineage", 201, json=exported_event)
        again = call(other, "GET", "/lineage", 200)
    original = call(served, "GET", "/lineage", 200)
    assert _shape(again) == _shape(original)


def _shape(graph: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["source"], e["target"], e["kind"]) for e in graph["edges"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"eventType": "FINISHED"}, "eventType"),
        ({"eventTime": "yesterday"}, "eventTime"),
        ({"eventTime": "2027-01-04T09:00:00"}, "eventTime"),
        ({"run": {"runId": "not-a-uuid"}}, "run.runId"),
        ({"job": {"namespace": "airflow"}}, "job.name"),
        ({"inputs": [{"namespace": "kafka://b:9092", "name": ""}]}, "inputs.0.name"),
        ({"producer": "not a uri"}, "producer"),
        (
            {"inputs": [{"namespace": "k", "name": "t", "facets": {"schema": {"fields": []}}}]},
            "inputs.0.facets.schema._producer",
        ),
        (
            {"run": {"runId": RUN_ID, "facets": {"nominalTime": {"_producer": "https://x"}}}},
            "run.facets.nominalTime._schemaURL",
        ),
    ],
)
def test_a_bad_event_is_refused_naming_the_field_and_nothing_is_stored(
    served: Served, change: dict[str, Any], field: str
) -> None:
    before = call(served, "GET", "/lineage", 200)
    refused = call(
        served,
        "POST",
        "/openlineage",
        422,
        json=run_event("START", "2027-01-04T09:00:00Z", **change),
    )
    paths = [detail["path"] for detail in refused["error"]["details"]]
    assert any(field in path for path in paths), paths
    assert call(served, "GET", "/lineage", 200) == before
    assert not [
        e
        for e in call(served, "GET", "/openlineage/export", 200)
        if e["job"]["namespace"] == "airflow"
    ]


def test_who_may_post_run_events(served: Served) -> None:
    event = run_event("START", "2027-01-04T09:00:00Z")
    denied = call(served, "POST", "/openlineage", 403, Role.CONSUMER, json=event)
    assert denied["error"]["code"] == "forbidden"
    anonymous = served.client.post(f"{API}/openlineage", json=event)
    assert anonymous.status_code == 401
    assert served.client.get(f"{API}/lineage").status_code == 401
    for role in (Role.PLATFORM_ADMIN, Role.GOVERNANCE, Role.DOMAIN_OWNER, Role.MEMBER):
        event["run"] = {"runId": str(uuid.uuid4())}
        call(served, "POST", "/openlineage", 201, role, json=event)
