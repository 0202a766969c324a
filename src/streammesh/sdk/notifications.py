"""``NotificationsClient``: subscriptions, the inbox, dead letters and incidents, in-process or
through a server.

Every answer is the REST API's JSON document: a subscription (``id``, ``subscriber``,
``scope``, ``target``, ``events``, ``webhook_url``, ``webhook_secret`` (only in the answer that
created it), ``email``, ``inbox``, ``created_at``, ``created_by``), an inbox item, a delivery
(a dead letter) or the recorded incident event (``id``, ``type``, ``subject``, ``actor``,
``at``, ``note``).

In-process the mesh's operator acts (it may do everything, and ``actor`` is recorded); through a
server the token's principal does: it manages its own subscriptions, a domain owner also those
of its teams, governance and platform admins everyone's and the dead letters.

Delivering notifications (``streammesh notify run``) is no part of the client: it runs where
the mesh's SMTP and webhook settings are, in the server or a local worker.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from streammesh.sdk.errors import RemoteError

if TYPE_CHECKING:
    from streammesh.audit import AuditAction
    from streammesh.notify import ScopeKind


class NotificationsClient(Protocol):
    """Subscribe to mesh events, read an inbox, handle dead letters, declare incidents.

    Example:
        >>> with Mesh.open("/tmp/mesh") as mesh:  # doctest: +SKIP
        ...     mesh.notifications.subscribe(
        ...         "analytics-team", ScopeKind.DOMAIN, "execution", email="a@example.com"
        ...     )
        ...     mesh.notifications.declare_incident("execution.trades", message="late data")
    """

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
        """Subscribe ``subscriber`` (a principal or team; ``None``: the caller) to a product's,
        a domain's or the mesh's events; the answer holds the webhook's signing secret.

        Raises:
            InvalidSubscription: No channel, a bad URL or address, an unknown target.
            RemotePermissionDenied: Through a server, the caller may not manage the
                subscriber's subscriptions.
        """
        ...

    def subscriptions(self, *, subscriber: str | None = None) -> builtins.list[dict[str, Any]]:
        """Subscriptions, oldest first: one subscriber's, or (``None``) every one (through a
        server only governance and platform admins list every one)."""
        ...

    def unsubscribe(self, subscription_id: str) -> dict[str, Any]:
        """Remove a subscription; returns what was removed (``SubscriptionNotFound``)."""
        ...

    def inbox(
        self, principal: str | None = None, *, unread_only: bool = False, limit: int = 100
    ) -> builtins.list[dict[str, Any]]:
        """The inbox items of ``principal`` (default: the caller) and of its team, newest
        first. Through a server the inbox is the token's principal's (``InboxOfAnother``
        when another is named)."""
        ...

    def mark_read(self, item_id: int, principal: str | None = None) -> dict[str, Any]:
        """Mark an item of ``principal``'s (default: the caller's) inbox read
        (``InboxItemNotFound``; ``InboxOfAnother`` as :meth:`inbox`)."""
        ...

    def dead_letters(self) -> builtins.list[dict[str, Any]]:
        """Deliveries that failed every attempt, oldest first (mesh-wide: governance and
        platform admins through a server)."""
        ...

    def redrive(self, delivery_id: str) -> dict[str, Any]:
        """Queue a dead letter again with fresh attempts (``DeliveryNotFound``)."""
        ...

    def declare_incident(self, product: str, *, message: str) -> dict[str, Any]:
        """Declare an incident on a product: its consumers and subscribers are notified.

        Raises:
            ProductNotFound: No such product.
            InvalidIncident: An empty message, or one over 4000 characters.
        """
        ...


class InboxOfAnother(RemoteError):
    """Through a server only the token's principal's inbox can be read or marked read."""

    def __init__(self, url: str, principal: str) -> None:
        self.url = url
        self.principal = principal
        super().__init__(
            f"the mesh at {url} shows only its token's own inbox, not '{principal}''s; use "
            "that principal's token, or read the inbox on the mesh's host"
        )


__all__ = ["InboxOfAnother", "NotificationsClient"]
