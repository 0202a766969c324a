"""What the notification service stores: subscriptions, deliveries and inbox items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from streammesh.audit import AuditAction


class ScopeKind(StrEnum):
    """What a subscription listens to."""

    PRODUCT = "product"
    """One product: every version of a bare name, or one ``<name>.v<N>``."""
    DOMAIN = "domain"
    """Every product of a domain."""
    MESH = "mesh"
    """Every event of the mesh."""


class Channel(StrEnum):
    """Where a notification goes."""

    WEBHOOK = "webhook"
    EMAIL = "email"
    INBOX = "inbox"


class DeliveryState(StrEnum):
    """``pending`` (retried with backoff) → ``delivered`` | ``dead`` (the dead-letter list)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


NOTIFIABLE_EVENTS: tuple[AuditAction, ...] = (
    AuditAction.PRODUCT_PUBLISHED,
    AuditAction.SCHEMA_REGISTERED,
    AuditAction.PRODUCT_VERSION_ADDED,
    AuditAction.PRODUCT_DEPRECATED,
    AuditAction.PRODUCT_RETIRED,
    AuditAction.PRODUCT_OWNER_CHANGED,
    AuditAction.ACCESS_REQUESTED,
    AuditAction.ACCESS_APPROVED,
    AuditAction.ACCESS_REJECTED,
    AuditAction.ACCESS_REVOKED,
    AuditAction.ACCESS_EXPIRED,
    AuditAction.INCIDENT_DECLARED,
    AuditAction.SLO_BREACHED,
    AuditAction.SLO_RECOVERED,
)
"""The event types a subscription with no explicit types receives: the changes people act
on (published, schema version added, deprecated, retired, owner changed, access, SLO
breaches, incidents), not the mesh's bookkeeping (tokens, topics, keys)."""


@dataclass(frozen=True, slots=True)
class Subscription:
    """Who wants to hear about what, and where.

    Attributes:
        id: Generated at creation.
        subscriber: A principal or team name; inbox items are addressed to it.
        scope: Product, domain or the whole mesh.
        target: The product reference or domain name (``None`` for the mesh).
        events: The event types wanted (empty: :data:`NOTIFIABLE_EVENTS`).
        webhook_url: Where to POST the event (``None``: no webhook).
        webhook_secret: The HMAC-SHA256 key of the ``X-Streammesh-Signature`` header.
        email: Where to send e-mail (``None``: no e-mail).
        inbox: Whether to write in-app inbox items.
    """

    id: str
    subscriber: str
    scope: ScopeKind
    target: str | None
    events: tuple[AuditAction, ...]
    webhook_url: str | None
    webhook_secret: str | None
    email: str | None
    inbox: bool
    created_at: datetime
    created_by: str

    def wants(self, action: AuditAction) -> bool:
        """Whether this subscription asked for events of type ``action``."""
        return action in (self.events or NOTIFIABLE_EVENTS)

    def document(self, *, reveal_secret: bool = False) -> dict[str, Any]:
        """The JSON shape in the REST API and ``--json`` output; the secret only once, when
        the subscription is created."""
        return {
            "id": self.id,
            "subscriber": self.subscriber,
            "scope": self.scope.value,
            "target": self.target,
            "events": [action.value for action in self.events],
            "webhook_url": self.webhook_url,
            "webhook_secret": self.webhook_secret if reveal_secret else None,
            "email": self.email,
            "inbox": self.inbox,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notification to one webhook or e-mail address.

    Attributes:
        id: Generated; names a dead letter to re-drive.
        event_id: The mesh event (audit id) delivered.
        target: The subscription id, or ``contact:<address>`` for a directed e-mail.
        channel: Webhook or e-mail.
        address: The URL or e-mail address.
        attempts: How many times it was tried.
        last_error: Why the last attempt failed.
    """

    id: str
    event_id: int
    event_type: str
    target: str
    channel: Channel
    address: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    def document(self) -> dict[str, Any]:
        """The JSON shape in the REST API and ``--json`` output."""
        return {
            "id": self.id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "target": self.target,
            "channel": self.channel.value,
            "address": self.address,
            "state": self.state.value,
            "attempts": self.attempts,
            "next_attempt_at": _moment(self.next_attempt_at),
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "delivered_at": _moment(self.delivered_at),
        }


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A notification in a principal's or team's in-app inbox."""

    id: int
    recipient: str
    event_id: int
    event_type: str
    subject: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None

    def document(self) -> dict[str, Any]:
        """The JSON shape in the REST API and ``--json`` output."""
        return {
            "id": self.id,
            "recipient": self.recipient,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "subject": self.subject,
            "title": self.title,
            "body": self.body,
            "created_at": self.created_at.isoformat(),
            "read_at": _moment(self.read_at),
        }


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
