"""The notifications inbox of the signed-in principal (and their team): list, mark read."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from streammesh.notify import InboxItemNotFound, NotificationService
from streammesh.server.context import ServerContext
from streammesh.server.ui.viewer import UI_PREFIX, Context, CurrentViewer, render, require_csrf

router = APIRouter(include_in_schema=False)

INBOX_SIZE = 100


def _notifications(context: ServerContext) -> NotificationService:
    return context.runtime.notifications


@router.get(f"{UI_PREFIX}/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    unread: bool = False,
    message: str = "",
) -> HTMLResponse:
    """The viewer's and their team's notifications, newest first."""
    items = _notifications(context).inbox(
        viewer.principal.name, unread_only=unread, limit=INBOX_SIZE
    )
    return render(
        request,
        "notifications.html",
        viewer,
        title="Notifications",
        items=items,
        unread=unread,
        message=message,
    )


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
    return RedirectResponse(
        f"{UI_PREFIX}/notifications?" + urlencode({"message": message}), status_code=303
    )
