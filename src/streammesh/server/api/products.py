"""Reading data products: list, search, one product's page data, its applications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from streammesh.catalog.catalog import MAX_LIMIT
from streammesh.products.descriptor import Alignment, QualityTier, SlaTier, Status
from streammesh.server.api.models.products import (
    ApplicationDocument,
    ProductDetail,
    ProductDocument,
    SearchReply,
)
from streammesh.server.api.responses import errors
from streammesh.server.api.services import Plane
from streammesh.server.auth import Reader

router = APIRouter(tags=["products"])

Reference = Annotated[
    str,
    Path(
        description="A product, `name` (its current version) or `name.vN` (that version), "
        "e.g. `execution.stocktrades` or `execution.stocktrades.v2`."
    ),
]
Several = Annotated[list[str] | None, Query()]


@router.get("/products", response_model=list[ProductDocument], responses=errors())
def list_products(
    _: Reader,
    plane: Plane,
    domain: Annotated[str | None, Query(description="Only this domain's products.")] = None,
    status: Annotated[
        list[Status] | None, Query(description="Only products in these statuses.")
    ] = None,
) -> list[dict[str, Any]]:
    """Every product version of the mesh, by name and version."""
    statuses = frozenset(status) if status else None
    return [record.document() for record in plane.products(domain=domain, statuses=statuses)]


@router.get("/products/search", response_model=SearchReply, responses=errors())
def search_products(
    _: Reader,
    plane: Plane,
    q: Annotated[str, Query(max_length=1000, description="Free text; empty lists all.")] = "",
    domain: Several = None,
    owner: Several = None,
    team: Several = None,
    tag: Annotated[list[str] | None, Query(description="Products carrying every tag.")] = None,
    quality: Annotated[list[QualityTier] | None, Query()] = None,
    sla_tier: Annotated[list[SlaTier] | None, Query()] = None,
    alignment: Annotated[list[Alignment] | None, Query()] = None,
    status: Annotated[
        list[Status] | None,
        Query(description="Deprecated and retired products appear only when named here."),
    ] = None,
    include_deprecated: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """Full-text search over the catalog with facet counts, best match first."""
    found = plane.catalog.search(
        q,
        domain=domain,
        owner=owner,
        team=team,
        tags=tag,
        quality=[value.value for value in quality] if quality else None,
        sla_tier=[int(tier) for tier in sla_tier] if sla_tier else None,
        alignment=[value.value for value in alignment] if alignment else None,
        status=[value.value for value in status] if status else None,
        include_deprecated=include_deprecated,
        limit=limit,
        offset=offset,
    )
    return found.document()


@router.get("/products/{reference}", response_model=ProductDetail, responses=errors(404))
def show_product(reference: Reference, _: Reader, plane: Plane) -> dict[str, Any]:
    """A product version, the references of all its versions, and its applications."""
    record = plane.product(reference)
    return {
        "product": record.document(),
        "versions": [version.reference for version in plane.versions(record.name)],
        "applications": _applications(plane, record.reference),
    }


@router.get(
    "/products/{reference}/applications",
    response_model=list[ApplicationDocument],
    responses=errors(404),
)
def list_applications(reference: Reference, _: Reader, plane: Plane) -> list[dict[str, Any]]:
    """The applications registered with a product version, each with whether it is active."""
    return _applications(plane, reference)


def _applications(plane: Plane, reference: str) -> list[dict[str, Any]]:
    return [app.document(active=active) for app, active in plane.applications(reference)]
