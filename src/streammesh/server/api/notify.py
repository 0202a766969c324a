"""``/subscriptions``, ``/inbox``, ``/notifications/dead-letters`` and
``/products/{reference}/incidents``.

Any token may subscribe itself and read its own inbox (and its team's); subscribing someone
else needs governance, a platform admin, or a domain owner of the subscriber's team; listing
every subscription and handling dead letters (mesh-wide) need governance or a platform admin;
declaring an incident needs a domain owner of the product's domain, governance or an admin.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status

from streammesh.access import DomainScope, OutsideDomain, domain_scope
from streammesh.control import ControlPlane
from streammesh.identity import Principal, Role
from streammesh.notify import NotificationService
from streammesh.server.api.access import access_errors
from streammesh.server.api.models.notify import (
    DeliveryDocument,
    InboxItemDocument,
    IncidentBody,
    IncidentDocument,
    SubscriptionBody,
    SubscriptionDocument,
)
from streammesh.server.api.products import Reference
from streammesh.server.api.roles import CHANGER_ROLES, OVERSEER_ROLES, Changer, Overseer, Scope
from streammesh.server.api.services import Plane
from streammesh.server.auth import Reader
from streammesh.server.context import server_context
from streammesh.server.errors import PermissionDenied


def _notifications(request: Request) -> NotificationService:
    return server_context(request).runtime.notifications


Notifications = Annotated[NotificationService, Depends(_notifications)]
"""The mesh's subscriptions, inboxes, dead letters and incidents."""

router = APIRouter(tags=["notifications"])

_SUB_NOT_FOUND = "No such subscription (`subscription-not-found`)."
_FORBIDDEN = "Only a platform admin, governance or a domain owner may do this (`forbidden`)."
_OVERSEERS_ONLY = "Only a platform admin or governance may do this (`forbidden`)."


def _may_manage(
    principal: Principal, subscriber: str, scope: DomainScope, plane: ControlPlane
) -> None:
    """Anyone manages its own subscriptions; governance and platform admins everyone's; a
    domain owner those of its own teams and of accounts in them."""
    if principal.name == subscriber or scope.mesh_wide:
        return
    if principal.role not in CHANGER_ROLES:
        raise PermissionDenied(principal.name, str(principal.role), sorted(CHANGER_ROLES))
    # The subscriber's teams, read as the scope reads a principal's: its account's team, or
    # itself when it is a team.
    theirs = domain_scope(plane.store, subscriber, Role.MEMBER)
    if not scope.teams & theirs.teams:
        raise OutsideDomain(
            principal.name,
            "manage the subscriptions of",
            subscriber,
            min(theirs.domains, default="none"),
            sorted(scope.domains),
        )


@router.post(
    "/subscriptions",
    response_model=SubscriptionDocument,
    status_code=status.HTTP_201_CREATED,
    responses=access_errors(
        400,
        s403=_FORBIDDEN,
        s422="Invalid fields, no channel, a bad URL or address, or a webhook on a loopback, "
        "link-local or private address that `mesh.yaml` does not allow "
        "(`invalid-subscription`).",
    ),
)
def subscribe(
    body: SubscriptionBody,
    principal: Reader,
    scope: Scope,
    plane: Plane,
    notifications: Notifications,
) -> dict[str, Any]:
    """Subscribe a principal or team (default: the caller) to events; the answer holds the
    webhook's signing secret, shown only here. Subscribing someone else: governance and
    platform admins anyone, a domain owner its own teams and their accounts (403
    `outside-domain` otherwise)."""
    subscriber = body.subscriber or principal.name
    _may_manage(principal, subscriber, scope, plane)
    created = notifications.subscribe(
        subscriber,
        body.scope,
        body.target,
        events=body.events,
        webhook_url=body.webhook_url,
        email=body.email,
        inbox=body.inbox,
        actor=principal.name,
    )
    return created.document(reveal_secret=True)


