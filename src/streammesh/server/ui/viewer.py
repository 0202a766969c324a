"""Who is looking at a page: the signed-in principal, their account and team, and how the
templates are rendered for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException

from streammesh.access import AccessService
from streammesh.identity import Account, Principal, Role
from streammesh.server.context import ServerContext, server_context
from streammesh.server.errors import UI_PREFIX as UI_PREFIX
from streammesh.server.ui.moments import ago, exact, readable, since, when
from streammesh.server.ui.session import SESSION_COOKIE, SessionKeys, session_principal

OVERSEER_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.GOVERNANCE})

UNREAD_SHOWN = 99
"""The navigation's unread badge counts up to this, then shows ``99+``."""

_templates = Environment(
    loader=PackageLoader("streammesh.server", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters.update(ago=ago, exact=exact, readable=readable, when=when, since=since)


def session_keys(request: Request) -> SessionKeys:
    """The session keys of the app serving ``request`` (made when first needed)."""
    keys = getattr(request.app.state, "streammesh_ui_keys", None)
    if not isinstance(keys, SessionKeys):
        keys = SessionKeys.from_environment()
        request.app.state.streammesh_ui_keys = keys
    return keys


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in principal of a page request.

    Attributes:
        principal: Who the session's token speaks for.
        account: Their user or service account, when one is registered.
        csrf: The token every form of the page must send back.
    """

    principal: Principal
    account: Account | None
    csrf: str

    @property
    def team(self) -> str | None:
        return self.account.team if self.account is not None else None

    @property
    def overseer(self) -> bool:
        """Platform admins and governance see every team's requests."""
        return self.principal.role in OVERSEER_ROLES


def find_viewer(request: Request) -> Viewer | None:
    """The viewer of a request with a valid session cookie and a still active token."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    keys = session_keys(request)
    session = keys.open(cookie)
    if session is None:
        return None
    context = server_context(request)
    principal = session_principal(request, session)
    if principal is None:
        return None
    account = context.runtime.access.accounts.find(principal.name)
    return Viewer(principal, account, keys.csrf_token(session.csrf_seed))


def require_viewer(request: Request) -> Viewer:
    """FastAPI dependency: the viewer, or a redirect to the sign-in page."""
    viewer = find_viewer(request)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(
            303, "sign in first", headers={"Location": f"{UI_PREFIX}/sign-in?next={target}"}
        )
    return viewer


def require_csrf(request: Request, viewer: Viewer, token: str) -> None:
    """Refuse a POST whose form does not carry the session's CSRF token (HTTP 403)."""
    if not token or token != viewer.csrf:
        raise HTTPException(403, "the form is stale or was not sent by this site; reload it")


def access_service(context: ServerContext) -> AccessService:
    """The access service."""
    return context.runtime.access


def render(
    request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """A page rendered from ``template`` with ``values``; a signed-in viewer's navigation
    shows how many notifications they have not read."""
    unread = 0
    if viewer is not None:
        unread = len(
            server_context(request).runtime.notifications.inbox(
                viewer.principal.name, unread_only=True, limit=UNREAD_SHOWN + 1
            )
        )
    page = _templates.get_template(template).render(
        viewer=viewer,
        prefix=UI_PREFIX,
        path=request.url.path,
        unread_count=unread,
        unread_shown=UNREAD_SHOWN,
        **values,
    )
    return HTMLResponse(
        page,
        status_code=status_code,
        headers={
            # Our own scripts and styles only; nothing inline, no frames.
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        },
    )


CurrentViewer = Annotated[Viewer, Depends(require_viewer)]
Context = Annotated[ServerContext, Depends(server_context)]
