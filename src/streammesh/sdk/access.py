"""``AccessClient``: access requests and grants, in-process or through a server.

Every answer is the REST API's JSON document of an access request (an approved request is the
grant, same id): ``id``, ``principal`` (the application), ``product`` (``name.vN``),
``purpose``, ``classified``, ``state``, the moments and who decided or ended it.

In-process the mesh's operator acts (a platform admin's rights); through a server the token's
principal does, under the owners' rules of :mod:`streammesh.access.authority`.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from streammesh.access import AccessState, AclSyncReport


class AccessClient(Protocol):
    """Request read access to products for applications; approve, reject, revoke, list.

    Example:
        >>> with Mesh.open("/tmp/mesh") as mesh:  # doctest: +SKIP
        ...     asked = mesh.access.request(
        ...         "customers.profiles", "crm-sync", purpose="sync contacts", classified=True
        ...     )
        ...     mesh.access.approve(asked["id"], note="ok")
    """

    def requests(
        self,
        *,
        product: str | None = None,
        state: AccessState | None = None,
        principal: str | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Access requests and grants, oldest first (expiries that are due are recorded
        first); ``product`` is a name (every version) or ``name.vN``."""
        ...

    def get(self, request_id: str) -> dict[str, Any]:
        """One request or grant (``AccessRequestNotFound`` when unknown)."""
        ...

    def request(
        self, product: str, application: str, *, purpose: str, classified: bool = False
    ) -> dict[str, Any]:
        """Ask for ``application`` (a service account) to read ``product``; approved at once
        when the product needs no approval.

        Raises:
            ProductNotFound: No such product.
            AccountNotFound: No such application.
            InvalidAccessRequest: An empty purpose, or the application is no service account.
            AccessRefused: The product is deprecated or retired.
            AccessRequestExists: A pending request or an active grant covers it already.
            NotAllowedToDecide: The caller may not ask for this application.
        """
        ...

    def approve(
        self, request_id: str, *, note: str | None = None, expires_at: datetime | None = None
    ) -> dict[str, Any]:
        """Approve a pending request; the grant lasts until ``expires_at`` or revocation
        (``AccessStateError`` when it is not pending)."""
        ...

    def reject(self, request_id: str, *, note: str | None = None) -> dict[str, Any]:
        """Reject a pending request."""
        ...

    def revoke(self, grant_id: str, *, note: str | None = None) -> dict[str, Any]:
        """Revoke a grant at once."""
        ...

    def sync_acls(self, *, dry_run: bool = False) -> AclSyncReport:
        """Make the Kafka cluster's ACL bindings match the grants (``kafka.acls`` in
        ``mesh.yaml``); with ``dry_run`` only report what would change.

        Only on the mesh's host: it needs the cluster's admin credentials, which a server
        does not lend (a remote mesh raises ``NotServedRemotely``).

        Raises:
            ConfigError: ACL management is off for the mesh.
            LogError: The cluster cannot be reached or refused a binding.
        """
        ...