@router.get(
    "/subscriptions",
    response_model=list[SubscriptionDocument],
    responses=access_errors(403, s403=_FORBIDDEN),
)
def list_subscriptions(
    principal: Reader,
    scope: Scope,
    plane: Plane,
    notifications: Notifications,
    subscriber: Annotated[
        str | None, Query(description="Only this subscriber's (default: the caller's).")
    ] = None,
    every: Annotated[
        bool, Query(alias="all", description="Every subscription (governance, platform-admin).")
    ] = False,
) -> list[dict[str, Any]]:
    """Subscriptions, oldest first: the caller's, a subscriber's, or all of them."""
    if every:
        if not scope.mesh_wide:
            raise PermissionDenied(principal.name, str(principal.role), sorted(OVERSEER_ROLES))
        return [sub.document() for sub in notifications.subscriptions.list()]
    chosen = subscriber or principal.name
    _may_manage(principal, chosen, scope, plane)
    return [sub.document() for sub in notifications.subscriptions.list(subscriber=chosen)]


@router.delete(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionDocument,
    responses=access_errors(403, 404, s403=_FORBIDDEN, s404=_SUB_NOT_FOUND),
)
def unsubscribe(
    subscription_id: str,
    principal: Reader,
    scope: Scope,
    plane: Plane,
    notifications: Notifications,
) -> dict[str, Any]:
    """Remove a subscription (the caller's own; a domain owner also its teams' and their
    accounts'; governance and platform admins any)."""
    found = notifications.subscriptions.get(subscription_id)
    _may_manage(principal, found.subscriber, scope, plane)
    return notifications.unsubscribe(subscription_id, actor=principal.name).document()


@router.get("/inbox", response_model=list[InboxItemDocument], responses=access_errors())
def inbox(
    principal: Reader,
    notifications: Notifications,
    unread: Annotated[bool, Query(description="Only items not marked read.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
) -> list[dict[str, Any]]:
    """The caller's inbox and its team's, newest first."""
    items = notifications.inbox(principal.name, unread_only=unread, limit=limit)
    return [item.document() for item in items]


@router.post(
    "/inbox/{item_id}/read",
    response_model=InboxItemDocument,
    responses=access_errors(
        404, s404="No such item in the caller's inbox (`inbox-item-not-found`)."
    ),
)
def mark_read(
    item_id: Annotated[int, Path(ge=1, le=2**62, description="The item's id.")],
    principal: Reader,
    notifications: Notifications,
) -> dict[str, Any]:
    """Mark an item of the caller's inbox read."""
    return notifications.mark_read(principal.name, item_id).document()


@router.get(
    "/notifications/dead-letters",
    response_model=list[DeliveryDocument],
    responses=access_errors(403, s403=_OVERSEERS_ONLY),
)
def dead_letters(_: Overseer, notifications: Notifications) -> list[dict[str, Any]]:
    """Deliveries that failed every attempt, oldest first (governance, platform admin: dead
    letters are mesh-wide)."""
    return [delivery.document() for delivery in notifications.dead_letters()]


@router.post(
    "/notifications/dead-letters/{delivery_id}/redrive",
    response_model=DeliveryDocument,
    responses=access_errors(
        403, 404, s403=_OVERSEERS_ONLY, s404="No such dead letter (`dead-letter-not-found`)."
    ),
)
def redrive(delivery_id: str, _: Overseer, notifications: Notifications) -> dict[str, Any]:
    """Queue a dead letter again with a fresh set of attempts (governance, platform admin)."""
    return notifications.redrive(delivery_id).document()


@router.post(
    "/products/{reference}/incidents",
    response_model=IncidentDocument,
    status_code=status.HTTP_201_CREATED,
    responses=access_errors(
        400,
        403,
        404,
        s403=_FORBIDDEN + " A domain owner declares incidents only on its domains' products "
        "(`outside-domain`).",
        s422="Invalid fields or an empty message (`invalid-incident`).",
    ),
)
def declare_incident(
    reference: Reference,
    body: IncidentBody,
    principal: Changer,
    scope: Scope,
    plane: Plane,
    notifications: Notifications,
) -> dict[str, Any]:
    """Declare an incident on a product: its consumers (registered applications' teams and
    grant holders) and its subscribers are notified."""
    product = plane.product(reference)
    scope.check(product.descriptor.domain, "declare an incident on", product.reference)
    record = notifications.declare_incident(reference, message=body.message, actor=principal.name)
    return record.document()
