"""Notifications: subscriptions to mesh events, delivered by webhook, e-mail and an in-app
inbox from the ``_mesh.events`` stream.

A subscription names a subscriber (principal or team), a scope (a product, a domain, the
whole mesh), the event types it wants, and its channels. The :class:`Notifier` reads
``_mesh.events`` as the consumer group ``streammesh-notify`` (server replicas share it),
records each (event, subscription, channel) delivery in the store so a redelivered event is
never sent twice, signs webhook bodies (``X-Streammesh-Signature: sha256=<hex>``), retries
failures with exponential backoff and dead-letters them after the last attempt. Deprecations
also go to every downstream owner found by impact analysis, and incidents to a product's
consumers. Errors::

    NotifyError
    ├── InvalidSubscription     a subscription that cannot be stored; nothing written
    │   └── WebhookTargetRefused  a webhook on a non-public address mesh.yaml does not allow
    ├── SubscriptionNotFound    no subscription with that id
    ├── DeliveryNotFound        no dead letter with that id (re-drive)
    ├── InboxItemNotFound       no inbox item with that id for the caller
    ├── InvalidIncident         an incident without a usable message
    └── DeliveryAttemptFailed   one webhook or e-mail attempt failed (retried by the notifier)

Example:
    >>> service = NotificationService(mesh.store, mesh.plane)
    >>> service.subscribe("analytics-team", ScopeKind.PRODUCT, "execution.stocktrades",
    ...                   webhook_url="https://hooks.example.com/mesh", actor="alice")
    >>> stopper = start_notifier(mesh)   # in the server; ``stop()`` at shutdown
"""

from __future__ import annotations

from streammesh.notify.errors import (
    DeliveryAttemptFailed,
    DeliveryNotFound,
    InboxItemNotFound,
    InvalidIncident,
    InvalidSubscription,
    NotifyError,
    SubscriptionNotFound,
    WebhookTargetRefused,
)
from streammesh.notify.incidents import declare_incident
from streammesh.notify.model import (
    NOTIFIABLE_EVENTS,
    Channel,
    Delivery,
    DeliveryState,
    InboxItem,
    ScopeKind,
    Subscription,
)
from streammesh.notify.service import NotificationService
from streammesh.notify.settings import (
    NotifySettings,
    SmtpSettings,
    load_notify_settings,
)
from streammesh.notify.targets import AllowedTarget, WebhookTargets
from streammesh.notify.webhook import SIGNATURE_HEADER, sign
from streammesh.notify.worker import (
    ChannelReport,
    DeliveryReport,
    Notifier,
    Stoppable,
    deliver_pending,
    start_notifier,
)

__all__ = [
    "NOTIFIABLE_EVENTS",
    "SIGNATURE_HEADER",
    "AllowedTarget",
    "Channel",
    "ChannelReport",
    "Delivery",
    "DeliveryAttemptFailed",
    "DeliveryNotFound",
    "DeliveryReport",
    "DeliveryState",
    "InboxItem",
    "InboxItemNotFound",
    "InvalidIncident",
    "InvalidSubscription",
    "NotificationService",
    "Notifier",
    "NotifyError",
    "NotifySettings",
    "ScopeKind",
    "SmtpSettings",
    "Stoppable",
    "Subscription",
    "SubscriptionNotFound",
    "WebhookTargetRefused",
    "WebhookTargets",
    "declare_incident",
    "deliver_pending",
    "load_notify_settings",
    "sign",
    "start_notifier",
]
