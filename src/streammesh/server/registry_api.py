"""The Confluent Schema Registry API, served under ``/registry``.

Each route is a thin translation between Confluent's JSON shapes and the
:class:`~streammesh.registry.base.SchemaRegistry` Protocol; errors go through the server's
error table. Like Confluent: ``schemaType`` omitted means AVRO and AVRO responses omit it,
versions are a positive number, ``latest`` or ``-1``, and responses are
``application/vnd.schemaregistry.v1+json``. Reads need any valid token; changes (register,
delete, config, mode) need a writer role (:data:`streammesh.server.auth.WRITER_ROLES`), act
only within the caller's domains and are audited (see
:class:`~streammesh.server.registry_writes.RegistryWrites`); the global compatibility level and
mode belong to platform admins and governance.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from streammesh.identity import Principal, Role
from streammesh.registry.base import (
    CompatibilityLevel,
    RegistryMode,
    SchemaReference,
    SchemaRegistry,
    SchemaSubmission,
    StoredSchema,
    VersionSelector,
)
from streammesh.registry.errors import (
    InvalidCompatibilityLevel,
    InvalidMode,
    InvalidSchemaSubmission,
    InvalidVersion,
    SubjectNotFound,
)
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.schemas.base import SchemaType
from streammesh.server.auth import Reader, Writer, require_role
from streammesh.server.context import server_context
from streammesh.server.errors import REGISTRY_MEDIA_TYPE
from streammesh.server.protobuf_descriptors import (
    is_serialized_descriptor,
    proto_text_from_serialized,
    serialized_from_proto_text,
)
from streammesh.server.registry_models import (
    JAVA_INT_MAX,
    JAVA_INT_MIN,
    CompatibilityReply,
    ConfigBody,
    ConfigReply,
    ConfigUpdateReply,
    ModeBody,
    ModeReply,
    RegisteredReply,
    SchemaBody,
    SchemaReply,
    SubjectVersionPair,
    SubjectVersionReply,
    registry_errors,
)
from streammesh.server.registry_writes import RegistryWrites

# The mesh-wide settings (global compatibility level and mode) belong to the roles that act on
# every domain; a domain owner changes only its own subjects' settings.
Overseer = Annotated[Principal, Depends(require_role((Role.PLATFORM_ADMIN, Role.GOVERNANCE)))]


class RegistryJSONResponse(JSONResponse):
    """JSON with Confluent's media type, which its clients ask for first."""

    media_type = REGISTRY_MEDIA_TYPE


class RawSchemaResponse(Response):
    """A schema's text as the whole body, with Confluent's media type."""

    media_type = REGISTRY_MEDIA_TYPE


# What each kind of route can answer besides success; every route needs a token (401).
_READ = registry_errors(401, 422)
_LOOKUP = registry_errors(401, 404, 422)
_WRITE = registry_errors(401, 403, 422)
_WRITE_EXISTING = registry_errors(401, 403, 404, 422)
_RESET = registry_errors(401, 403)
# Routes that read a JSON body: FastAPI answers 400 when its bytes are not UTF-8 at all.
_READ_BODY = registry_errors(400, 401, 404, 422)
_WRITE_BODY = registry_errors(400, 401, 403, 422)

router = APIRouter(
    default_response_class=RegistryJSONResponse,
    tags=["schema registry"],
    responses=registry_errors(401),
)

# --- translation ---------------------------------------------------------------------------

Subject = Annotated[str, Path(description="The subject, e.g. `execution.stocktrades.v1-value`.")]
VersionPath = Annotated[str, Path(description="A version number, `latest` or `-1`.")]
SchemaId = Annotated[
    int,
    Path(
        ge=JAVA_INT_MIN,
        le=JAVA_INT_MAX,
        description="A global schema id (a Java int, as Confluent's).",
    ),
]
Deleted = Annotated[bool, Query(description="Include soft-deleted subjects or versions.")]
DeletedOnly = Annotated[
    bool, Query(alias="deleted_only", description="Only soft-deleted subjects or versions.")
]
Offset = Annotated[int, Query(ge=0, description="Skip this many results.")]
Limit = Annotated[int, Query(description="At most this many results; negative: all.")]
Normalize = Annotated[bool, Query(description="Register or look up the canonical form.")]
Format = Annotated[
    str | None,
    Query(description="`serialized`: Protobuf schemas as a base64 FileDescriptorProto."),
]
Permanent = Annotated[bool, Query(description="Delete for good (after a soft delete).")]
DefaultToGlobal = Annotated[
    bool, Query(alias="defaultToGlobal", description="Fall back to the global setting.")
]


