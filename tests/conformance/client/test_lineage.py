"""Lineage through the SDK's mesh client, in-process and remote alike: a run recorded through
the client shows in its graph, its impact analysis and its OpenLineage export."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streammesh.control import ProductNotFound
from streammesh.lineage import DatasetRef, Direction, JobRef, RunEvent, RunState
from streammesh.sdk import ArgumentOutOfRange, MeshClient
from tests.conformance.client.conftest import unique
from tests.conformance.client.publishing import publish_product

PRODUCER = "https://example.com/streammesh/tests"


def _run(job: str, reads: str) -> RunEvent:
    return RunEvent(
        state=RunState.COMPLETE,
        time=datetime.now(UTC).replace(microsecond=0),
        run_id=str(uuid.uuid4()),
        job=JobRef("pipelines", job),
        inputs=(DatasetRef("warehouse", "raw.readings"), DatasetRef("streammesh", reads)),
        outputs=(),
        producer=PRODUCER,
    )


def test_a_recorded_run_is_in_the_graph_the_impact_and_the_export(
    client: MeshClient, tmp_path: Path
) -> None:
    product = publish_product(client, tmp_path)
    job = unique("scorer")

    observed = client.lineage.record_run(_run(job, f"{product}.v1"))

    assert (observed["namespace"], observed["name"], observed["runs"]) == ("pipelines", job, 1)
    assert observed["last_state"] == "COMPLETE"
    graph = client.lineage.graph(product, direction=Direction.DOWNSTREAM)
    names = {node["name"] for node in graph["nodes"]}
    assert {f"{product}.v1", job} <= names
    assert "raw.readings" not in names  # upstream of the job, not downstream of the product
    assert any(edge["kind"] == "consumes" for edge in graph["edges"])
    everything = client.lineage.graph()
    assert "raw.readings" in {node["name"] for node in everything["nodes"]}

    impact = client.lineage.impact(product)
    assert impact["product"] == f"{product}.v1"
    assert [(item["name"], item["depth"]) for item in impact["dependents"]] == [(job, 1)]
    exported = {event["job"]["name"]: event for event in client.lineage.export()}
    assert f"{product}.v1" in {dataset["name"] for dataset in exported[job]["inputs"]}


def test_depth_limits_the_walk(client: MeshClient, tmp_path: Path) -> None:
    product = publish_product(client, tmp_path)
    client.lineage.record_run(_run(unique("near"), f"{product}.v1"))
    alone = client.lineage.graph(product, direction=Direction.UPSTREAM, depth=1)
    assert [node["name"] for node in alone["nodes"]] == [f"{product}.v1"]
    assert alone["edges"] == []


@pytest.mark.parametrize("depth", [0, 101])
def test_a_depth_out_of_range_is_refused_alike(
    client: MeshClient, tmp_path: Path, depth: int
) -> None:
    product = publish_product(client, tmp_path)
    with pytest.raises(ArgumentOutOfRange, match=r"depth .* give 1 to 100 hops"):
        client.lineage.graph(product, depth=depth)


def test_an_unknown_product_is_refused_alike(client: MeshClient) -> None:
    missing = f"{unique('nodomain')}.nothing"
    with pytest.raises(ProductNotFound):
        client.lineage.graph(missing)
    with pytest.raises(ProductNotFound):
        client.lineage.impact(missing)
