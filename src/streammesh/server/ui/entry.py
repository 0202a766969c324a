"""Signing in and out, the UI's own static files, and ``/`` leading to the UI."""

from __future__ import annotations

import secrets
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from streammesh.server.auth import client_address, failed_sign_ins
from streammesh.server.context import server_context
from streammesh.server.ui.session import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    session_store,
)
from streammesh.server.ui.viewer import UI_PREFIX, find_viewer, render, session_keys

router = APIRouter(include_in_schema=False)

_STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
FAVICON = "favicon.svg"


@router.get("/")
def root() -> RedirectResponse:
    """The server's home page is the UI."""
    return RedirectResponse(f"{UI_PREFIX}/", status_code=307)


@router.get("/favicon.ico")
def favicon() -> Response:
    """The UI's icon, for browsers and tools that ask for ``/favicon.ico`` without reading
    the page's ``<link rel="icon">`` (an SVG: every current browser shows it)."""
    return static_file(FAVICON)


@router.get(f"{UI_PREFIX}/static/{{name}}")
def static_file(name: str) -> Response:
    """One of the UI's own stylesheets, scripts or icons (a flat directory; nothing else)."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    folder = resources.files("streammesh.server") / "static"
    if "/" in name or name.startswith(".") or suffix not in _STATIC_TYPES:
        raise HTTPException(404, f"no static file '{name}'")
    found = folder / name
    if not found.is_file():
        raise HTTPException(404, f"no static file '{name}'")
    return Response(
        found.read_bytes(),
        media_type=_STATIC_TYPES[suffix],
        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def _safe_next(target: str) -> str:
    """Only a path of the UI: never an address elsewhere (no open redirect)."""
    if target.startswith(f"{UI_PREFIX}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{UI_PREFIX}/"


@router.get(f"{UI_PREFIX}/sign-in")
def sign_in_page(request: Request, next: str = f"{UI_PREFIX}/") -> Response:
    """The sign-in form (an API token)."""
    return _sign_in_form(request, _safe_next(next), error=None, status_code=200)


def _sign_in_form(
    request: Request,
    target: str,
    *,
    error: str | None,
    status_code: int,
    headers: dict[str, str] | None = None,
) -> Response:
    seed = request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(16)
    response = render(
        request,
        "sign_in.html",
        None,
        status_code=status_code,
        next=target,
        csrf=session_keys(request).csrf_token(seed),
        error=error,
    )
    response.headers.update(headers or {})
    response.set_cookie(
        PRE_SESSION_COOKIE,
        seed,
        httponly=True,
        samesite="strict",
        path=UI_PREFIX,
        secure=request.url.scheme == "https",
    )
    return response


@router.post(f"{UI_PREFIX}/sign-in")
def sign_in(
    request: Request,
    token: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = f"{UI_PREFIX}/",
) -> Response:
    """Check the token with the token store and start a server-side session.

    Failed sign-ins are logged and counted with the API's (per client address); too many
    within a minute get the form back with 429 and ``Retry-After``, the token unchecked.
    """
    keys = session_keys(request)
    target = _safe_next(next)
    if not keys.csrf_valid(request.cookies.get(PRE_SESSION_COOKIE, ""), csrf):
        return _sign_in_form(
            request, target, error="The form expired; sign in again.", status_code=403
        )
    address = client_address(request)
    failures = failed_sign_ins(request)
    wait = failures.retry_after(address)
    if wait is not None:
        return _sign_in_form(
            request,
            target,
            error=f"Too many failed sign-ins from your address; try again in {wait} s.",
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    principal = server_context(request).tokens.verify(token.strip())
    if principal is None:
        failures.failed(address, request.url.path, "the token is unknown, revoked or expired")
        return _sign_in_form(
            request, target, error="That token is unknown, revoked or expired.", status_code=401
        )
    session_id = session_store(request).start(principal.token_id)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        keys.seal(session_id),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        path=UI_PREFIX,
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(PRE_SESSION_COOKIE, path=UI_PREFIX)
    return response


@router.post(f"{UI_PREFIX}/sign-out")
def sign_out(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session on the server, so a copy of its cookie no longer signs anyone in (the
    token itself stays valid for the API)."""
    viewer = find_viewer(request)
    if viewer is not None and csrf != viewer.csrf:
        raise HTTPException(403, "the form is stale or was not sent by this site; reload it")
    cookie = request.cookies.get(SESSION_COOKIE)
    session = session_keys(request).open(cookie) if cookie else None
    if session is not None:
        session_store(request).end(session.session_id)
    response = RedirectResponse(f"{UI_PREFIX}/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=UI_PREFIX)
    return response
