"""``RemoteNotifications``: the notifications client over a server's REST API."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from streammesh.notify import InvalidIncident
from streammesh.sdk.errors import RemoteRequestFailed
from streammesh.sdk.notifications import InboxOfAnother
from streammesh.sdk.remote.wire import path_segment

if TYPE_CHECKING:
    from streammesh.audit import AuditAction
    from streammesh.notify import ScopeKind
    from streammesh.sdk.remote.mesh import RemoteMesh

_INVALID_REQUEST = "invalid-request"


class RemoteNotifications:
    """Subscriptions, the inbox, dead letters and incidents through ``/api/v1``, as the
    token's principal."""

    def __init__(self, mesh: RemoteMesh) -> None:
        self._mesh = mesh

    def subscribe(
        self,
        subscriber: str | None,
        scope: ScopeKind,
        target: str | None = None,
        *,
        events: Sequence[AuditAction] = (),
        webhook_url: str | None = None,
        email: str | None = None,
        inbox: bool = False,
    ) -> dict[str, Any]:
        """See :meth:`NotificationsClient.subscribe`."""
        body = {
            "subscriber": subscriber,
            "scope": scope.value,
            "target": target,
            "events": [action.value for action in events],
            "webhook_url": webhook_url,
            "email": email,
            "inbox": inbox,
        }
        answer: dict[str, Any] = self._mesh.request(
            "POST", "/subscriptions", reference=target or "", body=body
        )
        return answer

    def subscriptions(self, *, subscriber: str | None = None) -> builtins.list[dict[str, Any]]:
        """See :meth:`NotificationsClient.subscriptions`."""
        params = {"subscriber": subscriber} if subscriber is not None else {"all": "true"}
        answer: list[dict[str, Any]] = self._mesh.request("GET", "/subscriptions", params=params)
        return answer

    def unsubscribe(self, subscription_id: str) -> dict[str, Any]:
        """See :meth:`NotificationsClient.unsubscribe`."""
        path = f"/subscriptions/{path_segment(subscription_id)}"
        answer: dict[str, Any] = self._mesh.request("DELETE", path, reference=subscription_id)
        return answer

    def inbox(
        self, principal: str | None = None, *, unread_only: bool = False, limit: int = 100
    ) -> builtins.list[dict[str, Any]]:
        """See :meth:`NotificationsClient.inbox`."""
        self._own_inbox(principal)
        params = {"unread": "true" if unread_only else "false", "limit": limit}
        answer: list[dict[str, Any]] = self._mesh.request("GET", "/inbox", params=params)
        return answer

    def mark_read(self, item_id: int, principal: str | None = None) -> dict[str, Any]:
        """See :meth:`NotificationsClient.mark_read`."""
        self._own_inbox(principal)
        path = f"/inbox/{item_id}/read"
        answer: dict[str, Any] = self._mesh.request("POST", path, reference=str(item_id))
        return answer

    def dead_letters(self) -> builtins.list[dict[str, Any]]:
        """See :meth:`NotificationsClient.dead_letters`."""
        answer: list[dict[str, Any]] = self._mesh.request("GET", "/notifications/dead-letters")
        return answer

    def redrive(self, delivery_id: str) -> dict[str, Any]:
        """See :meth:`NotificationsClient.redrive`."""
        path = f"/notifications/dead-letters/{path_segment(delivery_id)}/redrive"
        answer: dict[str, Any] = self._mesh.request("POST", path, reference=delivery_id)
        return answer

    def declare_incident(self, product: str, *, message: str) -> dict[str, Any]:
        """See :meth:`NotificationsClient.declare_incident`."""
        path = f"/products/{path_segment(product)}/incidents"
        try:
            answer: dict[str, Any] = self._mesh.request(
                "POST", path, reference=product, body={"message": message}
            )
        except RemoteRequestFailed as exc:
            # The route's body model refuses an empty or too long message before the service
            # sees it; that is the same mistake the service reports as InvalidIncident.
            if exc.code != _INVALID_REQUEST:
                raise
            raise InvalidIncident(product, _message_problem(message)) from None
        return answer

    def _own_inbox(self, principal: str | None) -> None:
        if principal is not None:
            raise InboxOfAnother(self._mesh.url, principal)


def _message_problem(message: str) -> str:
    if not message:
        return "is empty; say what consumers see and what to expect"
    return f"has {len(message)} characters, more than the server accepts"
