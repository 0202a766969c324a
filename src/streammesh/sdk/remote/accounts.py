"""``RemoteAccounts``: users and service accounts through a server's ``/api/v1/principals``."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from streammesh.sdk.remote.wire import path_segment

if TYPE_CHECKING:
    from streammesh.identity import AccountKind
    from streammesh.sdk.remote.mesh import RemoteMesh


class RemoteAccounts:
    """:class:`~streammesh.sdk.accounts.AccountsClient` over the REST API."""

    def __init__(self, mesh: RemoteMesh) -> None:
        self._mesh = mesh

    def list(self, *, kind: AccountKind | None = None) -> builtins.list[dict[str, Any]]:
        params = {"kind": kind.value} if kind is not None else None
        found: builtins.list[dict[str, Any]] = self._mesh.request(
            "GET", "/principals", params=params
        )
        return found

    def get(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self._mesh.request(
            "GET", f"/principals/{path_segment(name)}", reference=name
        )
        return found

    def create(
        self, name: str, kind: AccountKind, *, team: str | None = None, description: str = ""
    ) -> dict[str, Any]:
        body = {"name": name, "kind": kind.value, "team": team, "description": description}
        found: dict[str, Any] = self._mesh.request("POST", "/principals", reference=name, body=body)
        return found
