"""``NotificationService``: what the REST API and the CLI call — subscriptions, a
principal's inbox, the dead-letter list and incidents."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Sequence

from streammesh.audit import AuditAction, AuditRecord
from streammesh.control import ControlPlane
from streammesh.identity import AccountStore
from streammesh.log import LogError
from streammesh.notify.deliveries import Deliveries
from streammesh.notify.inbox import Inbox
from streammesh.notify.incidents import declare_incident
from streammesh.notify.model import Delivery, DeliveryState, InboxItem, ScopeKind, Subscription
from streammesh.notify.settings import NotifySettings
from streammesh.notify.subscriptions import Subscriptions
from streammesh.store import MetadataStore

_LOGGER = logging.getLogger(__name__)


class NotificationService:
    """The notifications of one mesh, for its interfaces.

    Example:
        >>> service = NotificationService(store, plane)
        >>> service.subscribe("analytics-team", ScopeKind.DOMAIN, "execution",
        ...                   email="analytics@example.com", actor="alice")
        >>> service.inbox("alice")
        []
    """

    def __init__(
        self, store: MetadataStore, plane: ControlPlane, settings: NotifySettings | None = None
    ) -> None:
        chosen = settings or NotifySettings()
        self._store = store
        self._plane = plane
        self.subscriptions = Subscriptions(store, targets=chosen.webhook_targets)
        """Add, list, get and remove subscriptions (use :meth:`subscribe` and
        :meth:`unsubscribe` to have the change on ``_mesh.events`` at once)."""
        self.deliveries = Deliveries(store, chosen)
        """Every delivery, the dead letters, re-driving."""
        self._inbox = Inbox(store)
        self._accounts = AccountStore(store)

    def subscribe(
        self,
        subscriber: str,
        scope: ScopeKind,
        target: str | None = None,
        *,
        events: Sequence[AuditAction] = (),
        webhook_url: str | None = None,
        email: str | None = None,
        inbox: bool = False,
        actor: str,
    ) -> Subscription:
        """Add a subscription (see :meth:`Subscriptions.add`) and relay its
        ``subscription.created`` event."""
        created = self.subscriptions.add(
            subscriber,
            scope,
            target,
            events=events,
            webhook_url=webhook_url,
            email=email,
            inbox=inbox,
            actor=actor,
        )
        self._relay()
        return created

    def unsubscribe(self, subscription_id: str, *, actor: str) -> Subscription:
        """Remove a subscription (``SubscriptionNotFound``) and relay its
        ``subscription.deleted`` event; returns what was removed."""
        removed = self.subscriptions.remove(subscription_id, actor=actor)
        self._relay()
        return removed

    def inbox(
        self, principal: str, *, unread_only: bool = False, limit: int = 100
    ) -> builtins.list[InboxItem]:
        """``principal``'s inbox items and its team's, newest first."""
        return self._inbox.items(self._recipients(principal), unread_only=unread_only, limit=limit)

    def mark_read(self, principal: str, item_id: int) -> InboxItem:
        """Mark one of ``principal``'s (or its team's) items read (``InboxItemNotFound``)."""
        return self._inbox.mark_read(item_id, self._recipients(principal), principal)

    def dead_letters(self) -> builtins.list[Delivery]:
        """Deliveries that failed every attempt, oldest first."""
        return self.deliveries.list(state=DeliveryState.DEAD)

    def redrive(self, delivery_id: str) -> Delivery:
        """Queue a dead letter again with fresh attempts (``DeliveryNotFound``)."""
        return self.deliveries.redrive(delivery_id)

    def declare_incident(self, product: str, *, message: str, actor: str) -> AuditRecord:
        """Declare an incident on a product (see :func:`declare_incident`)."""
        return declare_incident(self._store, self._plane, product, message=message, actor=actor)

    def _relay(self) -> None:
        try:
            self._plane.relay_events()
        except LogError as exc:  # recorded in the audit log; the next relay sends it
            _LOGGER.warning("subscription event not relayed yet (will retry): %s", exc)

    def _recipients(self, principal: str) -> list[str]:
        account = self._accounts.find(principal)
        team = account.team if account is not None else None
        return [principal, team] if team else [principal]
