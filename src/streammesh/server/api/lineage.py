"""``/lineage`` and ``/openlineage``: the lineage graph, impact analysis, and OpenLineage run
events in and out.

Any token reads lineage. Posting run events needs a role that runs pipelines or owns them
(platform-admin, governance, domain-owner, member): pipelines post with their service
accounts' tokens.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from streammesh.identity import Principal, Role
from streammesh.lineage import Direction, MeshLineage, dependents
from streammesh.server.api.models.lineage import (
    ImpactDocument,
    LineageGraphDocument,
    ObservedJobDocument,
    OpenLineageEventDocument,
    OpenLineageRunEvent,
)
from streammesh.server.api.responses import errors
from streammesh.server.auth import Reader, require_role
from streammesh.server.context import server_context
from streammesh.server.errors import ServiceNotConfigured

router = APIRouter(tags=["lineage"])

RUN_EVENT_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.GOVERNANCE, Role.DOMAIN_OWNER, Role.MEMBER})
"""Who may post OpenLineage run events."""


def _lineage(request: Request) -> MeshLineage:
    return server_context(request).runtime.lineage


Lineage = Annotated[MeshLineage, Depends(_lineage)]
RunReporter = Annotated[Principal, Depends(require_role(RUN_EVENT_ROLES))]
ProductQuery = Annotated[
    str,
    Query(
        description="A product: its name (current version) or `<name>.v<N>`.",
        min_length=1,
        max_length=300,
    ),
]


@router.get("/lineage", response_model=LineageGraphDocument, responses=errors(404))
def lineage_graph(
    _: Reader,
    lineage: Lineage,
    product: Annotated[
        str | None,
        Query(
            description="Center on this product (name or `<name>.v<N>`); leave out for the "
            "whole mesh.",
            min_length=1,
            max_length=300,
        ),
    ] = None,
    direction: Annotated[
        Direction, Query(description="With `product`: which way to walk.")
    ] = Direction.BOTH,
    depth: Annotated[
        int | None,
        Query(ge=1, le=100, description="With `product`: at most this many hops (default: all)."),
    ] = None,
) -> dict[str, Any]:
    """The lineage graph: products, applications and external datasets, with edges pointing
    downstream (kind, where each was learnt, last seen, lag by offsets)."""
    graph = lineage.graph() if product is None else lineage.around(product, direction, depth)
    return graph.document()


@router.get("/lineage/impact", response_model=ImpactDocument, responses=errors(404))
def lineage_impact(_: Reader, lineage: Lineage, product: ProductQuery) -> dict[str, Any]:
    """Every application and product downstream of a product, transitively, with owners and
    contacts: who to tell before deprecating it or breaking its schema."""
    reference = lineage.plane.product(product).reference
    return {
        "product": reference,
        "dependents": [dependent.document() for dependent in dependents(lineage, reference)],
    }


@router.post(
    "/openlineage",
    status_code=status.HTTP_201_CREATED,
    response_model=ObservedJobDocument,
    responses=errors(400, 403),
)
def post_run_event(body: OpenLineageRunEvent, _: RunReporter, lineage: Lineage) -> dict[str, Any]:
    """Record an OpenLineage run event: its job becomes an application of the lineage graph,
    its datasets the products (topics `<name>.v<N>`) or external datasets it reads and
    writes. Events from OpenLineage clients are taken as sent (spec 2-0-x, facets included:
    each facet needs `_producer` and `_schemaURL`). Answers the job as now known."""
    if lineage.runs is None:
        raise ServiceNotConfigured("lineage store")
    return lineage.runs.record(body.event()).document()


@router.get(
    "/openlineage/export",
    response_model=list[OpenLineageEventDocument],
    response_model_exclude_none=True,
    responses=errors(),
)
def export_run_events(_: Reader, lineage: Lineage) -> list[dict[str, Any]]:
    """The lineage graph's jobs and datasets as OpenLineage run events, one per application;
    each product dataset carries the standard facets `schema`, `ownership`,
    `documentation`, `datasource` and `symlinks`."""
    return lineage.export()
