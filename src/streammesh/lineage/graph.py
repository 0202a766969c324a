"""The lineage graph: products, applications and external datasets, joined by edges that
point the way data flows (``source`` is upstream of ``target``).

Node ids are stable text: ``product:<name>.v<N>``, ``application:<name>`` (an OpenLineage job
outside the mesh's namespace is ``application:<namespace>/<name>``) and
``dataset:<namespace>/<name>``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class NodeKind(StrEnum):
    """What a node stands for."""

    PRODUCT = "product"
    """A data product's major version, ``<name>.v<N>``."""
    APPLICATION = "application"
    """A producing or consuming application, a stream processor or an OpenLineage job."""
    DATASET = "dataset"
    """An external system's dataset: a source or a sink outside the mesh."""


class EdgeKind(StrEnum):
    """How two nodes are related. Edges point downstream whatever their kind."""

    PRODUCES = "produces"
    """application → product: the application writes the product's stream."""
    CONSUMES = "consumes"
    """product → application: the application reads the product's stream."""
    DERIVES = "derives"
    """product → product: the target declares the source among its upstreams."""
    READS_FROM = "reads-from"
    """dataset → application: a job reads an external dataset (a source)."""
    WRITES_TO = "writes-to"
    """application or product → dataset: data lands in an external system (a sink, a port)."""


class Origin(StrEnum):
    """Where the graph learned of an edge."""

    REGISTRATION = "registration"
    """An application registered with the product (SDK consumer, REST consume, producer)."""
    GRANT = "grant"
    """An active access grant to the application's service account."""
    DECLARED = "declared"
    """The product's descriptor (``upstreams``, ``ports``)."""
    OPENLINEAGE = "openlineage"
    """An OpenLineage run event."""


class Direction(StrEnum):
    """Which way to walk from a product."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class Activity:
    """What is known of an edge's traffic.

    Attributes:
        last_seen: When the edge was last observed (registration refresh, run event).
        active: Seen within the mesh's consumer-active window (``None``: no such notion).
        lag: Records the consumer group has still to read, by committed offsets against the
            topic's end offsets (``None``: not a consumer group, or unknown).
        rate: Events per second when measured (``None``: not known).
    """

    last_seen: datetime | None = None
    active: bool | None = None
    lag: int | None = None
    rate: float | None = None

    def document(self) -> dict[str, Any]:
        return {
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "active": self.active,
            "lag": self.lag,
            "rate": self.rate,
        }


@dataclass(frozen=True, slots=True)
class Node:
    """A node of the graph.

    Attributes:
        id: Stable id (see the module docstring).
        kind: Product, application or dataset.
        name: What people call it (``execution.stocktrades.v1``, ``fraud-detector``).
        namespace: The OpenLineage namespace of a job or dataset (``None`` for the mesh's own).
        team: The owning team (a product's team; an application's service-account team).
        contact: An e-mail to reach the owners.
        status: A product's lifecycle status.
    """

    id: str
    kind: NodeKind
    name: str
    namespace: str | None = None
    team: str | None = None
    contact: str | None = None
    status: str | None = None

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "name": self.name,
            "namespace": self.namespace,
            "team": self.team,
            "contact": self.contact,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Edge:
    """A downstream-pointing edge, with how it was learnt and its activity."""

    source: str
    target: str
    kind: EdgeKind
    origins: frozenset[Origin]
    activity: Activity = field(default_factory=Activity)

    def document(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "kind": self.kind.value,
            "origins": sorted(origin.value for origin in self.origins),
            "activity": self.activity.document(),
        }


def product_id(reference: str) -> str:
    """The node id of product version ``<name>.v<N>``."""
    return f"product:{reference}"


def application_id(name: str, namespace: str | None = None) -> str:
    """The node id of an application (or of an OpenLineage job outside the mesh's namespace)."""
    return f"application:{name}" if namespace is None else f"application:{namespace}/{name}"


def dataset_id(namespace: str, name: str) -> str:
    """The node id of an external dataset."""
    return f"dataset:{namespace}/{name}"


@dataclass(frozen=True, slots=True)
class LineageGraph:
    """An immutable lineage graph; :meth:`around` cuts a neighbourhood out of it.

    Attributes:
        center: The node a neighbourhood was cut around (``None`` for the whole mesh).
    """

    nodes: Mapping[str, Node]
    edges: tuple[Edge, ...]
    center: str | None = None

    @classmethod
    def of(
        cls, nodes: Iterable[Node], edges: Iterable[Edge], *, center: str | None = None
    ) -> LineageGraph:
        """A graph of ``nodes`` and the ``edges`` between them, sorted for stable output."""
        by_id = {node.id: node for node in sorted(nodes, key=lambda node: node.id)}
        kept = sorted(
            (edge for edge in edges if edge.source in by_id and edge.target in by_id),
            key=lambda edge: (edge.source, edge.target, edge.kind.value),
        )
        return cls(by_id, tuple(kept), center)

    def downstream_of(self, node_id: str) -> list[Edge]:
        """Edges leaving ``node_id``."""
        return [edge for edge in self.edges if edge.source == node_id]

    def upstream_of(self, node_id: str) -> list[Edge]:
        """Edges entering ``node_id``."""
        return [edge for edge in self.edges if edge.target == node_id]

    def distances(self, start: str, direction: Direction, depth: int | None) -> dict[str, int]:
        """Every node reachable from ``start`` walking ``direction`` (not both), with the
        number of hops to it, at most ``depth`` hops (``None``: no limit). Cycles are safe."""
        if direction is Direction.BOTH:
            raise ValueError("distances walk one direction; call it once per direction")
        found = {start: 0}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            hops = found[current]
            if depth is not None and hops >= depth:
                continue
            edges = (
                self.downstream_of(current)
                if direction is Direction.DOWNSTREAM
                else self.upstream_of(current)
            )
            for edge in edges:
                neighbour = edge.target if direction is Direction.DOWNSTREAM else edge.source
                if neighbour not in found:
                    found[neighbour] = hops + 1
                    queue.append(neighbour)
        return found

    def around(self, start: str, direction: Direction, depth: int | None) -> LineageGraph:
        """The part of the graph within ``depth`` hops of ``start`` in ``direction``: the
        reached nodes and the edges walked to reach them."""
        kept: set[str] = set()
        walked: list[Edge] = []
        for way in (Direction.UPSTREAM, Direction.DOWNSTREAM):
            if direction not in (way, Direction.BOTH):
                continue
            reached = self.distances(start, way, depth)
            kept.update(reached)
            for edge in self.edges:
                near, far = (
                    (edge.source, edge.target)
                    if way is Direction.DOWNSTREAM
                    else (edge.target, edge.source)
                )
                if near in reached and far in reached and reached[far] == reached[near] + 1:
                    walked.append(edge)
        kept.add(start)
        return LineageGraph.of((self.nodes[node] for node in kept), set(walked), center=start)

    def document(self) -> dict[str, Any]:
        """``{"center", "nodes", "edges"}``: the JSON of ``/api/v1/lineage`` and ``--json``."""
        return {
            "center": self.center,
            "nodes": [node.document() for node in self.nodes.values()],
            "edges": [edge.document() for edge in self.edges],
        }
