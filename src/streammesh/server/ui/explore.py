"""The Explore page: free-text search with facet counts over the catalog."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from streammesh.catalog.model import Facet
from streammesh.server.ui.viewer import UI_PREFIX, Context, CurrentViewer, render

router = APIRouter(include_in_schema=False)

SHOWN_FACETS = (
    Facet.DOMAIN,
    Facet.OWNER,
    Facet.TAGS,
    Facet.QUALITY,
    Facet.SLA_TIER,
    Facet.ALIGNMENT,
    Facet.STATUS,
)
PAGE_SIZE = 20

Filter = Annotated[list[str] | None, Query()]


@router.get(f"{UI_PREFIX}/", response_class=HTMLResponse)
def explore(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    q: str = "",
    domain: Filter = None,
    owner: Filter = None,
    tags: Filter = None,
    quality: Filter = None,
    sla_tier: Filter = None,
    alignment: Filter = None,
    status: Filter = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Search results, each facet's values with counts as links that narrow the search."""
    if context.plane is None:
        raise HTTPException(503, "the catalog is not available on this server")
    tiers = [int(tier) for tier in sla_tier or [] if tier.isdigit()]
    result = context.plane.catalog.search(
        q,
        domain=domain,
        owner=owner,
        tags=tags,
        quality=quality,
        sla_tier=tiers or None,
        alignment=alignment,
        status=status,
        include_deprecated=True,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    chosen = {
        Facet.DOMAIN: domain or [],
        Facet.OWNER: owner or [],
        Facet.TAGS: tags or [],
        Facet.QUALITY: quality or [],
        Facet.SLA_TIER: sla_tier or [],
        Facet.ALIGNMENT: alignment or [],
        Facet.STATUS: status or [],
    }
    base = [("q", q)] if q else []
    base += [(facet.value, value) for facet, values in chosen.items() for value in values]
    facets = [
        {
            "name": facet.value,
            "values": [
                {
                    "value": value,
                    "count": count,
                    "selected": value in chosen[facet],
                    "query": _toggle(base, facet.value, value),
                }
                for value, count in sorted(
                    result.facets.get(facet, {}).items(), key=lambda item: (-item[1], item[0])
                )
            ],
        }
        for facet in SHOWN_FACETS
    ]
    return render(
        request,
        "explore.html",
        viewer,
        title="Explore",
        q=q,
        result=result,
        facets=facets,
        page=page,
        pages=max((result.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        filters=[pair for pair in base if pair[0] != "q"],
    )


def _toggle(base: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """The query with ``name=value`` added, or removed when it is there already."""
    pair = (name, value)
    return [item for item in base if item != pair] if pair in base else [*base, pair]
