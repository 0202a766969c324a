"""``Subscriptions``: add, list, get and remove who wants to hear about what.

Adding and removing are audited (``subscription.created`` / ``subscription.deleted``) in the
same transaction as the change, so they reach ``_mesh.events`` with the next relay; the
webhook's signing secret never appears in them."""

from __future__ import annotations

import builtins
import json
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.notify import tables
from streammesh.notify.errors import InvalidSubscription, SubscriptionNotFound
from streammesh.notify.model import ScopeKind, Subscription
from streammesh.notify.targets import WebhookTargets
from streammesh.store import MetadataStore

SUBSCRIPTIONS_LOCK = "notify-subscriptions"


class Subscriptions:
    """The subscriptions of one mesh.

    Example:
        >>> subs = Subscriptions(store)
        >>> sub = subs.add("analytics-team", ScopeKind.PRODUCT, "execution.stocktrades",
        ...     webhook_url="https://hooks.example.com/mesh", actor="alice")
        >>> sub.webhook_secret  # shown once: the receiver checks signatures with it
        'whsec_...'
    """

    def __init__(
        self,
        store: MetadataStore,
        clock: Callable[[], datetime] | None = None,
        *,
        targets: WebhookTargets | None = None,
    ) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))
        self._targets = targets or WebhookTargets()
        self._audit = AuditLog(store)

    def add(
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
        """Store a subscription (audited); a webhook gets a fresh signing secret.

        Raises:
            InvalidSubscription: No channel, an empty subscriber, a target missing (or given
                for the whole mesh), a URL that is not http(s), an address without ``@``, or
                an unknown event type; nothing is written.
            WebhookTargetRefused: The webhook's host is (or resolves to) a loopback,
                link-local, private or other non-public address that ``mesh.yaml`` does not
                allow; nothing is written.
        """
        _check(subscriber, scope, target, webhook_url, email, inbox)
        if webhook_url is not None:
            self._targets.check(webhook_url)
        kinds = tuple(dict.fromkeys(_action(value) for value in events))
        subscription = Subscription(
            id=secrets.token_hex(8),
            subscriber=subscriber.strip(),
            scope=ScopeKind(scope),
            target=target.strip() if target else None,
            events=kinds,
            webhook_url=webhook_url,
            webhook_secret=f"whsec_{secrets.token_urlsafe(24)}" if webhook_url else None,
            email=email,
            inbox=inbox,
            created_at=self._clock(),
            created_by=actor,
        )
        with self._store.write(SUBSCRIPTIONS_LOCK) as connection:
            connection.execute(tables.subscriptions.insert().values(**_values(subscription)))
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.SUBSCRIPTION_CREATED,
                    f"subscription:{subscription.id}",
                    actor,
                    after=subscription.document(),
                ),
                at=subscription.created_at,
            )
        return subscription

    def get(self, subscription_id: str) -> Subscription:
        """One subscription (``SubscriptionNotFound`` when unknown)."""
        query = sa.select(tables.subscriptions).where(tables.subscriptions.c.id == subscription_id)
        with self._store.read() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            raise SubscriptionNotFound(subscription_id)
        return _subscription(row)

    def list(self, *, subscriber: str | None = None) -> builtins.list[Subscription]:
        """Every subscription (or one subscriber's), oldest first."""
        query = sa.select(tables.subscriptions).order_by(
            tables.subscriptions.c.created_at, tables.subscriptions.c.id
        )
        if subscriber is not None:
            query = query.where(tables.subscriptions.c.subscriber == subscriber)
        with self._store.read() as connection:
            return [_subscription(row) for row in connection.execute(query).mappings()]

    def of(self, subscribers: Sequence[str]) -> builtins.list[Subscription]:
        """The subscriptions of any of ``subscribers`` (teams a directed notice goes to)."""
        if not subscribers:
            return []
        query = (
            sa.select(tables.subscriptions)
            .where(tables.subscriptions.c.subscriber.in_(list(subscribers)))
            .order_by(tables.subscriptions.c.created_at, tables.subscriptions.c.id)
        )
        with self._store.read() as connection:
            return [_subscription(row) for row in connection.execute(query).mappings()]

    def remove(self, subscription_id: str, *, actor: str) -> Subscription:
        """Delete a subscription (audited); returns it (``SubscriptionNotFound`` when
        unknown)."""
        found = self.get(subscription_id)
        with self._store.write(SUBSCRIPTIONS_LOCK) as connection:
            deleted = connection.execute(
                tables.subscriptions.delete().where(tables.subscriptions.c.id == subscription_id)
            )
            if deleted.rowcount == 0:  # removed by someone else meanwhile
                raise SubscriptionNotFound(subscription_id)
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.SUBSCRIPTION_DELETED,
                    f"subscription:{subscription_id}",
                    actor,
                    before=found.document(),
                ),
                at=self._clock(),
            )
        return found


def _check(
    subscriber: str,
    scope: ScopeKind,
    target: str | None,
    webhook_url: str | None,
    email: str | None,
    inbox: bool,
) -> None:
    if not isinstance(subscriber, str) or not subscriber.strip():
        raise InvalidSubscription("subscriber", "is empty; name a principal or a team")
    try:
        kind = ScopeKind(scope)
    except ValueError:
        names = ", ".join(item.value for item in ScopeKind)
        raise InvalidSubscription("scope", f"is {scope!r}; use one of {names}") from None
    if kind is ScopeKind.MESH and target:
        raise InvalidSubscription("target", "is given for the whole mesh; leave it out")
    if kind is not ScopeKind.MESH and not (target and target.strip()):
        raise InvalidSubscription("target", f"is missing; name the {kind.value}")
    if not (webhook_url or email or inbox):
        raise InvalidSubscription(
            "channels", "are all off; give a webhook URL, an e-mail address or the inbox"
        )
    if webhook_url is not None:
        parts = urlsplit(webhook_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidSubscription(
                "webhook_url", f"is {webhook_url!r}; give an http:// or https:// URL"
            )
    if email is not None and ("@" not in email or any(c.isspace() for c in email)):
        raise InvalidSubscription("email", f"is {email!r}; give an address like ops@example.com")


def _action(value: AuditAction | str) -> AuditAction:
    try:
        return AuditAction(value)
    except ValueError:
        known = ", ".join(action.value for action in AuditAction)
        raise InvalidSubscription(
            "events", f"holds {value!r}; use event types of {known}"
        ) from None


def _values(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "subscriber": subscription.subscriber,
        "scope": subscription.scope.value,
        "target": subscription.target,
        "events": json.dumps([action.value for action in subscription.events]),
        "webhook_url": subscription.webhook_url,
        "webhook_secret": subscription.webhook_secret,
        "email": subscription.email,
        "inbox": subscription.inbox,
        "created_at": subscription.created_at,
        "created_by": subscription.created_by,
    }


def _subscription(row: sa.RowMapping) -> Subscription:
    return Subscription(
        id=row["id"],
        subscriber=row["subscriber"],
        scope=ScopeKind(row["scope"]),
        target=row["target"],
        events=tuple(AuditAction(value) for value in json.loads(row["events"])),
        webhook_url=row["webhook_url"],
        webhook_secret=row["webhook_secret"],
        email=row["email"],
        inbox=bool(row["inbox"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
    )
