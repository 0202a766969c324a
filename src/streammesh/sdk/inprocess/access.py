"""``InProcessAccess``: access requests and grants on a mesh opened in this process, decided
by the mesh's operator (a platform admin's rights: whoever opens the store could change it)."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from streammesh.access import AccessState, AclSyncReport, Caller, sync_acls
from streammesh.errors import ConfigError
from streammesh.identity import Role

if TYPE_CHECKING:
    from streammesh.runtime import MeshRuntime


class InProcessAccess:
    """:class:`~streammesh.sdk.access.AccessClient` over the runtime's access service.

    Args:
        runtime: The open mesh.
        actor: Who the audit log records as deciding (``cli:<user>``, ``sdk:<user>``).
    """

    def __init__(self, runtime: MeshRuntime, actor: str) -> None:
        self._runtime = runtime
        self._caller = Caller(actor, Role.PLATFORM_ADMIN)

    def requests(
        self,
        *,
        product: str | None = None,
        state: AccessState | None = None,
        principal: str | None = None,
    ) -> builtins.list[dict[str, Any]]:
        found = self._runtime.access.list(product=product, state=state, principal=principal)
        return [request.document() for request in found]

    def get(self, request_id: str) -> dict[str, Any]:
        return self._runtime.access.get(request_id).document()

    def request(
        self, product: str, application: str, *, purpose: str, classified: bool = False
    ) -> dict[str, Any]:
        created = self._runtime.access.request(
            product, application, purpose=purpose, classified=classified, caller=self._caller
        )
        return created.document()

    def approve(
        self, request_id: str, *, note: str | None = None, expires_at: datetime | None = None
    ) -> dict[str, Any]:
        approved = self._runtime.access.approve(
            request_id, caller=self._caller, note=note, expires_at=expires_at
        )
        return approved.document()

    def reject(self, request_id: str, *, note: str | None = None) -> dict[str, Any]:
        return self._runtime.access.reject(request_id, caller=self._caller, note=note).document()

    def revoke(self, grant_id: str, *, note: str | None = None) -> dict[str, Any]:
        return self._runtime.access.revoke(grant_id, caller=self._caller, note=note).document()

    def sync_acls(self, *, dry_run: bool = False) -> AclSyncReport:
        runtime = self._runtime
        if runtime.acls is None:
            raise ConfigError(
                f"ACL management is off for the mesh at {runtime.config.home}: set 'kafka: "
                "{acls: true}' in its mesh.yaml (the log must be Kafka) and run the sync again"
            )
        return sync_acls(runtime.access, runtime.plane, runtime.acls, dry_run=dry_run)
