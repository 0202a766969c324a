"""Impact analysis: every application and product downstream of a product, with whom to tell.

Deprecation and breaking changes use it to notify downstream owners; ``streammesh lineage
impact`` and ``GET /api/v1/lineage/impact`` show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from streammesh.control import ControlPlane
from streammesh.lineage.builder import MeshLineage
from streammesh.lineage.graph import Direction, NodeKind
from streammesh.store import MetadataStore


@dataclass(frozen=True, slots=True)
class Dependent:
    """Something downstream of a product.

    Attributes:
        kind: A consuming application, or a derived product.
        name: The application's name, or ``<name>.v<N>``.
        team: The owning team (a product's team; an application's service-account team).
        contact: An e-mail to notify (the product owner's, the application team's), if known.
        depth: Hops from the product: 1 is directly downstream.
    """

    kind: Literal["application", "product"]
    name: str
    team: str | None
    contact: str | None
    depth: int

    def document(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "team": self.team,
            "contact": self.contact,
            "depth": self.depth,
        }


def impact(
    plane: ControlPlane, product: str, *, store: MetadataStore | None = None
) -> list[Dependent]:
    """Every application and product downstream of ``product`` (``<name>.v<N>``, or a bare
    name for its current version), transitively, nearest first.

    Args:
        plane: The mesh's control plane.
        product: The product whose dependents are wanted.
        store: The metadata store; default: the control plane's. Grantees and OpenLineage
            jobs count too, and applications get their service account's team.

    Raises:
        ProductNotFound: No such product.
    """
    return dependents(MeshLineage(plane, store if store is not None else plane.store), product)


def dependents(lineage: MeshLineage, product: str) -> list[Dependent]:
    """:func:`impact` over an already opened :class:`MeshLineage`."""
    start = lineage.product_node(product)
    graph = lineage.graph()
    found = []
    for node_id, depth in graph.distances(start, Direction.DOWNSTREAM, None).items():
        node = graph.nodes[node_id]
        if node_id == start or node.kind is NodeKind.DATASET:
            continue
        kind: Literal["application", "product"] = (
            "product" if node.kind is NodeKind.PRODUCT else "application"
        )
        found.append(Dependent(kind, node.name, node.team, node.contact, depth))
    return sorted(found, key=lambda item: (item.depth, item.kind, item.name))
