"""Errors of the notification service."""

from __future__ import annotations

from streammesh.errors import MeshError


class NotifyError(MeshError):
    """Base of the notification errors."""


class InvalidSubscription(NotifyError):
    """A subscription cannot be stored as asked; nothing was written."""

    exit_code = 2

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"Subscription field '{field}' {problem}.")


class WebhookTargetRefused(InvalidSubscription):
    """A webhook URL the notifier will not call: not http(s), or a host on a loopback,
    link-local, private or other non-public address that ``mesh.yaml`` does not allow.

    Raised when a subscription is created (nothing is written) and, before each delivery,
    after resolving the name (the attempt fails and is retried, then dead-lettered).
    """

    def __init__(self, url: str, host: str, address: str | None, reason: str) -> None:
        self.url = url
        self.host = host
        self.address = address
        self.reason = reason
        if address is None:
            problem = f"is {url!r}: {reason}"
        else:
            said = f"{address} is" if address == host else f"'{host}' resolves to {address},"
            problem = (
                f"is {url!r}: {said} {reason}; an admin may allow it under "
                f"notifications.webhooks.allow in mesh.yaml (e.g. '{host}')"
            )
        super().__init__("webhook_url", problem)


class SubscriptionNotFound(NotifyError):
    """No subscription has this id."""

    def __init__(self, subscription_id: str) -> None:
        self.subscription_id = subscription_id
        super().__init__(
            f"No subscription '{subscription_id}'; 'streammesh subscriptions list' shows them."
        )


class DeliveryNotFound(NotifyError):
    """No dead-lettered delivery has this id."""

    def __init__(self, delivery_id: str) -> None:
        self.delivery_id = delivery_id
        super().__init__(
            f"No dead-lettered delivery '{delivery_id}'; "
            "'streammesh notify dead-letters' lists them."
        )


class InboxItemNotFound(NotifyError):
    """No inbox item with this id is addressed to the caller."""

    def __init__(self, item_id: int, principal: str) -> None:
        self.item_id = item_id
        self.principal = principal
        super().__init__(
            f"No inbox item {item_id} for '{principal}'; 'streammesh inbox' lists them."
        )


class InvalidIncident(NotifyError):
    """An incident without a message (or with one too long); nothing was recorded."""

    exit_code = 2

    def __init__(self, product: str, problem: str) -> None:
        self.product = product
        self.problem = problem
        super().__init__(f"Incident on '{product}' not declared: the message {problem}.")


class DeliveryAttemptFailed(NotifyError):
    """One attempt to deliver a notification failed; the notifier retries it with backoff
    and dead-letters it after the last attempt."""

    def __init__(self, channel: str, address: str, reason: str) -> None:
        self.channel = channel
        self.address = address
        self.reason = reason
        super().__init__(f"Could not deliver by {channel} to '{address}': {reason}.")
