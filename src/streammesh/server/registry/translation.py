"""Between Confluent's JSON shapes and the registry's types: what every registry route shares.

The response classes with Confluent's media type, the error sets each kind of route
documents, the path and query parameters, and the conversions of versions, request bodies
and stored schemas.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse, Response

from streammesh.identity import Principal
from streammesh.registry import (
    InvalidSchemaSubmission,
    InvalidVersion,
    SchemaReference,
    SchemaRegistry,
    SchemaSubmission,
    VersionSelector,
)
from streammesh.schemas import SchemaType
from streammesh.server.context import server_context
from streammesh.server.errors import REGISTRY_MEDIA_TYPE
from streammesh.server.registry.models import (
    JAVA_INT_MAX,
    JAVA_INT_MIN,
    SchemaBody,
    registry_errors,
)
from streammesh.server.registry.protobuf_descriptors import (
    is_serialized_descriptor,
    proto_text_from_serialized,
    serialized_from_proto_text,
)
from streammesh.server.registry.writes import RegistryWrites


class RegistryJSONResponse(JSONResponse):
    """JSON with Confluent's media type, which its clients ask for first."""

    media_type = REGISTRY_MEDIA_TYPE


class RawSchemaResponse(Response):
    """A schema's text as the whole body, with Confluent's media type."""

    media_type = REGISTRY_MEDIA_TYPE


# What each kind of route can answer besides success; every route needs a token (401).
READ = registry_errors(401, 422)
LOOKUP = registry_errors(401, 404, 422)
WRITE = registry_errors(401, 403, 422)
WRITE_EXISTING = registry_errors(401, 403, 404, 422)
RESET = registry_errors(401, 403)
# Routes that read a JSON body: FastAPI answers 400 when its bytes are not UTF-8 at all.
READ_BODY = registry_errors(400, 401, 404, 422)
WRITE_BODY = registry_errors(400, 401, 403, 422)

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


def registry_of(request: Request) -> SchemaRegistry:
    """The mesh's schema registry, as the server serves it."""
    return server_context(request).runtime.registry


def writes_of(request: Request, principal: Principal) -> RegistryWrites:
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


def schema_json(
    registry: SchemaRegistry,
    schema_type: SchemaType,
    text: str,
    references: tuple[SchemaReference, ...],
    fmt: str | None,
) -> dict[str, Any]:
    """A schema as Confluent answers it: ``schema``, ``schemaType`` unless AVRO, and
    ``references`` if any; Protobuf as a base64 descriptor with ``fmt`` ``serialized``."""
    if fmt == "serialized" and schema_type is SchemaType.PROTOBUF:
        text = serialized_from_proto_text(registry, text, references)
    body: dict[str, Any] = {"schema": text}
    if schema_type is not SchemaType.AVRO:
        body["schemaType"] = schema_type.value
    if references:
        body["references"] = _references_json(references)
    return body


def page(items: list[Any], offset: int, limit: int) -> list[Any]:
    """The ``offset``/``limit`` slice of a listing (a negative ``limit``: all the rest)."""
    return items[offset:] if limit < 0 else items[offset : offset + limit]


def raw_schema(text: str) -> Response:
    """A schema's text as the whole body: Confluent answers its ``/schema`` routes so."""
    return RawSchemaResponse(content=text)
