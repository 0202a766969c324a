"""The lineage of ``streammesh demo`` is the demo's traffic as it runs: the generator and
consumer threads the demo started are compared with the graph the mesh draws."""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from pathlib import Path

from streammesh.demo import LAKE, PRODUCTS, REFERENCE_APPS, Traffic, seed
from streammesh.lineage import EdgeKind, MeshLineage, NodeKind, Origin, product_id
from streammesh.products.descriptor import Status
from streammesh.sdk import Mesh

# Traffic names its threads after what they do (see streammesh.demo.traffic).
_GENERATOR = re.compile(r"^demo: generate (?P<product>\S+)$")
_CONSUMER = re.compile(r"^demo: (?P<app>\S+) reads (?P<product>\S+)$")
RUN_S = 3.0


def _name(node_id: str) -> str:
    return node_id.split(":", 1)[1]


def test_the_lineage_of_the_demo_is_the_applications_it_runs(tmp_path: Path) -> None:
    home = tmp_path / "mesh"
    home.mkdir()
    with Mesh.open(home, actor="demo") as mesh:
        seed(mesh, home / "demo-products")
        before = set(threading.enumerate())
        traffic = Traffic(mesh, rate=10.0, seed=6)
        traffic.start()
        try:
            time.sleep(RUN_S)
            started = [
                thread
                for thread in threading.enumerate()
                if thread not in before and thread.name.startswith("demo: ")
            ]
            assert all(thread.is_alive() for thread in started)
            graph = MeshLineage(mesh.local.plane, mesh.local.store, mesh.local.log).graph()
            records = {record.reference: record for record in mesh.local.plane.products()}
        finally:
            report = traffic.stop()

    generated = {m["product"] for t in started if (m := _GENERATOR.match(t.name))}
    reads: defaultdict[str, set[str]] = defaultdict(set)
    for match in filter(None, (_CONSUMER.match(thread.name) for thread in started)):
        reads[match["app"]].add(match["product"])
    assert len(started) == len(generated) + sum(map(len, reads.values())), started
    # The threads did the work: every generator produced and every consumer read.
    assert report.failures == ()
    assert set(report.produced) == generated
    assert set(report.consumed) == {(app, ref) for app, refs in reads.items() for ref in refs}
    producer_of = {product.reference: product.producer for product in PRODUCTS}

    assert {_name(n) for n, node in graph.nodes.items() if node.kind is NodeKind.PRODUCT} == set(
        records
    )
    applications = {node.name for node in graph.nodes.values() if node.kind is NodeKind.APPLICATION}
    # The reference stream applications (and the Parquet sink) are for a server to host; none
    # runs here, so they are in the graph by their grants alone.
    granted = {(case.name, ref) for case in REFERENCE_APPS for ref, _ in case.reads}
    granted.add((LAKE.name, LAKE.product))  # the Parquet sink, run by a server too
    # Producers are registered by the demo's seeding on purpose (SDK producers do not register
    # themselves); each is the service account behind a running generator.
    assert applications == (
        set(reads) | {producer_of[ref] for ref in generated} | {app for app, _ in granted}
    )
    assert not any(node.kind is NodeKind.DATASET for node in graph.nodes.values())

    edges = {(_name(e.source), _name(e.target), e.kind): e for e in graph.edges}
    consumed = {(target, source) for source, target, kind in edges if kind is EdgeKind.CONSUMES}
    assert consumed == {(app, ref) for app, refs in reads.items() for ref in refs} | granted
    produced = {(source, target) for source, target, kind in edges if kind is EdgeKind.PRODUCES}
    assert produced == {(producer_of[ref], ref) for ref in generated}
    for (source, target, kind), edge in edges.items():
        if kind is EdgeKind.CONSUMES and (target, source) in granted:
            assert edge.origins == {Origin.GRANT}, (source, target)
        elif kind is EdgeKind.CONSUMES:
            # Seen running (registration, with its lag by offsets) and allowed (grant).
            assert edge.origins == {Origin.REGISTRATION, Origin.GRANT}, (source, target)
            assert edge.activity.active is True and edge.activity.lag is not None
    derived = {(s, t) for s, t, kind in edges if kind is EdgeKind.DERIVES}
    declared = {(up, ref) for ref, rec in records.items() for up in rec.descriptor.upstreams}
    assert derived == declared

    # Page views v2 replaces v1 (it is not derived from it): v1 is deprecated in its favour,
    # keeps its legacy reader and generator, and new readers are on v2.
    v1, v2 = "edge.pageviews.v1", "edge.pageviews.v2"
    assert records[v1].status is Status.DEPRECATED and records[v1].replaced_by == v2
    assert graph.nodes[product_id(v1)].status == "deprecated"
    assert graph.nodes[product_id(v2)].status == "published"
    assert (v1, v2, EdgeKind.DERIVES) not in edges
    assert {app for app, refs in reads.items() if v1 in refs} == {"legacy-dashboard"}
    assert {v1, v2} <= generated
