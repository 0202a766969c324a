"""``RemotePrivacy``: crypto-shredding through a server's REST API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streammesh.sdk.remote.wire import path_segment

if TYPE_CHECKING:
    from streammesh.sdk.remote.mesh import RemoteMesh


class RemotePrivacy:
    """Forget entities through ``POST /api/v1/products/{reference}/forget``, as the token's
    principal."""

    def __init__(self, mesh: RemoteMesh) -> None:
        self._mesh = mesh

    def forget(self, product: str, key: str) -> dict[str, Any]:
        """See :meth:`PrivacyClient.forget`."""
        path = f"/products/{path_segment(product)}/forget"
        answer: dict[str, Any] = self._mesh.request(
            "POST", path, reference=product, body={"key": key}
        )
        return answer
