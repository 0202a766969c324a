"""Reading data products: list, search, one product's page data, its applications."""

from __future__ import annotations

import json
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from streammesh.catalog import MAX_LIMIT
from streammesh.products import (
    Alignment,
    ExportedProduct,
    QualityTier,
    SlaTier,
    Status,
    asyncapi_document,
    connection_details,
    endpoint_of,
)
from streammesh.server.api.models.products import (
    ApplicationDocument,
    ProductDetail,
    ProductDocument,
    SearchReply,
)
from streammesh.server.api.responses import errors
from streammesh.server.api.services import Log, Plane, Registry
from streammesh.server.auth import Reader
from streammesh.server.context import server_context

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


class ConnectionSchema(BaseModel):
    """The product's value schema in the registry."""

    subject: str
    id: int
    format: str = Field(description="avro, json or protobuf.")


class ConnectionKey(BaseModel):
    """The event key."""

    field: str = Field(description="Field of the event the key is taken from.")
    type: str
    format: str = Field(description="How the key is encoded on the wire.")


class ConnectionGroup(BaseModel):
    """Which consumer group to use."""

    suggested: str = Field(description="`<principal>-<domain>-<product>`.")
    rule: str


class ConnectionSnippets(BaseModel):
    """Ready-to-run snippets; the Kafka ones are null on an embedded mesh."""

    python_sdk: str
    python_confluent_kafka: str | None
    java_properties: str | None
    kcat: str | None


class ConnectionDocument(BaseModel):
    """What a consumer needs to read a product version, for the calling principal."""

    product: str
    principal: str = Field(description="The caller, filled into the snippets.")
    rest_url: str = Field(description="The server's base URL (what `Mesh.connect` takes).")
    bootstrap_servers: str | None = Field(description="Kafka bootstrap servers; null if embedded.")
    registry_url: str
    topic: str
    schema_: ConnectionSchema = Field(alias="schema")
    key: ConnectionKey
    consumer_group: ConnectionGroup
    token_env: str = Field(description="The environment variable the snippets read the token from.")
    snippets: ConnectionSnippets


@router.get(
    "/products/{reference}/connection",
    response_model=ConnectionDocument,
    response_model_by_alias=True,
    responses=errors(404),
)
def connection(
    reference: Reference, principal: Reader, plane: Plane, log: Log, request: Request
) -> dict[str, Any]:
    """How to connect to a product version: the REST URL (embedded mesh) or Kafka bootstrap
    servers, topic, schema subject and id, key format, the consumer group rule, and snippets
    (Python SDK, confluent-kafka, Java properties, kcat) with the caller's principal filled in
    and the token read from `$STREAMMESH_TOKEN` (never included)."""
    record = plane.product(reference)
    details = connection_details(
        record.descriptor,
        schema_id=record.schema_id,
        endpoint=endpoint_of(
            log.url, str(request.base_url), server_context(request).runtime.config.kafka_security
        ),
        principal=principal.name,
    )
    return details.document()


_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


@router.get(
    "/products/{reference}/asyncapi",
    responses={
        **errors(404),
        200: {
            "description": "The AsyncAPI 3.0.0 document; YAML when `Accept` asks for it.",
            "content": {"application/json": {}, "application/yaml": {}},
        },
    },
)
def asyncapi(
    reference: Reference, _: Reader, plane: Plane, log: Log, registry: Registry, request: Request
) -> Response:
    """The product version's AsyncAPI 3.0.0 document: its server (Kafka bootstrap or this
    server's REST API), channel (topic), receive and send operations, and message (key, payload
    schema as registered, Kafka bindings), with owner, SLA, tags, classifications and lifecycle
    as `x-streammesh-*` extensions. JSON, or YAML when `Accept` names `application/yaml`."""
    record = plane.product(reference)
    product = ExportedProduct(record=record, schema=registry.schema(record.schema_id).schema)
    security = server_context(request).runtime.config.kafka_security
    document = asyncapi_document([product], endpoint_of(log.url, str(request.base_url), security))
    accept = request.headers.get("accept", "")
    if any(kind in accept for kind in _YAML_TYPES):
        return Response(
            yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
            media_type="application/yaml",
        )
    return Response(json.dumps(document), media_type="application/json")
