"""The access page: pending requests for the products the viewer's team owns (every product
for platform admins and governance), approved with an optional expiry or rejected with a
note; the classified fields each request would expose; the active grants, per product and
per application, with revoke; and the history of decided requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from streammesh.access import AccessRequest, AccessState, Caller
from streammesh.control import ProductNotFound
from streammesh.errors import MeshError
from streammesh.server.context import ServerContext
from streammesh.server.ui.viewer import (
    UI_PREFIX,
    Context,
    CurrentViewer,
    Viewer,
    access_service,
    render,
    require_csrf,
)

router = APIRouter(include_in_schema=False)

HISTORY_SIZE = 50
"""How many decided requests the page lists (newest first)."""


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request as the page shows it.

    Attributes:
        request: The request.
        exposed: The classified fields (path → labels) its grant reveals: every classified
            field of the product when the request includes classified fields, none otherwise.
        masked: The classified fields that stay masked under the grant.
        may_decide: The viewer's team owns the product (or the viewer oversees the mesh).
    """

    request: AccessRequest
    exposed: dict[str, tuple[str, ...]]
    masked: dict[str, tuple[str, ...]]
    may_decide: bool


def _views(
    context: ServerContext, viewer: Viewer, requests: list[AccessRequest]
) -> list[RequestView]:
    """The requests the viewer may see: of their team's products, of their team's
    applications (every request for overseers)."""
    plane = context.runtime.plane
    accounts = context.runtime.access.accounts
    products: dict[str, tuple[str, dict[str, tuple[str, ...]]] | None] = {}
    teams: dict[str, str | None] = {}
    shown = []
    for request in requests:
        if request.reference not in products:
            try:
                descriptor = plane.product(request.reference).descriptor
            except ProductNotFound:
                products[request.reference] = None
            else:
                classified = {
                    path: tuple(str(label) for label in labels)
                    for path, labels in descriptor.classifications.items()
                }
                products[request.reference] = (descriptor.team, classified)
        found = products[request.reference]
        if found is None:
            continue
        team, classified = found
        if request.principal not in teams:
            account = accounts.find(request.principal)
            teams[request.principal] = account.team if account is not None else None
        owns = viewer.overseer or (viewer.team is not None and team == viewer.team)
        applies = viewer.team is not None and teams[request.principal] == viewer.team
        if not (owns or applies or request.principal == viewer.principal.name):
            continue
        exposed = classified if request.classified else {}
        masked = {} if request.classified else classified
        shown.append(RequestView(request, exposed, masked, owns))
    return shown


def _filtered(views: list[RequestView], keep: Callable[[AccessRequest], bool]) -> list[RequestView]:
    return [view for view in views if keep(view.request)]


@router.get(f"{UI_PREFIX}/access", response_class=HTMLResponse)
def inbox(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    message: str = "",
    product: str = "",
    application: str = "",
) -> HTMLResponse:
    """Pending requests, active grants (optionally of one product or one application) and
    the decided requests the viewer may see."""
    now = datetime.now(UTC)
    views = _views(context, viewer, access_service(context).list())
    active = _filtered(
        views,
        lambda r: (
            r.active(now)
            and (not product or product in (r.product, r.reference))
            and (not application or r.principal == application)
        ),
    )
    history = sorted(
        _filtered(views, lambda r: r.state is not AccessState.REQUESTED),
        key=lambda view: view.request.ended_at or view.request.decided_at or now,
        reverse=True,
    )[:HISTORY_SIZE]
    return render(
        request,
        "inbox.html",
        viewer,
        title="Access requests",
        pending=[
            view
            for view in _filtered(views, lambda r: r.state is AccessState.REQUESTED)
            if view.may_decide
        ],
        active=active,
        by_product=sorted({view.request.reference for view in active}),
        by_application=sorted({view.request.principal for view in active}),
        product=product,
        application=application,
        history=history,
        tomorrow=(now.date() + timedelta(days=1)).isoformat(),
        message=message,
    )


def expiry(text: str, today: date) -> datetime | None:
    """The end of the day ``text`` names (``YYYY-MM-DD``, UTC), or ``None`` for no expiry.

    Raises:
        ValueError: ``text`` is not a date, or not after ``today``; the message says so.
    """
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"the expiry '{text}' is not a date (YYYY-MM-DD)") from None
    if day <= today:
        raise ValueError(f"the expiry {day.isoformat()} is not after today")
    # A grant "until 31 January" lasts through that day.
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _back(message: str) -> RedirectResponse:
    return RedirectResponse(
        f"{UI_PREFIX}/access?" + urlencode({"message": message}), status_code=303
    )


@router.post(f"{UI_PREFIX}/access/{{request_id}}")
def decide(
    request: Request,
    request_id: str,
    viewer: CurrentViewer,
    context: Context,
    decision: Annotated[Literal["approve", "reject"], Form()],
    note: Annotated[str, Form()] = "",
    expires: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Approve (until an optional expiry day) or reject one request as the signed-in
    principal."""
    require_csrf(request, viewer, csrf)
    access = access_service(context)
    caller = Caller(viewer.principal.name, viewer.principal.role)
    try:
        if decision == "approve":
            until = expiry(expires, datetime.now(UTC).date())
            done = access.approve(request_id, caller=caller, note=note or None, expires_at=until)
        else:
            done = access.reject(request_id, caller=caller, note=note or None)
        message = f"'{done.principal}' on '{done.reference}': {done.state.value}" + (
            f" until {done.expires_at:%Y-%m-%d %H:%M} UTC." if done.expires_at else "."
        )
    except (MeshError, ValueError) as exc:
        message = f"Not decided: {exc}"
    return _back(message)


@router.post(f"{UI_PREFIX}/access/grants/{{grant_id}}/revoke")
def revoke(
    request: Request,
    grant_id: str,
    viewer: CurrentViewer,
    context: Context,
    note: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Revoke an active grant at once."""
    require_csrf(request, viewer, csrf)
    caller = Caller(viewer.principal.name, viewer.principal.role)
    try:
        done = access_service(context).revoke(grant_id, caller=caller, note=note or None)
        message = f"'{done.principal}' on '{done.reference}': revoked."
    except MeshError as exc:
        message = f"Not revoked: {exc}"
    return _back(message)
