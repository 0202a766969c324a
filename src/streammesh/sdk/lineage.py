"""``LineageClient``: a mesh's lineage graph, impact analysis and OpenLineage runs.

The same operations in-process (:class:`~streammesh.sdk.inprocess.lineage.InProcessLineage`)
and through a server (:class:`~streammesh.sdk.remote.lineage.RemoteLineage`); both answer the
REST API's JSON documents (``/api/v1/lineage``, ``/api/v1/openlineage``) and raise the same
``MeshError`` classes (``ProductNotFound`` for an unknown product).

Example:
    >>> with Mesh.open("/tmp/mesh") as mesh:  # doctest: +SKIP
    ...     found = mesh.lineage.impact("execution.stocktrades")
    ...     [dependent["name"] for dependent in found["dependents"]]
    ['fraud-detector']
"""

from __future__ import annotations

from typing import Any, Protocol

from streammesh.lineage import Direction, RunEvent
from streammesh.sdk.errors import ArgumentOutOfRange

__all__ = ["MAX_DEPTH", "LineageClient", "check_depth"]

MAX_DEPTH = 100
"""The most hops a product's lineage walks (as the REST API allows)."""


class LineageClient(Protocol):
    """Who produces and consumes what, and what depends on a product."""

    def graph(
        self,
        product: str | None = None,
        *,
        direction: Direction = Direction.BOTH,
        depth: int | None = None,
    ) -> dict[str, Any]:
        """The lineage graph ``{center, nodes, edges}``: the whole mesh's, or around
        ``product`` (``name`` or ``name.vN``) walking ``direction`` at most ``depth`` hops
        (``None``: all).

        Raises:
            ArgumentOutOfRange: ``depth`` is not 1 to 100.
            ProductNotFound: No such product.
        """
        ...

    def impact(self, product: str) -> dict[str, Any]:
        """Everything downstream of ``product``, transitively, with owners and contacts:
        ``{product, dependents}``. ``ProductNotFound`` when there is no such product."""
        ...

    def export(self) -> list[dict[str, Any]]:
        """The graph's jobs and datasets as OpenLineage run events, one per application."""
        ...

    def record_run(self, event: RunEvent) -> dict[str, Any]:
        """Record an OpenLineage run event (its job becomes an application of the graph);
        answers the job as now known."""
        ...


def check_depth(depth: int | None) -> None:
    """Refuse a ``depth`` out of range the same way on both sides (a server answers 422).

    Raises:
        ArgumentOutOfRange: ``depth`` is not 1 to 100.
    """
    if depth is not None and not 1 <= depth <= MAX_DEPTH:
        raise ArgumentOutOfRange("depth", depth, 1, MAX_DEPTH, "hops")
