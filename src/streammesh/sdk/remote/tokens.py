"""``RemoteTokens``: API tokens through a server's ``/api/v1/tokens``, managed by the token's
principal as its role allows."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from streammesh.sdk.remote.wire import path_segment

if TYPE_CHECKING:
    from streammesh.identity import Role
    from streammesh.sdk.remote.mesh import RemoteMesh


class RemoteTokens:
    """:class:`~streammesh.sdk.tokens.TokensClient` over the REST API."""

    def __init__(self, mesh: RemoteMesh) -> None:
        self._mesh = mesh

    def create(
        self,
        principal: str,
        role: Role,
        *,
        expires_at: datetime | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        body = {
            "principal": principal,
            "role": role.value,
            "description": description,
            "expires_at": expires_at,
        }
        found: dict[str, Any] = self._mesh.request("POST", "/tokens", body=body)
        return found

    def list(self) -> builtins.list[dict[str, Any]]:
        found: builtins.list[dict[str, Any]] = self._mesh.request("GET", "/tokens")
        return found

    def revoke(self, token_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._mesh.request(
            "DELETE", f"/tokens/{path_segment(token_id)}", reference=token_id
        )
        return found
