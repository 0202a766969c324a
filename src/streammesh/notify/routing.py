"""Which deliveries and inbox items one event makes: the subscriptions whose scope and event
types match it, and the directed audience (its teams' subscriptions on every channel, their
inboxes, and their contacts by e-mail)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from streammesh.notify.audience import Audience, Reason
from streammesh.notify.deliveries import PlannedDelivery
from streammesh.notify.messages import Notice
from streammesh.notify.model import Channel, ScopeKind, Subscription

_VERSIONED = re.compile(r"^.+\.v[0-9]+$")


@dataclass(frozen=True, slots=True)
class Routes:
    """What one event makes: deliveries (webhook and e-mail) and inbox recipients."""

    deliveries: tuple[PlannedDelivery, ...]
    inbox: tuple[str, ...]


def matches(subscription: Subscription, notice: Notice) -> bool:
    """Whether ``subscription`` asked for ``notice``: its scope covers the event's product
    or domain, and it wants one of the event's types."""
    if not any(subscription.wants(kind) for kind in notice.types):
        return False
    if subscription.scope is ScopeKind.MESH:
        return True
    if subscription.scope is ScopeKind.DOMAIN:
        return notice.domain == subscription.target
    product, target = notice.product, subscription.target or ""
    if product is None:
        return False
    if _VERSIONED.match(target):
        return product == target
    name, _, version = product.rpartition(".v")
    return name == target and version.isdigit()


def routes(
    notice: Notice,
    subscriptions: Sequence[Subscription],
    audience: Audience | None,
    audience_subscriptions: Sequence[Subscription],
) -> Routes:
    """The deliveries and inbox items of ``notice``.

    Args:
        notice: The event.
        subscriptions: Every subscription of the mesh.
        audience: The event's directed audience, if any.
        audience_subscriptions: The subscriptions of the audience's teams (they get the
            event on every channel they set up, whatever their scope and types).
    """
    planned: dict[tuple[str, Channel], PlannedDelivery] = {}
    inbox: dict[str, None] = {}

    def add(subscription: Subscription, reason: Reason) -> None:
        payload = notice.payload(reason.value)
        if subscription.webhook_url:
            planned.setdefault(
                (subscription.id, Channel.WEBHOOK),
                _planned(
                    notice,
                    subscription.id,
                    Channel.WEBHOOK,
                    subscription.webhook_url,
                    subscription.webhook_secret,
                    payload,
                ),
            )
        if subscription.email:
            planned.setdefault(
                (subscription.id, Channel.EMAIL),
                _planned(notice, subscription.id, Channel.EMAIL, subscription.email, None, payload),
            )
        if subscription.inbox:
            inbox.setdefault(subscription.subscriber)

    for subscription in subscriptions:
        if matches(subscription, notice):
            add(subscription, Reason.SUBSCRIPTION)
    if audience is not None:
        for subscription in audience_subscriptions:
            if subscription.subscriber in audience.teams:
                add(subscription, audience.reason)
        for team in sorted(audience.teams):
            inbox.setdefault(team)
        emailed = {item.address for item in planned.values() if item.channel is Channel.EMAIL}
        payload = notice.payload(audience.reason.value)
        for contact in sorted(audience.contacts - emailed):
            target = f"contact:{contact}"
            planned[(target, Channel.EMAIL)] = _planned(
                notice, target, Channel.EMAIL, contact, None, payload
            )
    return Routes(tuple(planned.values()), tuple(inbox))


def _planned(
    notice: Notice,
    target: str,
    channel: Channel,
    address: str,
    secret: str | None,
    payload: dict[str, object],
) -> PlannedDelivery:
    return PlannedDelivery(
        event_id=notice.event.id,
        event_type=notice.event.action.value,
        target=target,
        channel=channel,
        address=address,
        secret=secret,
        title=notice.title,
        payload=dict(payload),
    )
