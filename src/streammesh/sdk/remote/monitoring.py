"""``RemoteMonitoring``: the monitoring client over a server's ``/api/v1`` monitoring routes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from streammesh.sdk.monitoring import check_arguments
from streammesh.sdk.remote.wire import path_segment

if TYPE_CHECKING:
    from streammesh.sdk.remote.mesh import RemoteMesh

__all__ = ["RemoteMonitoring"]


class RemoteMonitoring:
    """Monitoring of the mesh ``mesh`` reaches (any token reads it)."""

    def __init__(self, mesh: RemoteMesh) -> None:
        self._mesh = mesh

    def metrics(self, product: str, *, window: int = 60) -> dict[str, Any]:
        check_arguments(window=window)
        found: dict[str, Any] = self._mesh.request(
            "GET",
            f"/products/{path_segment(product)}/metrics",
            reference=product,
            params={"window": window},
        )
        return found

    def lag(self, group: str, product: str | None = None) -> dict[str, Any]:
        params = {"product": product} if product else None
        found: dict[str, Any] = self._mesh.request(
            "GET", f"/groups/{path_segment(group)}/lag", reference=product or "", params=params
        )
        return found

    def caught_up(
        self, group: str, product: str, offsets: Mapping[int, int], *, wait: float = 0.0
    ) -> dict[str, Any]:
        check_arguments(wait=wait)
        body = {"product": product, "offsets": dict(offsets), "wait": wait}
        found: dict[str, Any] = self._mesh.request(
            "POST",
            f"/groups/{path_segment(group)}/caught-up",
            reference=product,
            body=body,
            wait=wait,
        )
        return found

    def check_slos(self, product: str | None = None) -> list[dict[str, Any]]:
        # The server's checker judges continuously; ask for what it recorded.
        params = {"product": product} if product else None
        found: list[dict[str, Any]] = self._mesh.request(
            "GET", "/slo", reference=product or "", params=params
        )
        return found
