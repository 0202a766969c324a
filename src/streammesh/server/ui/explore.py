"""The Explore page: free-text search with facet counts over the catalog."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from streammesh.catalog import Catalog, Facet, SearchResult
from streammesh.products import Status
from streammesh.server.context import ServerContext
from streammesh.server.ui.cards import result_cards
from streammesh.server.ui.viewer import UI_PREFIX, Context, CurrentViewer, render

router = APIRouter(include_in_schema=False)

SHOWN_FACETS = (
    Facet.DOMAIN,
    Facet.OWNER,
    Facet.TEAM,
    Facet.TAGS,
    Facet.QUALITY,
    Facet.SLA_TIER,
    Facet.ALIGNMENT,
    Facet.STATUS,
)
PAGE_SIZE = 20
MAX_PAGE = 10_000
PAGER_SPAN = 2
"""Page links shown either side of the current page (plus the first and the last)."""
SHOW_DEPRECATED = ("deprecated", "true")
NEAR_WORDS = 3
"""Near names offered when a search finds nothing."""
ANY_OF = frozenset(SHOWN_FACETS) - {Facet.TAGS}
"""Facets where several chosen values mean any of them (tags mean every one of them)."""

Filter = Annotated[list[str] | None, Query()]


@router.get(f"{UI_PREFIX}/", response_class=HTMLResponse)
def explore(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    q: str = "",
    domain: Filter = None,
    owner: Filter = None,
    team: Filter = None,
    tags: Filter = None,
    quality: Filter = None,
    sla_tier: Filter = None,
    alignment: Filter = None,
    status: Filter = None,
    deprecated: bool = False,
    page: int = 1,
) -> HTMLResponse:
    """Search results, each facet's values with counts as links that narrow the search.

    Deprecated products are hidden unless ``deprecated`` is set (or the status facet asks
    for them), as in the CLI's and the API's default search; page links and facet links
    keep the query, the filters and that choice.
    """
    chosen = {
        Facet.DOMAIN: domain or [],
        Facet.OWNER: owner or [],
        Facet.TEAM: team or [],
        Facet.TAGS: tags or [],
        Facet.QUALITY: quality or [],
        Facet.SLA_TIER: sla_tier or [],
        Facet.ALIGNMENT: alignment or [],
        Facet.STATUS: status or [],
    }
    catalog = context.runtime.plane.catalog

    def search(filters: Mapping[Facet, list[str]], limit: int, offset: int = 0) -> SearchResult:
        tiers = [int(tier) for tier in filters[Facet.SLA_TIER] if tier.isdigit()]
        return catalog.search(
            q,
            domain=filters[Facet.DOMAIN] or None,
            owner=filters[Facet.OWNER] or None,
            team=filters[Facet.TEAM] or None,
            tags=filters[Facet.TAGS] or None,
            quality=filters[Facet.QUALITY] or None,
            sla_tier=tiers or None,
            alignment=filters[Facet.ALIGNMENT] or None,
            status=filters[Facet.STATUS] or None,
            include_deprecated=deprecated,
            limit=limit,
            offset=offset,
        )

    # A page out of range (an old bookmark, products retired since) shows the nearest one.
    page = min(max(page, 1), MAX_PAGE)
    result = search(chosen, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    if result.total and not result.hits:
        page = (result.total + PAGE_SIZE - 1) // PAGE_SIZE
        result = search(chosen, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    counts = dict(result.facets)
    # A facet whose values are alternatives (any of them) is counted without its own
    # choice, so the values not chosen stay offered and a second one can be added.
    for facet in ANY_OF:
        if chosen[facet]:
            counts[facet] = search({**chosen, facet: []}, 1).facets.get(facet, {})
    base = [("q", q)] if q else []
    base += [(facet.value, value) for facet, values in chosen.items() for value in values]
    shown = [*base, SHOW_DEPRECATED] if deprecated else base
    facets = _facet_links(counts, chosen, shown)
    clear_all = [pair for pair in shown if pair[0] in ("q", SHOW_DEPRECATED[0])]
    empty: dict[str, Any] | None = None
    if result.total == 0:
        filtered = [pair for pair in shown if pair[0] != "q"]
        empty = {
            "suggestions": [
                {"word": word, "query": [("q", word), *filtered]} for word in near_words(context, q)
            ],
            "without_filters": search({facet: [] for facet in chosen}, 1).total
            if filters_of(base)
            else 0,
            "clear_all": clear_all,
            "deprecated": 0 if deprecated else _deprecated_total(catalog, q, chosen),
            "show_deprecated": [*base, SHOW_DEPRECATED],
        }
    pages = max((result.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render(
        request,
        "explore.html",
        viewer,
        title="Explore",
        q=q,
        result=result,
        cards=result_cards(context, result.hits),
        facets=facets,
        page=page,
        pages=pages,
        pager=pager(shown, page, pages),
        deprecated=deprecated,
        deprecated_toggle=_toggle(shown, *SHOW_DEPRECATED),
        filters=filters_of(base),
        chips=[
            {"label": f"{name.replace('_', ' ')}: {value}", "query": _toggle(shown, name, value)}
            for name, value in filters_of(base)
        ],
        clear_all=clear_all,
        empty=empty,
    )


def _facet_links(
    counts: Mapping[Facet, Mapping[str, int]],
    chosen: Mapping[Facet, list[str]],
    query: list[tuple[str, str]],
) -> list[dict[str, Any]]:
    """Each shown facet's values, most frequent first, each with its count, whether it is
    chosen, and the ``query`` that toggles it."""
    return [
        {
            "name": facet.value,
            "values": [
                {
                    "value": value,
                    "count": count,
                    "selected": value in chosen[facet],
                    "query": _toggle(query, facet.value, value),
                }
                for value, count in sorted(
                    counts.get(facet, {}).items(), key=lambda item: (-item[1], item[0])
                )
            ],
        }
        for facet in SHOWN_FACETS
    ]


def pager(query: list[tuple[str, str]], page: int, pages: int) -> dict[str, Any]:
    """Links to the previous, next, first, last and nearby pages, each keeping ``query``.

    Returns:
        ``previous`` and ``next`` (a query, or None at either end) and ``numbers``: the page
        numbers to show (the first, the last, and two either side of ``page``), each with its
        query and whether it is the current one; None stands for a gap.
    """

    def at(number: int) -> list[tuple[str, str]]:
        return [*query, ("page", str(number))] if number > 1 else list(query)

    wanted = sorted(
        {1, pages, *range(max(page - PAGER_SPAN, 1), min(page + PAGER_SPAN, pages) + 1)}
    )
    numbers: list[dict[str, Any] | None] = []
    for number in wanted:
        if numbers and (last := numbers[-1]) is not None and number > last["number"] + 1:
            numbers.append(None)
        numbers.append({"number": number, "query": at(number), "current": number == page})
    return {
        "previous": at(page - 1) if page > 1 else None,
        "next": at(page + 1) if page < pages else None,
        "numbers": numbers if pages > 1 else [],
    }


def _toggle(base: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """The query with ``name=value`` added, or removed when it is there already."""
    pair = (name, value)
    return [item for item in base if item != pair] if pair in base else [*base, pair]


def filters_of(query: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The facet filters of ``query``: every pair but the search text."""
    return [pair for pair in query if pair[0] != "q"]


