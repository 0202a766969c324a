"""The lineage view's layout: columns by depth from the sources, sinks last, product nodes
linking to their pages."""

from __future__ import annotations

from streammesh.lineage import Activity, Edge, EdgeKind, LineageGraph, Node, NodeKind, Origin
from streammesh.server.ui.lineage import graph_view, layers


def _node(kind: NodeKind, name: str) -> Node:
    return Node(f"{kind.value}:{name}", kind, name)


def _edge(source: Node, target: Node, kind: EdgeKind) -> Edge:
    return Edge(source.id, target.id, kind, frozenset({Origin.DECLARED}))


SOURCE = _node(NodeKind.DATASET, "crm/customers")
INGEST = _node(NodeKind.APPLICATION, "ingest")
ORDERS = _node(NodeKind.PRODUCT, "shop.orders.v1")
ENRICH = _node(NodeKind.APPLICATION, "enricher")
ENRICHED = _node(NodeKind.PRODUCT, "shop.enriched.v1")
WAREHOUSE = _node(NodeKind.DATASET, "dwh/orders")
LONELY = _node(NodeKind.PRODUCT, "hr.people.v1")


def _mesh() -> LineageGraph:
    return LineageGraph.of(
        [SOURCE, INGEST, ORDERS, ENRICH, ENRICHED, WAREHOUSE, LONELY],
        [
            _edge(SOURCE, INGEST, EdgeKind.READS_FROM),
            _edge(INGEST, ORDERS, EdgeKind.PRODUCES),
            _edge(ORDERS, ENRICH, EdgeKind.CONSUMES),
            _edge(ENRICH, ENRICHED, EdgeKind.PRODUCES),
            _edge(ORDERS, ENRICHED, EdgeKind.DERIVES),
            _edge(ORDERS, WAREHOUSE, EdgeKind.WRITES_TO),  # a sink fed early
        ],
    )


def test_columns_run_from_sources_through_derived_products_to_sinks() -> None:
    columns = layers(_mesh())

    assert columns == {
        SOURCE.id: 0,
        INGEST.id: 1,
        ORDERS.id: 2,
        ENRICH.id: 3,
        ENRICHED.id: 4,  # right of the application that makes it, not just of its upstream
        WAREHOUSE.id: 4,  # sinks in the last column
        LONELY.id: 0,
    }


def test_a_cycle_stays_within_the_graph() -> None:
    loop = _node(NodeKind.APPLICATION, "loop")
    graph = LineageGraph.of(
        [ORDERS, loop],
        [_edge(ORDERS, loop, EdgeKind.CONSUMES), _edge(loop, ORDERS, EdgeKind.PRODUCES)],
    )

    assert set(layers(graph).values()) <= {0, 1}


def test_only_products_link_to_a_page() -> None:
    view = graph_view(_mesh())

    links = {node["name"]: node["href"] for node in view["nodes"]}
    assert links["shop.orders.v1"] == "/ui/products/shop.orders.v1"
    assert links["ingest"] is None and links["crm/customers"] is None
    assert [node["layer"] for node in view["nodes"]] == sorted(
        node["layer"] for node in view["nodes"]
    )
    assert {
        "source": ORDERS.id,
        "target": ENRICHED.id,
        "kind": "derives",
        "label": "derives (declared upstream)",
        "lag": None,
    } in view["edges"]


def test_edges_say_their_kind_a_declared_upstream_and_a_consumers_lag() -> None:
    lagging = Edge(
        ORDERS.id,
        ENRICH.id,
        EdgeKind.CONSUMES,
        frozenset({Origin.REGISTRATION}),
        Activity(lag=1200),
    )
    graph = LineageGraph.of(
        [INGEST, ORDERS, ENRICH, ENRICHED],
        [
            _edge(INGEST, ORDERS, EdgeKind.PRODUCES),
            lagging,
            _edge(ORDERS, ENRICHED, EdgeKind.DERIVES),
        ],
    )
    edges = {(edge["kind"], edge["label"], edge["lag"]) for edge in graph_view(graph)["edges"]}
    assert edges == {
        ("produces", "produces", None),
        ("consumes", "consumes · lag 1,200", 1200),
        ("derives", "derives (declared upstream)", None),
    }
