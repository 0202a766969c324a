"""``InProcessLineage``: the lineage client over a mesh opened in this process."""

from __future__ import annotations

from typing import Any

from streammesh.lineage import Direction, MeshLineage, OpenLineageRuns, RunEvent, dependents
from streammesh.runtime import MeshRuntime
from streammesh.sdk.lineage import check_depth

__all__ = ["InProcessLineage"]


class InProcessLineage:
    """The lineage of ``runtime``."""

    def __init__(self, runtime: MeshRuntime) -> None:
        self._lineage: MeshLineage = runtime.lineage
        # The runtime builds its lineage on the store, so the runs are always there.
        self._runs = runtime.lineage.runs or OpenLineageRuns(runtime.store)

    def graph(
        self,
        product: str | None = None,
        *,
        direction: Direction = Direction.BOTH,
        depth: int | None = None,
    ) -> dict[str, Any]:
        check_depth(depth)
        if product is None:
            return self._lineage.graph().document()
        return self._lineage.around(product, direction, depth).document()

    def impact(self, product: str) -> dict[str, Any]:
        reference = self._lineage.plane.product(product).reference
        found = dependents(self._lineage, reference)
        return {"product": reference, "dependents": [item.document() for item in found]}

    def export(self) -> list[dict[str, Any]]:
        return self._lineage.export()

    def record_run(self, event: RunEvent) -> dict[str, Any]:
        return self._runs.record(event).document()