def near_words(context: ServerContext, query: str) -> list[str]:
    """Up to three product names, or parts of names, close to ``query`` (for a search that
    found nothing): ``ledgre`` suggests ``ledger`` when ``finance.ledger`` exists."""
    wanted = query.strip().lower()
    if not wanted:
        return []
    words: set[str] = set()
    for record in context.runtime.plane.products():
        words.add(record.name.lower())
        words.update(part for part in re.split(r"[._\-\s]+", record.name.lower()) if part)
    words.discard(wanted)
    return difflib.get_close_matches(wanted, sorted(words), n=NEAR_WORDS)


def _deprecated_total(catalog: Catalog, query: str, chosen: Mapping[Facet, list[str]]) -> int:
    """How many deprecated product versions the search would find if they were shown."""
    if chosen[Facet.STATUS]:
        return 0  # the status facet already decides which statuses are listed
    tiers = [int(tier) for tier in chosen[Facet.SLA_TIER] if tier.isdigit()]
    return catalog.search(
        query,
        domain=chosen[Facet.DOMAIN] or None,
        owner=chosen[Facet.OWNER] or None,
        team=chosen[Facet.TEAM] or None,
        tags=chosen[Facet.TAGS] or None,
        quality=chosen[Facet.QUALITY] or None,
        sla_tier=tiers or None,
        alignment=chosen[Facet.ALIGNMENT] or None,
        status=[Status.DEPRECATED.value],
        limit=1,
    ).total
