"""The notifications page of the signed-in principal: their inbox and their team's (list,
mark read), and their subscriptions (subscribe to a product, a domain or the whole mesh, for
chosen event types, by inbox, e-mail or webhook; unsubscribe)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from streammesh.audit import AuditAction
from streammesh.errors import MeshError
from streammesh.notify import (
    NOTIFIABLE_EVENTS,
    InboxItemNotFound,
    InvalidSubscription,
    NotificationService,
    ScopeKind,
    Subscription,
    SubscriptionNotFound,
)
from streammesh.server.context import ServerContext
from streammesh.server.ui.viewer import (
    UI_PREFIX,
    Context,
    CurrentViewer,
    Viewer,
    render,
    require_csrf,
)

router = APIRouter(include_in_schema=False)

INBOX_SIZE = 100


def _notifications(context: ServerContext) -> NotificationService:
    return context.runtime.notifications


def _page(
    request: Request,
    viewer: Viewer,
    context: ServerContext,
    *,
    unread: bool = False,
    message: str = "",
    error: str = "",
    chosen: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    service = _notifications(context)
    plane = context.runtime.plane
    return render(
        request,
        "notifications.html",
        viewer,
        status_code=status_code,
        title="Notifications",
        items=service.inbox(viewer.principal.name, unread_only=unread, limit=INBOX_SIZE),
        unread=unread,
        message=message,
        error=error,
        subscriptions=service.subscriptions.list(subscriber=viewer.principal.name),
        event_types=[action.value for action in NOTIFIABLE_EVENTS],
        product_names=sorted({record.descriptor.name for record in plane.products()}),
        domain_names=sorted({record.descriptor.domain for record in plane.products()}),
        chosen=chosen or {"scope": "product", "inbox": True, "events": []},
    )


@router.get(f"{UI_PREFIX}/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    unread: bool = False,
    message: str = "",
) -> HTMLResponse:
    """The viewer's and their team's notifications, newest first, and their
    subscriptions."""
    return _page(request, viewer, context, unread=unread, message=message)


@router.post(f"{UI_PREFIX}/notifications/{{item_id}}/read")
def mark_read(
    request: Request,
    item_id: int,
    viewer: CurrentViewer,
    context: Context,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Mark one item read, then show the inbox again."""
    require_csrf(request, viewer, csrf)
    try:
        item = _notifications(context).mark_read(viewer.principal.name, item_id)
        message = f"Marked read: {item.title}"
    except InboxItemNotFound as exc:
        message = f"Not marked: {exc}"
    return _back(message)


def _back(message: str) -> RedirectResponse:
    return RedirectResponse(
        f"{UI_PREFIX}/notifications?" + urlencode({"message": message}), status_code=303
    )


@router.post(f"{UI_PREFIX}/subscriptions", response_class=HTMLResponse)
def subscribe(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    scope: Annotated[Literal["product", "domain", "mesh"], Form()],
    target: Annotated[str, Form(max_length=300)] = "",
    events: Annotated[list[str] | None, Form()] = None,
    inbox: Annotated[bool, Form()] = False,
    email: Annotated[str, Form(max_length=320)] = "",
    webhook_url: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Subscribe the viewer; a refused subscription shows the form again with the reason
    (422) and writes nothing."""
    require_csrf(request, viewer, csrf)
    chosen: dict[str, object] = {
        "scope": scope,
        "target": target,
        "events": events or [],
        "inbox": inbox,
        "email": email,
        "webhook_url": webhook_url,
    }
    try:
        created = _notifications(context).subscribe(
            viewer.principal.name,
            ScopeKind(scope),
            None if scope == "mesh" else target.strip() or None,
            events=[_event_type(name) for name in events or []],
            inbox=inbox,
            email=email.strip() or None,
            webhook_url=webhook_url.strip() or None,
            actor=viewer.principal.name,
        )
    except MeshError as exc:
        return _page(
            request,
            viewer,
            context,
            error=f"Not subscribed: {exc}",
            chosen=chosen,
            status_code=422,
        )
    return _back(f"Subscribed to {_what(created)}.")


def _what(subscription: Subscription) -> str:
    if subscription.scope is ScopeKind.MESH:
        return "the whole mesh"
    return f"{subscription.scope.value} {subscription.target}"


def _event_type(name: str) -> AuditAction:
    try:
        return AuditAction(name)
    except ValueError:
        known = ", ".join(action.value for action in NOTIFIABLE_EVENTS)
        raise InvalidSubscription("events", f"holds {name!r}; use event types of {known}") from None


@router.post(f"{UI_PREFIX}/subscriptions/{{subscription_id}}/delete")
def unsubscribe(
    request: Request,
    subscription_id: str,
    viewer: CurrentViewer,
    context: Context,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Remove one of the viewer's subscriptions (governance and platform admins: anyone's)."""
    require_csrf(request, viewer, csrf)
    service = _notifications(context)
    try:
        found = service.subscriptions.get(subscription_id)
        if found.subscriber != viewer.principal.name and not viewer.overseer:
            raise SubscriptionNotFound(subscription_id)
        service.unsubscribe(subscription_id, actor=viewer.principal.name)
    except SubscriptionNotFound:
        return _back(f"Not unsubscribed: you have no subscription '{subscription_id}'.")
    return _back(f"Unsubscribed from {_what(found)}.")
