"""``RemoteLineage``: the lineage client over a server's ``/api/v1/lineage`` and
``/api/v1/openlineage`` routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streammesh.lineage import Direction, RunEvent, run_event_document
from streammesh.sdk.lineage import check_depth

if TYPE_CHECKING:
    from streammesh.sdk.remote.mesh import RemoteMesh

__all__ = ["RemoteLineage"]


class RemoteLineage:
    """The lineage of the mesh ``mesh`` reaches (any token reads it; recording runs needs a
    role that runs or owns pipelines)."""

    def __init__(self, mesh: RemoteMesh) -> None:
        self._mesh = mesh

    def graph(
        self,
        product: str | None = None,
        *,
        direction: Direction = Direction.BOTH,
        depth: int | None = None,
    ) -> dict[str, Any]:
        check_depth(depth)
        params: dict[str, Any] = {}
        if product is not None:
            params = {"product": product, "direction": direction.value}
        if product is not None and depth is not None:
            params["depth"] = depth
        found: dict[str, Any] = self._mesh.request(
            "GET", "/lineage", reference=product or "", params=params
        )
        return found

    def impact(self, product: str) -> dict[str, Any]:
        found: dict[str, Any] = self._mesh.request(
            "GET", "/lineage/impact", reference=product, params={"product": product}
        )
        return found

    def export(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._mesh.request("GET", "/openlineage/export")
        return found

    def record_run(self, event: RunEvent) -> dict[str, Any]:
        document = run_event_document(
            state=event.state,
            time=event.time,
            run_id=event.run_id,
            job=event.job,
            inputs=event.inputs,
            outputs=event.outputs,
            producer=event.producer,
        )
        found: dict[str, Any] = self._mesh.request("POST", "/openlineage", body=document)
        return found