def _registry(request: Request) -> SchemaRegistry:
    return server_context(request).runtime.registry


def _writes(request: Request, principal: Principal) -> RegistryWrites:
    """The registry's writes as ``principal`` makes them (domains, products in use, audit)."""
    runtime = server_context(request).runtime
    return RegistryWrites(runtime.registry, principal, runtime.plane.relay_events)


def parse_version(raw: str) -> VersionSelector:
    """A version path segment: a positive number, ``latest`` or ``-1``."""
    if raw in ("latest", "-1"):
        return "latest"
    try:
        number = int(raw)
    except ValueError:
        raise InvalidVersion(raw) from None
    if not 1 <= number <= JAVA_INT_MAX:  # Confluent's versions are Java ints
        raise InvalidVersion(raw)
    return number


def _schema_type(raw: str | None) -> SchemaType:
    if raw is None:
        return SchemaType.AVRO
    try:
        return SchemaType(raw.upper())
    except ValueError:
        raise InvalidSchemaSubmission(
            f"unknown schemaType {raw!r}: use AVRO, JSON or PROTOBUF"
        ) from None


def submission_of(body: SchemaBody) -> SchemaSubmission:
    """The registry's view of a request body (base64 Protobuf descriptors become text)."""
    if body.metadata or body.rule_set:
        raise InvalidSchemaSubmission(
            "schema metadata and rule sets are not supported by streammesh; "
            "send the schema without 'metadata' and 'ruleSet'"
        )
    schema_type = _schema_type(body.schema_type)
    text = body.schema_text
    if schema_type is SchemaType.PROTOBUF and is_serialized_descriptor(text):
        text = proto_text_from_serialized(text)
    references = tuple(
        SchemaReference(name=r.name, subject=r.subject, version=r.version)
        for r in body.references or ()
    )
    return SchemaSubmission(schema=text, schema_type=schema_type, references=references)


def _references_json(references: tuple[SchemaReference, ...]) -> list[dict[str, Any]]:
    return [{"name": r.name, "subject": r.subject, "version": r.version} for r in references]


def _schema_json(
    registry: SchemaRegistry,
    schema_type: SchemaType,
    text: str,
    references: tuple[SchemaReference, ...],
    fmt: str | None,
) -> dict[str, Any]:
    if fmt == "serialized" and schema_type is SchemaType.PROTOBUF:
        text = serialized_from_proto_text(registry, text, references)
    body: dict[str, Any] = {"schema": text}
    if schema_type is not SchemaType.AVRO:
        body["schemaType"] = schema_type.value
    if references:
        body["references"] = _references_json(references)
    return body


def _page(items: list[Any], offset: int, limit: int) -> list[Any]:
    return items[offset:] if limit < 0 else items[offset : offset + limit]


def _compatibility_level(body: ConfigBody) -> CompatibilityLevel:
    raw = body.compatibility if body.compatibility is not None else body.compatibilityLevel
    if raw is None:
        raise InvalidCompatibilityLevel(None)
    try:
        return CompatibilityLevel(raw.upper())
    except ValueError:
        raise InvalidCompatibilityLevel(raw) from None


def _mode(body: ModeBody) -> RegistryMode:
    try:
        return RegistryMode(body.mode.upper())
    except ValueError:
        raise InvalidMode(body.mode) from None


def _raw_schema(text: str) -> Response:
    # Confluent answers /schema routes with the schema text itself as the body.
    return RawSchemaResponse(content=text)


# --- schemas ---------------------------------------------------------------------------------


@router.get("/schemas/types", response_model=list[str])
def schema_types(request: Request, _: Reader) -> list[str]:
    """The schema formats this registry accepts."""
    return [t.value for t in _registry(request).schema_types()]


def _stored_schema(registry: SchemaRegistry, schema_id: int) -> StoredSchema | None:
    """The schema ``schema_id`` if the registry has it in memory (no store query): the hot
    path of every deserializing client, answered on the event loop."""
    if isinstance(registry, SqlSchemaRegistry):
        return registry.remembered_schema(schema_id)
    return None


