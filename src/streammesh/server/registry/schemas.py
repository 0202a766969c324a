"""Schemas by their global id: ``/schemas/ids/{id}`` and what holds them, and the formats.

Reads by id are every deserializing client's hot path: a schema the registry holds in memory
is answered on the event loop, without a store query.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from streammesh.registry import SchemaRegistry, SqlSchemaRegistry, StoredSchema
from streammesh.server.auth import Reader
from streammesh.server.registry.models import SchemaReply, SubjectVersionPair
from streammesh.server.registry.translation import (
    LOOKUP,
    Deleted,
    Format,
    Limit,
    Offset,
    RawSchemaResponse,
    RegistryJSONResponse,
    SchemaId,
    page,
    raw_schema,
    registry_of,
    schema_json,
)

router = APIRouter()


@router.get("/schemas/types", response_model=list[str])
def schema_types(request: Request, _: Reader) -> list[str]:
    """The schema formats this registry accepts."""
    return [t.value for t in registry_of(request).schema_types()]


def _stored_schema(registry: SchemaRegistry, schema_id: int) -> StoredSchema | None:
    """The schema ``schema_id`` if the registry has it in memory (no store query): the hot
    path of every deserializing client, answered on the event loop."""
    if isinstance(registry, SqlSchemaRegistry):
        return registry.remembered_schema(schema_id)
    return None


@router.get(
    "/schemas/ids/{schema_id}",
    responses=LOOKUP,
    response_model=SchemaReply,
    response_model_exclude_none=True,
    response_model_by_alias=True,
)
async def schema_by_id(
    request: Request, schema_id: SchemaId, _: Reader, format: Format = None
) -> Response:
    """A schema by its global id."""
    registry = registry_of(request)
    if format == "serialized":
        # A Protobuf descriptor is built from the store (its references): a worker thread.
        return RegistryJSONResponse(
            await run_in_threadpool(_schema_json_by_id, registry, schema_id, format)
        )
    stored = _stored_schema(registry, schema_id)
    if stored is None:
        stored = await run_in_threadpool(registry.schema, schema_id)
    body = schema_json(registry, stored.schema_type, stored.schema, stored.references, None)
    return RegistryJSONResponse(body)


def _schema_json_by_id(registry: SchemaRegistry, schema_id: int, fmt: str | None) -> dict[str, Any]:
    stored = registry.schema(schema_id)
    return schema_json(registry, stored.schema_type, stored.schema, stored.references, fmt)


@router.get("/schemas/ids/{schema_id}/schema", response_class=RawSchemaResponse, responses=LOOKUP)
async def raw_schema_by_id(request: Request, schema_id: SchemaId, _: Reader) -> Response:
    """The schema text of a global id, unwrapped."""
    registry = registry_of(request)
    stored = _stored_schema(registry, schema_id)
    if stored is None:
        stored = await run_in_threadpool(registry.schema, schema_id)
    return raw_schema(stored.schema)


@router.get("/schemas/ids/{schema_id}/subjects", response_model=list[str], responses=LOOKUP)
def subjects_of_schema(
    request: Request,
    schema_id: SchemaId,
    _: Reader,
    deleted: Deleted = False,
    subject: Annotated[str | None, Query(description="Only this subject.")] = None,
    offset: Offset = 0,
    limit: Limit = -1,
) -> list[str]:
    """The subjects holding a schema."""
    pairs = registry_of(request).subject_versions_of(schema_id, deleted=deleted)
    names = sorted({s for s, _ in pairs if subject is None or s == subject})
    return page(names, offset, limit)


@router.get(
    "/schemas/ids/{schema_id}/versions", response_model=list[SubjectVersionPair], responses=LOOKUP
)
def versions_of_schema(
    request: Request,
    schema_id: SchemaId,
    _: Reader,
    deleted: Deleted = False,
    subject: Annotated[str | None, Query(description="Only this subject.")] = None,
    offset: Offset = 0,
    limit: Limit = -1,
) -> list[dict[str, Any]]:
    """The (subject, version) pairs holding a schema."""
    pairs = registry_of(request).subject_versions_of(schema_id, deleted=deleted)
    rows = [{"subject": s, "version": v} for s, v in pairs if subject is None or s == subject]
    return page(rows, offset, limit)
