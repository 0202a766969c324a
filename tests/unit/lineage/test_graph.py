"""The graph's walks: depth, direction, cycles."""

from __future__ import annotations

import itertools

from streammesh.lineage import (
    Direction,
    Edge,
    EdgeKind,
    LineageGraph,
    Node,
    NodeKind,
    Origin,
    product_id,
)


def _chain(*names: str, cycle: bool = False) -> LineageGraph:
    nodes = [Node(product_id(name), NodeKind.PRODUCT, name) for name in names]
    pairs = list(itertools.pairwise(names))
    if cycle:
        pairs.append((names[-1], names[0]))
    edges = [
        Edge(product_id(a), product_id(b), EdgeKind.DERIVES, frozenset({Origin.DECLARED}))
        for a, b in pairs
    ]
    return LineageGraph.of(nodes, edges)


def test_downstream_walk_stops_at_depth_and_keeps_the_walked_edges() -> None:
    graph = _chain("a.a.v1", "b.b.v1", "c.c.v1", "d.d.v1")
    near = graph.around(product_id("b.b.v1"), Direction.DOWNSTREAM, 1)
    assert sorted(near.nodes) == [product_id("b.b.v1"), product_id("c.c.v1")]
    assert [(e.source, e.target) for e in near.edges] == [
        (product_id("b.b.v1"), product_id("c.c.v1"))
    ]
    assert near.center == product_id("b.b.v1")
    everything = graph.around(product_id("b.b.v1"), Direction.BOTH, None)
    assert len(everything.nodes) == 4 and len(everything.edges) == 3


def test_upstream_walk_counts_hops() -> None:
    graph = _chain("a.a.v1", "b.b.v1", "c.c.v1")
    hops = graph.distances(product_id("c.c.v1"), Direction.UPSTREAM, None)
    assert hops == {product_id("c.c.v1"): 0, product_id("b.b.v1"): 1, product_id("a.a.v1"): 2}


def test_a_cycle_ends_the_walk() -> None:
    graph = _chain("a.a.v1", "b.b.v1", "c.c.v1", cycle=True)
    hops = graph.distances(product_id("a.a.v1"), Direction.DOWNSTREAM, None)
    assert hops == {product_id("a.a.v1"): 0, product_id("b.b.v1"): 1, product_id("c.c.v1"): 2}