@router.get(
    "/schemas/ids/{schema_id}",
    responses=_LOOKUP,
    response_model=SchemaReply,
    response_model_exclude_none=True,
    response_model_by_alias=True,
)
async def schema_by_id(
    request: Request, schema_id: SchemaId, _: Reader, format: Format = None
) -> Response:
    """A schema by its global id."""
    registry = _registry(request)
    if format == "serialized":
        # A Protobuf descriptor is built from the store (its references): a worker thread.
        return RegistryJSONResponse(
            await run_in_threadpool(_schema_json_by_id, registry, schema_id, format)
        )
    stored = _stored_schema(registry, schema_id)
    if stored is None:
        stored = await run_in_threadpool(registry.schema, schema_id)
    body = _schema_json(registry, stored.schema_type, stored.schema, stored.references, None)
    return RegistryJSONResponse(body)


def _schema_json_by_id(registry: SchemaRegistry, schema_id: int, fmt: str | None) -> dict[str, Any]:
    stored = registry.schema(schema_id)
    return _schema_json(registry, stored.schema_type, stored.schema, stored.references, fmt)


@router.get("/schemas/ids/{schema_id}/schema", response_class=RawSchemaResponse, responses=_LOOKUP)
async def raw_schema_by_id(request: Request, schema_id: SchemaId, _: Reader) -> Response:
    """The schema text of a global id, unwrapped."""
    registry = _registry(request)
    stored = _stored_schema(registry, schema_id)
    if stored is None:
        stored = await run_in_threadpool(registry.schema, schema_id)
    return _raw_schema(stored.schema)


@router.get("/schemas/ids/{schema_id}/subjects", response_model=list[str], responses=_LOOKUP)
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
    pairs = _registry(request).subject_versions_of(schema_id, deleted=deleted)
    names = sorted({s for s, _ in pairs if subject is None or s == subject})
    return _page(names, offset, limit)


