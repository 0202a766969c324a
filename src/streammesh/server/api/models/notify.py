"""Subscriptions, the inbox, dead letters and incidents."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from streammesh.audit import AuditAction
from streammesh.notify import Channel, DeliveryState, ScopeKind


class SubscriptionBody(BaseModel):
    """Subscribe a principal or team to a product's, a domain's or the mesh's events."""

    model_config = ConfigDict(extra="forbid")

    subscriber: str | None = Field(
        default=None,
        description="A principal or team name; default: the caller's principal.",
    )
    scope: ScopeKind = Field(description="`product`, `domain` or `mesh`.")
    target: str | None = Field(
        default=None,
        description="The product (`<name>` or `<name>.v<N>`) or domain; none for `mesh`.",
    )
    events: list[AuditAction] = Field(
        default_factory=list,
        description="Event types wanted; empty: the notifiable ones (published, schema "
        "registered, version added, deprecated, retired, owner changed, access, SLO breached, "
        "incident declared).",
    )
    webhook_url: str | None = Field(default=None, description="An http(s) URL to POST to.")
    email: str | None = Field(default=None, description="An e-mail address.")
    inbox: bool = Field(default=False, description="Write items to the subscriber's inbox.")


class SubscriptionDocument(BaseModel):
    """A subscription. `webhook_secret` is given only in the answer that created it."""

    id: str
    subscriber: str
    scope: ScopeKind
    target: str | None
    events: list[AuditAction]
    webhook_url: str | None
    webhook_secret: str | None
    email: str | None
    inbox: bool
    created_at: datetime
    created_by: str


class InboxItemDocument(BaseModel):
    """A notification in the caller's (or its team's) inbox."""

    id: int
    recipient: str
    event_id: int
    event_type: str
    subject: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


class DeliveryDocument(BaseModel):
    """A webhook or e-mail delivery; state `dead` is the dead-letter list."""

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


class IncidentBody(BaseModel):
    """Declare an incident on a product: its consumers are notified."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        min_length=1, max_length=4000, description="What consumers see and what to expect."
    )


class IncidentDocument(BaseModel):
    """The recorded incident event."""

    id: int
    type: AuditAction
    subject: str
    actor: str
    at: datetime
    note: str | None
