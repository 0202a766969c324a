"""The lineage graph view: the whole mesh, or one product's neighbourhood, as a layered graph.

The server places every node in a column (its depth: sources, then the products and
applications they feed, down to the sinks) and embeds the graph as JSON; the UI's own
script draws it as SVG. Without JavaScript the page lists the same nodes and edges.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from streammesh.control import ProductNotFound
from streammesh.lineage import (
    Dependent,
    Direction,
    Edge,
    EdgeKind,
    LineageGraph,
    NodeKind,
    Origin,
    dependents,
)
from streammesh.server.ui.not_found import close_products, not_found_page
from streammesh.server.ui.viewer import UI_PREFIX, Context, CurrentViewer, render

router = APIRouter(include_in_schema=False)


def layers(graph: LineageGraph) -> dict[str, int]:
    """Each node's column: the length of the longest path reaching it from a node without
    upstream (so a derived product sits right of the application that makes it), with
    external datasets that only receive data (sinks) in the last column.

    A cycle (an application that reads and writes the same product) cannot push nodes right
    forever: no node goes beyond one column per node of the graph.
    """
    depth = dict.fromkeys(graph.nodes, 0)
    limit = max(len(graph.nodes) - 1, 0)
    for _ in range(len(graph.nodes)):
        moved = False
        for edge in graph.edges:
            wanted = min(depth[edge.source] + 1, limit)
            if edge.source != edge.target and depth[edge.target] < wanted:
                depth[edge.target] = wanted
                moved = True
        if not moved:
            break
    last = max(depth.values(), default=0)
    senders = {edge.source for edge in graph.edges}
    receivers = {edge.target for edge in graph.edges}
    for node in graph.nodes.values():
        if node.kind is NodeKind.DATASET and node.id in receivers and node.id not in senders:
            depth[node.id] = last
    return depth


def graph_view(graph: LineageGraph) -> dict[str, Any]:
    """The JSON the page embeds: nodes with their column and the page they link to, and the
    edges."""
    columns = layers(graph)
    return {
        "center": graph.center,
        "nodes": [
            {
                **node.document(),
                "layer": columns[node.id],
                "href": f"{UI_PREFIX}/products/{quote(node.name)}"
                if node.kind is NodeKind.PRODUCT
                else None,
            }
            for node in sorted(graph.nodes.values(), key=lambda n: (columns[n.id], n.name))
        ],
        "edges": [
            {
                "source": edge.source,
                "target": edge.target,
                "kind": edge.kind.value,
                "label": edge_label(edge),
                "lag": edge.activity.lag if edge.kind is EdgeKind.CONSUMES else None,
            }
            for edge in graph.edges
        ],
    }


def edge_label(edge: Edge) -> str:
    """What the drawing writes on an edge: its kind (a product's declared upstream says so)
    and, on a consumer's edge, the events its group still has to read."""
    if edge.kind is EdgeKind.DERIVES and Origin.DECLARED in edge.origins:
        text = "derives (declared upstream)"
    else:
        text = edge.kind.value
    if edge.kind is EdgeKind.CONSUMES and edge.activity.lag is not None:
        text += f" · lag {edge.activity.lag:,}"
    return text


@router.get(f"{UI_PREFIX}/lineage", response_class=HTMLResponse)
def lineage_page(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    product: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
    tab: Literal["graph", "impact"] = "graph",
) -> HTMLResponse:
    """The lineage of the whole mesh, or of everything up- and downstream of ``product``;
    for a product, the Impact tab lists every dependent with its owner, as ``streammesh
    lineage impact`` does."""
    lineage = context.runtime.lineage
    impact: list[Dependent] | None = None
    reference = None
    try:
        graph = (
            lineage.graph() if product is None else lineage.around(product, Direction.BOTH, None)
        )
        if product is not None:
            reference = lineage.plane.product(product).reference
            if tab == "impact":
                impact = dependents(lineage, reference)
    except ProductNotFound:
        return not_found_page(
            request,
            f"There is no data product '{product}' to centre the lineage on.",
            suggestions=close_products(context, product or ""),
            link=f"{UI_PREFIX}/lineage?product=",
        )
    view = graph_view(graph)
    names = {node["id"]: node["name"] for node in view["nodes"]}
    return render(
        request,
        "lineage.html",
        viewer,
        title="Lineage" if product is None else f"Lineage of {product}",
        product=product,
        reference=reference,
        tab=tab if product is not None else "graph",
        impact=impact,
        graph=view,
        names=names,
    )
