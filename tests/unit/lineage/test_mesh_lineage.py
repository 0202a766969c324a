"""The lineage of a real mesh: registrations, grants, declarations, lag, OpenLineage runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streammesh.access import AccessService, Caller
from streammesh.control import ProductNotFound
from streammesh.identity import AccountKind, AccountStore, Role
from streammesh.lineage import (
    DatasetRef,
    Dependent,
    Direction,
    EdgeKind,
    JobRef,
    MeshLineage,
    Origin,
    RunEvent,
    RunState,
    application_id,
    dataset_id,
    impact,
    product_id,
)
from streammesh.sdk.local import InProcessMesh
from tests.unit.lineage.world import DAILY, TRADES, VOLUMES, open_world


def _lineage(mesh: InProcessMesh) -> MeshLineage:
    return MeshLineage(mesh.local.plane, mesh.local.store, mesh.local.log)


def _edges(lineage: MeshLineage) -> set[tuple[str, str, EdgeKind]]:
    return {(edge.source, edge.target, edge.kind) for edge in lineage.graph().edges}


def test_graph_holds_registered_consumers_derived_products_and_ports(
    world: InProcessMesh,
) -> None:
    edges = _edges(_lineage(world))
    assert edges == {
        (product_id(f"{TRADES}.v1"), application_id("fraud-detector"), EdgeKind.CONSUMES),
        (product_id(f"{TRADES}.v1"), product_id(f"{VOLUMES}.v1"), EdgeKind.DERIVES),
        (product_id(f"{VOLUMES}.v1"), product_id(f"{DAILY}.v1"), EdgeKind.DERIVES),
        (product_id(f"{DAILY}.v1"), application_id("dashboard"), EdgeKind.CONSUMES),
        (product_id(f"{TRADES}.v1"), dataset_id("parquet", "s3://lake/trades"), EdgeKind.WRITES_TO),
    }


def test_registered_producer_is_upstream(world: InProcessMesh) -> None:
    from streammesh.control.records import ApplicationRole

    world.local.plane.register_application(
        TRADES, "trade-capture", role=ApplicationRole.PRODUCER, principal="tester"
    )
    up = _lineage(world).around(TRADES, Direction.UPSTREAM, None)
    assert [(e.source, e.kind) for e in up.edges] == [
        (application_id("trade-capture"), EdgeKind.PRODUCES)
    ]


def test_downstream_and_upstream_follow_depth(world: InProcessMesh) -> None:
    lineage = _lineage(world)
    one = lineage.around(TRADES, Direction.DOWNSTREAM, 1)
    assert {node.name for node in one.nodes.values()} == {
        f"{TRADES}.v1",
        f"{VOLUMES}.v1",
        "fraud-detector",
        "s3://lake/trades",
    }
    every = lineage.around(TRADES, Direction.DOWNSTREAM, None)
    assert {f"{DAILY}.v1", "dashboard"} <= {node.name for node in every.nodes.values()}
    up = lineage.around(DAILY, Direction.UPSTREAM, 2)
    assert {node.name for node in up.nodes.values()} == {
        f"{DAILY}.v1",
        f"{VOLUMES}.v1",
        f"{TRADES}.v1",
    }
    assert {node.name for node in lineage.around(DAILY, Direction.UPSTREAM, 1).nodes.values()} == {
        f"{DAILY}.v1",
        f"{VOLUMES}.v1",
    }


def test_impact_lists_every_dependent_with_owners(world: InProcessMesh) -> None:
    found = impact(world.local.plane, f"{TRADES}.v1", store=world.local.store)
    assert found == [
        Dependent("application", "fraud-detector", "risk-team", "risk@example.com", 1),
        Dependent("product", f"{VOLUMES}.v1", "analytics-team", "bob@example.com", 1),
        Dependent("product", f"{DAILY}.v1", "reporting-team", "cy@example.com", 2),
        Dependent("application", "dashboard", None, None, 3),
    ]
    # The contract's call, with the control plane alone: registrations and declarations.
    assert [item.name for item in impact(world.local.plane, TRADES)] == [
        "fraud-detector",
        f"{VOLUMES}.v1",
        f"{DAILY}.v1",
        "dashboard",
    ]
    assert impact(world.local.plane, DAILY) == [
        Dependent("application", "dashboard", None, None, 1)
    ]
    with pytest.raises(ProductNotFound):
        impact(world.local.plane, "execution.nothing")


def test_lag_by_offsets_appears_after_consuming_part_of_the_topic(world: InProcessMesh) -> None:
    with world.producer(TRADES) as producer:
        for number in range(10):
            producer.send({"id": f"t{number}", "amount": float(number)})
        producer.flush()
    with world.consumer(TRADES, "fraud-detector") as reader:
        assert len(reader.take(4)) == 4
        reader.commit()
    (edge,) = [
        edge
        for edge in _lineage(world).graph().edges
        if edge.target == application_id("fraud-detector")
    ]
    assert edge.activity.lag == 6
    assert edge.activity.active is True and edge.activity.last_seen is not None


def test_an_active_grant_is_a_consumer_until_revoked(world: InProcessMesh) -> None:
    AccountStore(world.local.store).create(
        "settlement", AccountKind.SERVICE_ACCOUNT, team="risk-team", actor="tester"
    )
    access = AccessService(world.local.store, world.local.plane)
    admin = Caller("admin", Role.PLATFORM_ADMIN)
    granted = access.request(
        VOLUMES, "settlement", purpose="settle", classified=False, caller=admin
    )
    lineage = _lineage(world)
    (edge,) = [e for e in lineage.graph().edges if e.target == application_id("settlement")]
    assert edge.origins == frozenset({Origin.GRANT}) and edge.kind is EdgeKind.CONSUMES
    assert Dependent("application", "settlement", "risk-team", "risk@example.com", 1) in impact(
        world.local.plane, VOLUMES, store=world.local.store
    )
    access.revoke(granted.id, caller=admin)
    assert application_id("settlement") not in lineage.graph().nodes


def test_openlineage_runs_join_the_graph(world: InProcessMesh) -> None:
    lineage = _lineage(world)
    assert lineage.runs is not None
    job = JobRef("airflow", "trades_to_warehouse")
    start = datetime(2027, 1, 4, 9, tzinfo=UTC)
    run = RunEvent(
        RunState.START,
        start,
        "0b8f3f7e-3c2a-4f5e-9d1a-2b3c4d5e6f70",
        job,
        (DatasetRef("kafka://broker:9092", f"{TRADES}.v1"),),
        (DatasetRef("postgres://warehouse:5432", "dw.trades"),),
        "https://example.com/airflow",
    )
    lineage.runs.record(run)
    done = lineage.runs.record(
        RunEvent(
            RunState.COMPLETE, start + timedelta(minutes=5), run.run_id, job, (), (), run.producer
        )
    )
    assert done.last_state is RunState.COMPLETE and done.runs == 1
    assert done.inputs == run.inputs and done.outputs == run.outputs
    edges = _edges(lineage)
    node = application_id("trades_to_warehouse", "airflow")
    assert (product_id(f"{TRADES}.v1"), node, EdgeKind.CONSUMES) in edges
    assert (node, dataset_id("postgres://warehouse:5432", "dw.trades"), EdgeKind.WRITES_TO) in edges
    assert "trades_to_warehouse" in [
        item.name for item in impact(world.local.plane, TRADES, store=world.local.store)
    ]


def test_a_late_start_does_not_undo_a_complete(world: InProcessMesh) -> None:
    runs = _lineage(world).runs
    assert runs is not None
    job = JobRef("spark", "volumes")
    at = datetime(2027, 1, 4, 9, tzinfo=UTC)
    runs.record(RunEvent(RunState.COMPLETE, at, "r1", job, (), (), "https://x.io"))
    late = runs.record(
        RunEvent(RunState.START, at - timedelta(minutes=1), "r1", job, (), (), "https://x.io")
    )
    assert late.last_state is RunState.COMPLETE and late.first_seen == at - timedelta(minutes=1)


def test_lineage_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    mesh = open_world(tmp_path / "mesh", store_url=postgres_url)
    try:
        lineage = _lineage(mesh)
        assert lineage.runs is not None
        lineage.runs.record(
            RunEvent(
                RunState.START,
                datetime(2027, 1, 4, tzinfo=UTC),
                "r1",
                JobRef("streammesh", "fraud-detector"),
                (),
                (DatasetRef("s3", "alerts"),),
                "https://x.io",
            )
        )
        # A job in the mesh's namespace is the registered application of the same name.
        found = impact(mesh.local.plane, TRADES, store=mesh.local.store)
        assert [item.name for item in found if item.kind == "application"] == [
            "fraud-detector",
            "dashboard",
        ]
        assert (
            application_id("fraud-detector"),
            dataset_id("s3", "alerts"),
            EdgeKind.WRITES_TO,
        ) in _edges(lineage)
    finally:
        mesh.close()
