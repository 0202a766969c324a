"""The UI's "not found" page: an unknown product, lineage centre or path answers a page
with the navigation (and close product names as "did you mean" links), not a bare JSON
error; ``/api/v1`` and ``/registry`` keep their JSON errors."""

from __future__ import annotations

import difflib

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from streammesh.server.context import ServerContext
from streammesh.server.ui.viewer import UI_PREFIX, Viewer, find_viewer, render

router = APIRouter(include_in_schema=False)

SUGGESTIONS = 3


def close_products(context: ServerContext, reference: str) -> list[str]:
    """Up to three product names close to ``reference`` (its ``.vN`` suffix ignored)."""
    name = reference.rsplit(".v", 1)[0] if _versioned(reference) else reference
    names = sorted({record.name for record in context.runtime.plane.products()})
    return difflib.get_close_matches(name, names, n=SUGGESTIONS)


def _versioned(reference: str) -> bool:
    head, _, tail = reference.rpartition(".v")
    return bool(head) and tail.isdigit()


def not_found_page(
    request: Request,
    message: str,
    *,
    suggestions: list[str] | None = None,
    link: str = f"{UI_PREFIX}/products/",
) -> HTMLResponse:
    """A 404 page naming what was not found, with "did you mean" links (``link`` + name).

    The navigation shows when the request carries a live session; otherwise the page
    offers the sign-in form.
    """
    return render(
        request,
        "not_found.html",
        find_viewer(request),
        status_code=404,
        title="Not found",
        problem=message,
        suggestions=[{"name": name, "href": f"{link}{name}"} for name in suggestions or []],
    )


_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
}


def error_page(
    request: Request, status: int, message: str, reference: str | None = None
) -> HTMLResponse:
    """The UI's page for a request it cannot answer (``status``, e.g. 422 for a query value
    of the wrong type), with the navigation; the server's error handlers call it for /ui.

    A server failure (5xx) shows no detail of it: only that it is not the user's doing and
    ``reference``, the id the server logged the failure (and its traceback) under.
    """
    failed = status >= 500
    return render(
        request,
        "not_found.html",
        _viewer_if_possible(request) if failed else find_viewer(request),
        status_code=status,
        title="Something went wrong" if failed else _TITLES.get(status, "Bad request"),
        heading="Something went wrong" if failed else _TITLES.get(status, "Bad request"),
        problem=message,
        reference=reference,
        retry=_address(request) if failed and request.method == "GET" else None,
        suggestions=[],
    )


def _address(request: Request) -> str:
    """The path and query the request asked for (to ask again)."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _viewer_if_possible(request: Request) -> Viewer | None:
    """The signed-in viewer, or None when even that fails: the failure being shown may be
    the store's, and the error page must still be drawn."""
    try:
        return find_viewer(request)
    except Exception:
        return None


@router.api_route(
    f"{UI_PREFIX}/{{rest:path}}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
)
def unknown_page(request: Request, rest: str) -> HTMLResponse:
    """Any path under ``/ui`` no page answers (the UI router includes this route last)."""
    return not_found_page(request, f"There is no page at {UI_PREFIX}/{rest}.")
