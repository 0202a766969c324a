"""The access requests inbox: pending requests for the products the viewer's team owns
(every product for platform admins and governance), approved or rejected with a note."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from streammesh.access import AccessRequest, AccessState, Caller
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


def _owned_pending(context: ServerContext, viewer: Viewer) -> list[AccessRequest]:
    pending = access_service(context).list(state=AccessState.REQUESTED)
    if viewer.overseer:
        return pending
    teams: dict[str, str] = {}
    for request in pending:
        if request.reference not in teams:
            teams[request.reference] = context.runtime.plane.product(
                request.reference
            ).descriptor.team
    return [r for r in pending if viewer.team is not None and teams[r.reference] == viewer.team]


@router.get(f"{UI_PREFIX}/access", response_class=HTMLResponse)
def inbox(
    request: Request, viewer: CurrentViewer, context: Context, message: str = ""
) -> HTMLResponse:
    """Pending requests the viewer may decide."""
    return render(
        request,
        "inbox.html",
        viewer,
        title="Access requests",
        pending=_owned_pending(context, viewer),
        message=message,
    )


@router.post(f"{UI_PREFIX}/access/{{request_id}}")
def decide(
    request: Request,
    request_id: str,
    viewer: CurrentViewer,
    context: Context,
    decision: Annotated[Literal["approve", "reject"], Form()],
    note: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Approve or reject one request as the signed-in principal."""
    require_csrf(request, viewer, csrf)
    access = access_service(context)
    caller = Caller(viewer.principal.name, viewer.principal.role)
    try:
        if decision == "approve":
            done = access.approve(request_id, caller=caller, note=note or None)
        else:
            done = access.reject(request_id, caller=caller, note=note or None)
        message = f"'{done.principal}' on '{done.reference}': {done.state.value}."
    except MeshError as exc:
        message = f"Not decided: {exc}"
    return RedirectResponse(
        f"{UI_PREFIX}/access?" + urlencode({"message": message}), status_code=303
    )
