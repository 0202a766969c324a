"""``RemoteAccess``: access requests and grants through a server's ``/api/v1/access``, decided
by the token's principal under the owners' rules."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from streammesh.sdk.errors import NotServedRemotely
from streammesh.sdk.remote.wire import path_segment

if TYPE_CHECKING:
    from streammesh.access import AccessState, AclSyncReport
    from streammesh.sdk.remote.mesh import RemoteMesh


class RemoteAccess:
    """:class:`~streammesh.sdk.access.AccessClient` over the REST API."""

    def __init__(self, mesh: RemoteMesh) -> None:
        self._mesh = mesh

    def requests(
        self,
        *,
        product: str | None = None,
        state: AccessState | None = None,
        principal: str | None = None,
    ) -> builtins.list[dict[str, Any]]:
        wanted = {"product": product, "principal": principal}
        params = {name: value for name, value in wanted.items() if value is not None}
        if state is not None:
            params["state"] = state.value
        found: builtins.list[dict[str, Any]] = self._mesh.request(
            "GET", "/access/requests", params=params
        )
        return found

    def get(self, request_id: str) -> dict[str, Any]:
        return self._ask("GET", f"/access/requests/{path_segment(request_id)}", request_id)

    def request(
        self, product: str, application: str, *, purpose: str, classified: bool = False
    ) -> dict[str, Any]:
        body = {
            "product": product,
            "application": application,
            "purpose": purpose,
            "classified": classified,
        }
        found: dict[str, Any] = self._mesh.request(
            "POST", "/access/requests", reference=product, body=body
        )
        return found

    def approve(
        self, request_id: str, *, note: str | None = None, expires_at: datetime | None = None
    ) -> dict[str, Any]:
        path = f"/access/requests/{path_segment(request_id)}/approve"
        return self._ask("POST", path, request_id, {"note": note, "expires_at": expires_at})

    def reject(self, request_id: str, *, note: str | None = None) -> dict[str, Any]:
        path = f"/access/requests/{path_segment(request_id)}/reject"
        return self._ask("POST", path, request_id, {"note": note})

    def revoke(self, grant_id: str, *, note: str | None = None) -> dict[str, Any]:
        path = f"/access/grants/{path_segment(grant_id)}/revoke"
        return self._ask("POST", path, grant_id, {"note": note})

    def sync_acls(self, *, dry_run: bool = False) -> AclSyncReport:
        raise NotServedRemotely(
            self._mesh.url,
            "the Kafka ACL sync",
            "it needs the cluster's admin credentials, which the server does not lend (it "
            "applies every grant change to the cluster's ACLs itself); run 'streammesh access "
            "sync --mesh DIR' on the mesh's host",
        )

    def _ask(
        self, method: str, path: str, request_id: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        # The id is what a refusal names (access-request-not-found).
        found: dict[str, Any] = self._mesh.request(method, path, reference=request_id, body=body)
        return found
