"""A product's schema versions and the diff between any two of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from streammesh.registry import SchemaRegistry, SubjectVersion
from streammesh.schemas import Incompatibility, ParsedSchema, SchemaSide, diff_schemas, format_for
from streammesh.server.api.models.schemas import SchemaDiffReply, SchemaVersionDocument
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.api.services import Plane, Registry
from streammesh.server.auth import Reader

router = APIRouter(tags=["products"])

SchemaVersion = Annotated[int, Query(ge=1, le=2**31 - 1)]


@router.get(
    "/products/{reference}/schemas",
    response_model=list[SchemaVersionDocument],
    responses=errors(404),
)
def list_schemas(
    reference: Reference, _: Reader, plane: Plane, registry: Registry
) -> list[dict[str, Any]]:
    """Every version of the product's value subject, oldest first, with the schema text."""
    subject = plane.product(reference).value_subject
    return [_document(registry.version(subject, number)) for number in registry.versions(subject)]


@router.get(
    "/products/{reference}/schemas/diff",
    response_model=SchemaDiffReply,
    responses=errors(404),
)
def diff_schema_versions(
    reference: Reference,
    _: Reader,
    plane: Plane,
    registry: Registry,
    from_version: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1)],
) -> dict[str, Any]:
    """Compatibility both ways between two versions of the product's value schema, and a
    text diff (as `streammesh schemas diff`)."""
    subject = plane.product(reference).value_subject
    old = registry.version(subject, from_version)
    new = registry.version(subject, to_version)
    compared = diff_schemas(_side(registry, old), _side(registry, new))
    return {
        "subject": subject,
        "from": old.version,
        "to": new.version,
        "backward": _direction(compared.backward),
        "forward": _direction(compared.forward),
        "diff": compared.text,
    }


def _document(found: SubjectVersion) -> dict[str, Any]:
    return {
        "subject": found.subject,
        "version": found.version,
        "id": found.id,
        "schema_type": found.schema_type,
        "schema": found.schema,
    }


def _side(registry: SchemaRegistry, found: SubjectVersion) -> SchemaSide:
    label = f"{found.subject} version {found.version} (id {found.id})"
    return SchemaSide(found.schema_type, found.schema, _parsed(registry, found), label)


def _parsed(registry: SchemaRegistry, found: SubjectVersion) -> ParsedSchema:
    references = {
        ref.name: _parsed(registry, registry.version(ref.subject, ref.version, deleted=True))
        for ref in found.references
    }
    return format_for(found.schema_type).parse(found.schema, references)


def _direction(problems: tuple[Incompatibility, ...]) -> dict[str, Any]:
    return {
        "compatible": not problems,
        "incompatibilities": [
            {"path": p.path, "rule": p.rule, "reason": p.reason} for p in problems
        ],
    }