@router.get(
    "/schemas/ids/{schema_id}/versions", response_model=list[SubjectVersionPair], responses=_LOOKUP
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
    pairs = _registry(request).subject_versions_of(schema_id, deleted=deleted)
    rows = [{"subject": s, "version": v} for s, v in pairs if subject is None or s == subject]
    return _page(rows, offset, limit)


# --- subjects --------------------------------------------------------------------------------


@router.get("/subjects", response_model=list[str], responses=_READ)
def subjects(
    request: Request,
    _: Reader,
    deleted: Deleted = False,
    deleted_only: DeletedOnly = False,
    subject_prefix: Annotated[str, Query(alias="subjectPrefix")] = "",
    offset: Offset = 0,
    limit: Limit = -1,
) -> list[str]:
    """Subject names, sorted."""
    registry = _registry(request)
    names = registry.subjects(prefix=subject_prefix, deleted=deleted or deleted_only)
    if deleted_only:
        live = set(registry.subjects(prefix=subject_prefix))
        names = [n for n in names if n not in live]
    return _page(names, offset, limit)


@router.get("/subjects/{subject}/versions", response_model=list[int], responses=_LOOKUP)
def subject_versions(
    request: Request,
    subject: Subject,
    _: Reader,
    deleted: Deleted = False,
    deleted_only: DeletedOnly = False,
    offset: Offset = 0,
    limit: Limit = -1,
) -> list[int]:
    """A subject's version numbers, ascending."""
    registry = _registry(request)
    numbers = registry.versions(subject, deleted=deleted or deleted_only)
    if deleted_only:
        try:
            live = set(registry.versions(subject))
        except SubjectNotFound:  # every version is soft-deleted
            live = set()
        numbers = [n for n in numbers if n not in live]
    return _page(numbers, offset, limit)


@router.get(
    "/subjects/{subject}/versions/{version}",
    responses=_LOOKUP,
    response_model=SubjectVersionReply,
    response_model_exclude_none=True,
    response_model_by_alias=True,
)
def subject_version(
    request: Request,
    subject: Subject,
    version: VersionPath,
    _: Reader,
    deleted: Deleted = False,
    format: Format = None,
) -> dict[str, Any]:
    """One version of a subject."""
    registry = _registry(request)
    found = registry.version(subject, parse_version(version), deleted=deleted)
    body = {"subject": found.subject, "version": found.version, "id": found.id}
    body.update(_schema_json(registry, found.schema_type, found.schema, found.references, format))
    return body


@router.get(
    "/subjects/{subject}/versions/{version}/schema",
    response_class=RawSchemaResponse,
    responses=_LOOKUP,
)
def raw_subject_version(
    request: Request, subject: Subject, version: VersionPath, _: Reader, deleted: Deleted = False
) -> Response:
    """The schema text of one version, unwrapped."""
    found = _registry(request).version(subject, parse_version(version), deleted=deleted)
    return _raw_schema(found.schema)


@router.get(
    "/subjects/{subject}/versions/{version}/referencedby",
    response_model=list[int],
    responses=_LOOKUP,
)
def referenced_by(
    request: Request,
    subject: Subject,
    version: VersionPath,
    _: Reader,
    offset: Offset = 0,
    limit: Limit = -1,
) -> list[int]:
    """Ids of the schemas that reference this version."""
    ids = _registry(request).referenced_by(subject, parse_version(version))
    return _page(ids, offset, limit)


@router.post(
    "/subjects/{subject}/versions",
    response_model=RegisteredReply,
    responses=registry_errors(400, 401, 403, 404, 409, 422),
)
def register(
    request: Request,
    subject: Subject,
    body: Annotated[SchemaBody, Body()],
    principal: Writer,
    normalize: Normalize = False,
) -> dict[str, int]:
    """Register a schema under a subject of the caller's domains (idempotent); answers its
    global id."""
    writes = _writes(request, principal)
    found = writes.register(subject, submission_of(body), normalize=normalize)
    return {"id": found.id}


@router.post(
    "/subjects/{subject}",
    responses=_READ_BODY,
    response_model=SubjectVersionReply,
    response_model_exclude_none=True,
    response_model_by_alias=True,
)
def lookup(
    request: Request,
    subject: Subject,
    body: Annotated[SchemaBody, Body()],
    _: Reader,
    normalize: Normalize = False,
    deleted: Deleted = False,
    format: Format = None,
) -> dict[str, Any]:
    """The version of a subject that holds a schema."""
    registry = _registry(request)
    found = registry.lookup(subject, submission_of(body), normalize=normalize, deleted=deleted)
    reply = {"subject": found.subject, "version": found.version, "id": found.id}
    reply.update(_schema_json(registry, found.schema_type, found.schema, found.references, format))
    return reply


@router.delete("/subjects/{subject}", response_model=list[int], responses=_WRITE_EXISTING)
def delete_subject(
    request: Request, subject: Subject, principal: Writer, permanent: Permanent = False
) -> list[int]:
    """Soft-delete a subject (or, after that, delete it for good); answers the versions.
    Refused for a subject of a data product that is not retired."""
    return _writes(request, principal).delete_subject(subject, permanent=permanent)


@router.delete(
    "/subjects/{subject}/versions/{version}", response_model=int, responses=_WRITE_EXISTING
)
def delete_version(
    request: Request,
    subject: Subject,
    version: VersionPath,
    principal: Writer,
    permanent: Permanent = False,
) -> int:
    """Soft- or permanently delete one version; answers its number. Refused for the version a
    data product that is not retired uses, and for any permanent delete of its subject's."""
    writes = _writes(request, principal)
    return writes.delete_version(subject, parse_version(version), permanent=permanent)


@router.get(
    "/associations/resources/{namespace}/{resource}", response_model=list[Any], responses=_READ
)
def associations(request: Request, namespace: str, resource: str, _: Reader) -> list[Any]:
    """Always empty: streammesh names subjects by topic (``<topic>-value``) and keeps no
    topic-subject associations. Confluent's serializers ask before falling back to that."""
    return []


# --- compatibility ---------------------------------------------------------------------------


def _compatibility_reply(
    request: Request,
    subject: str,
    body: SchemaBody,
    version: VersionSelector | None,
    normalize: bool,
    verbose: bool,
) -> dict[str, Any]:
    report = _registry(request).check_compatibility(
        subject, submission_of(body), version=version, normalize=normalize
    )
    return {"is_compatible": report.compatible, "messages": report.messages if verbose else []}


Verbose = Annotated[bool, Query(description="List every incompatibility in `messages`.")]


@router.post(
    "/compatibility/subjects/{subject}/versions/{version}",
    response_model=CompatibilityReply,
    responses=_READ_BODY,
)
def check_against_version(
    request: Request,
    subject: Subject,
    version: VersionPath,
    body: Annotated[SchemaBody, Body()],
    _: Reader,
    normalize: Normalize = False,
    verbose: Verbose = False,
) -> dict[str, Any]:
    """Whether a schema is compatible with one version of a subject."""
    return _compatibility_reply(request, subject, body, parse_version(version), normalize, verbose)


@router.post(
    "/compatibility/subjects/{subject}/versions",
    response_model=CompatibilityReply,
    responses=_READ_BODY,
)
def check_against_subject(
    request: Request,
    subject: Subject,
    body: Annotated[SchemaBody, Body()],
    _: Reader,
    normalize: Normalize = False,
    verbose: Verbose = False,
) -> dict[str, Any]:
    """Whether a schema is compatible with the versions the subject's level covers."""
    return _compatibility_reply(request, subject, body, None, normalize, verbose)


# --- config and mode ---------------------------------------------------------------------------


@router.get("/config", response_model=ConfigReply)
def global_config(request: Request, _: Reader) -> dict[str, str]:
    """The global compatibility level."""
    return {"compatibilityLevel": _registry(request).compatibility().value}


@router.put("/config", response_model=ConfigUpdateReply, responses=_WRITE_BODY)
def set_global_config(
    request: Request, body: Annotated[ConfigBody, Body()], principal: Overseer
) -> dict[str, str]:
    """Set the global compatibility level (platform admins and governance)."""
    level = _writes(request, principal).set_compatibility(_compatibility_level(body), None)
    return {"compatibility": level.value}


@router.delete("/config", response_model=ConfigReply, responses=_RESET)
def delete_global_config(request: Request, principal: Overseer) -> dict[str, str]:
    """Reset the global compatibility level to the mesh's default; answers the old one
    (platform admins and governance)."""
    return {"compatibilityLevel": _writes(request, principal).delete_compatibility(None).value}


@router.get("/config/{subject}", response_model=ConfigReply, responses=_LOOKUP)
def subject_config(
    request: Request, subject: Subject, _: Reader, default_to_global: DefaultToGlobal = False
) -> dict[str, str]:
    """A subject's own compatibility level (or the global one with ``defaultToGlobal``)."""
    level = _registry(request).compatibility(subject, fallback=default_to_global)
    return {"compatibilityLevel": level.value}


@router.put("/config/{subject}", response_model=ConfigUpdateReply, responses=_WRITE_BODY)
def set_subject_config(
    request: Request, subject: Subject, body: Annotated[ConfigBody, Body()], principal: Writer
) -> dict[str, str]:
    """Set the compatibility level of a subject of the caller's domains."""
    level = _writes(request, principal).set_compatibility(_compatibility_level(body), subject)
    return {"compatibility": level.value}


@router.delete("/config/{subject}", response_model=ConfigReply, responses=_WRITE_EXISTING)
def delete_subject_config(request: Request, subject: Subject, principal: Writer) -> dict[str, str]:
    """Remove the own compatibility level of a subject of the caller's domains; answers it."""
    level = _writes(request, principal).delete_compatibility(subject)
    return {"compatibilityLevel": level.value}


Force = Annotated[bool, Query(description="Accepted for Confluent clients; has no effect.")]


@router.get("/mode", response_model=ModeReply)
def global_mode(request: Request, _: Reader) -> dict[str, str]:
    """The global mode."""
    return {"mode": _registry(request).mode().value}


@router.put("/mode", response_model=ModeReply, responses=_WRITE_BODY)
def set_global_mode(
    request: Request, body: Annotated[ModeBody, Body()], principal: Overseer, force: Force = False
) -> dict[str, str]:
    """Set the global mode (platform admins and governance)."""
    return {"mode": _writes(request, principal).set_mode(_mode(body), None).value}


@router.delete("/mode", response_model=ModeReply, responses=_RESET)
def delete_global_mode(request: Request, principal: Overseer) -> dict[str, str]:
    """Reset the global mode to READWRITE; answers the old one (platform admins and
    governance)."""
    return {"mode": _writes(request, principal).delete_mode(None).value}


@router.get("/mode/{subject}", response_model=ModeReply, responses=_LOOKUP)
def subject_mode(
    request: Request, subject: Subject, _: Reader, default_to_global: DefaultToGlobal = False
) -> dict[str, str]:
    """A subject's own mode (or the global one with ``defaultToGlobal``)."""
    return {"mode": _registry(request).mode(subject, fallback=default_to_global).value}


@router.put("/mode/{subject}", response_model=ModeReply, responses=_WRITE_BODY)
def set_subject_mode(
    request: Request,
    subject: Subject,
    body: Annotated[ModeBody, Body()],
    principal: Writer,
    force: Force = False,
) -> dict[str, str]:
    """Set the mode of a subject of the caller's domains."""
    return {"mode": _writes(request, principal).set_mode(_mode(body), subject).value}


@router.delete("/mode/{subject}", response_model=ModeReply, responses=_WRITE_EXISTING)
def delete_subject_mode(request: Request, subject: Subject, principal: Writer) -> dict[str, str]:
    """Remove the own mode of a subject of the caller's domains; answers it."""
    return {"mode": _writes(request, principal).delete_mode(subject).value}


__all__ = ["parse_version", "router", "submission_of"]
