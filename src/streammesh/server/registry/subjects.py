"""Subjects and their versions: list, read, register, look up and delete.

Writes act only within the caller's domains, are refused for the subjects data products use
(see :class:`~streammesh.server.registry.writes.RegistryWrites`) and are audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response

from streammesh.registry import SubjectNotFound
from streammesh.server.auth import Reader, Writer
from streammesh.server.registry.models import (
    RegisteredReply,
    SchemaBody,
    SubjectVersionReply,
    registry_errors,
)
from streammesh.server.registry.translation import (
    LOOKUP,
    READ,
    READ_BODY,
    WRITE_EXISTING,
    Deleted,
    DeletedOnly,
    Format,
    Limit,
    Normalize,
    Offset,
    Permanent,
    RawSchemaResponse,
    Subject,
    VersionPath,
    page,
    parse_version,
    raw_schema,
    registry_of,
    schema_json,
    submission_of,
    writes_of,
)

router = APIRouter()


@router.get("/subjects", response_model=list[str], responses=READ)
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
    registry = registry_of(request)
    names = registry.subjects(prefix=subject_prefix, deleted=deleted or deleted_only)
    if deleted_only:
        live = set(registry.subjects(prefix=subject_prefix))
        names = [n for n in names if n not in live]
    return page(names, offset, limit)


@router.get("/subjects/{subject}/versions", response_model=list[int], responses=LOOKUP)
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
    registry = registry_of(request)
    numbers = registry.versions(subject, deleted=deleted or deleted_only)
    if deleted_only:
        try:
            live = set(registry.versions(subject))
        except SubjectNotFound:  # every version is soft-deleted
            live = set()
        numbers = [n for n in numbers if n not in live]
    return page(numbers, offset, limit)


@router.get(
    "/subjects/{subject}/versions/{version}",
    responses=LOOKUP,
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
    registry = registry_of(request)
    found = registry.version(subject, parse_version(version), deleted=deleted)
    body = {"subject": found.subject, "version": found.version, "id": found.id}
    body.update(schema_json(registry, found.schema_type, found.schema, found.references, format))
    return body


@router.get(
    "/subjects/{subject}/versions/{version}/schema",
    response_class=RawSchemaResponse,
    responses=LOOKUP,
)
def raw_subject_version(
    request: Request, subject: Subject, version: VersionPath, _: Reader, deleted: Deleted = False
) -> Response:
    """The schema text of one version, unwrapped."""
    found = registry_of(request).version(subject, parse_version(version), deleted=deleted)
    return raw_schema(found.schema)


@router.get(
    "/subjects/{subject}/versions/{version}/referencedby",
    response_model=list[int],
    responses=LOOKUP,
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
    ids = registry_of(request).referenced_by(subject, parse_version(version))
    return page(ids, offset, limit)


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
    writes = writes_of(request, principal)
    found = writes.register(subject, submission_of(body), normalize=normalize)
    return {"id": found.id}


@router.post(
    "/subjects/{subject}",
    responses=READ_BODY,
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
    registry = registry_of(request)
    found = registry.lookup(subject, submission_of(body), normalize=normalize, deleted=deleted)
    reply = {"subject": found.subject, "version": found.version, "id": found.id}
    reply.update(schema_json(registry, found.schema_type, found.schema, found.references, format))
    return reply


@router.delete("/subjects/{subject}", response_model=list[int], responses=WRITE_EXISTING)
def delete_subject(
    request: Request, subject: Subject, principal: Writer, permanent: Permanent = False
) -> list[int]:
    """Soft-delete a subject (or, after that, delete it for good); answers the versions.
    Refused for a subject of a data product that is not retired."""
    return writes_of(request, principal).delete_subject(subject, permanent=permanent)


@router.delete(
    "/subjects/{subject}/versions/{version}", response_model=int, responses=WRITE_EXISTING
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
    writes = writes_of(request, principal)
    return writes.delete_version(subject, parse_version(version), permanent=permanent)


@router.get(
    "/associations/resources/{namespace}/{resource}", response_model=list[Any], responses=READ
)
def associations(request: Request, namespace: str, resource: str, _: Reader) -> list[Any]:
    """Always empty: streammesh names subjects by topic (``<topic>-value``) and keeps no
    topic-subject associations. Confluent's serializers ask before falling back to that."""
    return []
