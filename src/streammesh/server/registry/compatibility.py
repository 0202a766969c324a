"""Compatibility checks: is a schema compatible with one version, or with a subject."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from streammesh.registry import VersionSelector
from streammesh.server.auth import Reader
from streammesh.server.registry.models import CompatibilityReply, SchemaBody
from streammesh.server.registry.translation import (
    READ_BODY,
    Normalize,
    Subject,
    VersionPath,
    parse_version,
    registry_of,
    submission_of,
)

router = APIRouter()


def _compatibility_reply(
    request: Request,
    subject: str,
    body: SchemaBody,
    version: VersionSelector | None,
    normalize: bool,
    verbose: bool,
) -> dict[str, Any]:
    report = registry_of(request).check_compatibility(
        subject, submission_of(body), version=version, normalize=normalize
    )
    return {"is_compatible": report.compatible, "messages": report.messages if verbose else []}


Verbose = Annotated[bool, Query(description="List every incompatibility in `messages`.")]


@router.post(
    "/compatibility/subjects/{subject}/versions/{version}",
    response_model=CompatibilityReply,
    responses=READ_BODY,
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
    responses=READ_BODY,
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
