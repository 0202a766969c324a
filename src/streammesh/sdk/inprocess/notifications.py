"""``InProcessNotifications``: the notifications client over the mesh runtime's service."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streammesh.audit import AuditAction
    from streammesh.notify import ScopeKind
    from streammesh.runtime import MeshRuntime

INCIDENT_FIELDS = ("id", "type", "subject", "actor", "at", "note")
"""What the REST API answers of a declared incident's audit event (its ``before``/``after``
stay in the audit log), so both clients give the same document."""


class InProcessNotifications:
    """Subscriptions, inboxes, dead letters and incidents of a mesh opened in this process.

    The mesh's operator acts: every subscription and inbox is reachable; ``actor`` is who the
    audit log records, the default subscriber and the default inbox.
    """

    def __init__(self, runtime: MeshRuntime, actor: str) -> None:
        self._service = runtime.notifications
        self._actor = actor

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
        created = self._service.subscribe(
            subscriber or self._actor,
            scope,
            target,
            events=events,
            webhook_url=webhook_url,
            email=email,
            inbox=inbox,
            actor=self._actor,
        )
        return created.document(reveal_secret=True)

    def subscriptions(self, *, subscriber: str | None = None) -> builtins.list[dict[str, Any]]:
        """See :meth:`NotificationsClient.subscriptions`."""
        return [sub.document() for sub in self._service.subscriptions.list(subscriber=subscriber)]

    def unsubscribe(self, subscription_id: str) -> dict[str, Any]:
        """See :meth:`NotificationsClient.unsubscribe`."""
        return self._service.unsubscribe(subscription_id, actor=self._actor).document()

    def inbox(
        self, principal: str | None = None, *, unread_only: bool = False, limit: int = 100
    ) -> builtins.list[dict[str, Any]]:
        """See :meth:`NotificationsClient.inbox`."""
        items = self._service.inbox(principal or self._actor, unread_only=unread_only, limit=limit)
        return [item.document() for item in items]

    def mark_read(self, item_id: int, principal: str | None = None) -> dict[str, Any]:
        """See :meth:`NotificationsClient.mark_read`."""
        return self._service.mark_read(principal or self._actor, item_id).document()

    def dead_letters(self) -> builtins.list[dict[str, Any]]:
        """See :meth:`NotificationsClient.dead_letters`."""
        return [delivery.document() for delivery in self._service.dead_letters()]

    def redrive(self, delivery_id: str) -> dict[str, Any]:
        """See :meth:`NotificationsClient.redrive`."""
        return self._service.redrive(delivery_id).document()

    def declare_incident(self, product: str, *, message: str) -> dict[str, Any]:
        """See :meth:`NotificationsClient.declare_incident`."""
        record = self._service.declare_incident(product, message=message, actor=self._actor)
        document = record.document()
        return {name: document[name] for name in INCIDENT_FIELDS}
