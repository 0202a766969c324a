"""The compatibility level (``/config``) and the mode (``/mode``), global and per subject.

The global ones belong to platform admins and governance; a domain owner changes only its own
subjects' settings.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request

from streammesh.identity import Principal, Role
from streammesh.registry import (
    CompatibilityLevel,
    InvalidCompatibilityLevel,
    InvalidMode,
    RegistryMode,
)
from streammesh.server.auth import Reader, Writer, require_role
from streammesh.server.registry.models import (
    ConfigBody,
    ConfigReply,
    ConfigUpdateReply,
    ModeBody,
    ModeReply,
)
from streammesh.server.registry.translation import (
    LOOKUP,
    RESET,
    WRITE_BODY,
    WRITE_EXISTING,
    DefaultToGlobal,
    Subject,
    registry_of,
    writes_of,
)

# The mesh-wide settings (global compatibility level and mode) belong to the roles that act on
# every domain; a domain owner changes only its own subjects' settings.
Overseer = Annotated[Principal, Depends(require_role((Role.PLATFORM_ADMIN, Role.GOVERNANCE)))]

router = APIRouter()


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


@router.get("/config", response_model=ConfigReply)
def global_config(request: Request, _: Reader) -> dict[str, str]:
    """The global compatibility level."""
    return {"compatibilityLevel": registry_of(request).compatibility().value}


@router.put("/config", response_model=ConfigUpdateReply, responses=WRITE_BODY)
def set_global_config(
    request: Request, body: Annotated[ConfigBody, Body()], principal: Overseer
) -> dict[str, str]:
    """Set the global compatibility level (platform admins and governance)."""
    level = writes_of(request, principal).set_compatibility(_compatibility_level(body), None)
    return {"compatibility": level.value}


@router.delete("/config", response_model=ConfigReply, responses=RESET)
def delete_global_config(request: Request, principal: Overseer) -> dict[str, str]:
    """Reset the global compatibility level to the mesh's default; answers the old one
    (platform admins and governance)."""
    return {"compatibilityLevel": writes_of(request, principal).delete_compatibility(None).value}


@router.get("/config/{subject}", response_model=ConfigReply, responses=LOOKUP)
def subject_config(
    request: Request, subject: Subject, _: Reader, default_to_global: DefaultToGlobal = False
) -> dict[str, str]:
    """A subject's own compatibility level (or the global one with ``defaultToGlobal``)."""
    level = registry_of(request).compatibility(subject, fallback=default_to_global)
    return {"compatibilityLevel": level.value}


@router.put("/config/{subject}", response_model=ConfigUpdateReply, responses=WRITE_BODY)
def set_subject_config(
    request: Request, subject: Subject, body: Annotated[ConfigBody, Body()], principal: Writer
) -> dict[str, str]:
    """Set the compatibility level of a subject of the caller's domains."""
    level = writes_of(request, principal).set_compatibility(_compatibility_level(body), subject)
    return {"compatibility": level.value}


@router.delete("/config/{subject}", response_model=ConfigReply, responses=WRITE_EXISTING)
def delete_subject_config(request: Request, subject: Subject, principal: Writer) -> dict[str, str]:
    """Remove the own compatibility level of a subject of the caller's domains; answers it."""
    level = writes_of(request, principal).delete_compatibility(subject)
    return {"compatibilityLevel": level.value}


Force = Annotated[bool, Query(description="Accepted for Confluent clients; has no effect.")]


@router.get("/mode", response_model=ModeReply)
def global_mode(request: Request, _: Reader) -> dict[str, str]:
    """The global mode."""
    return {"mode": registry_of(request).mode().value}


@router.put("/mode", response_model=ModeReply, responses=WRITE_BODY)
def set_global_mode(
    request: Request, body: Annotated[ModeBody, Body()], principal: Overseer, force: Force = False
) -> dict[str, str]:
    """Set the global mode (platform admins and governance)."""
    return {"mode": writes_of(request, principal).set_mode(_mode(body), None).value}


@router.delete("/mode", response_model=ModeReply, responses=RESET)
def delete_global_mode(request: Request, principal: Overseer) -> dict[str, str]:
    """Reset the global mode to READWRITE; answers the old one (platform admins and
    governance)."""
    return {"mode": writes_of(request, principal).delete_mode(None).value}


@router.get("/mode/{subject}", response_model=ModeReply, responses=LOOKUP)
def subject_mode(
    request: Request, subject: Subject, _: Reader, default_to_global: DefaultToGlobal = False
) -> dict[str, str]:
    """A subject's own mode (or the global one with ``defaultToGlobal``)."""
    return {"mode": registry_of(request).mode(subject, fallback=default_to_global).value}


@router.put("/mode/{subject}", response_model=ModeReply, responses=WRITE_BODY)
def set_subject_mode(
    request: Request,
    subject: Subject,
    body: Annotated[ModeBody, Body()],
    principal: Writer,
    force: Force = False,
) -> dict[str, str]:
    """Set the mode of a subject of the caller's domains."""
    return {"mode": writes_of(request, principal).set_mode(_mode(body), subject).value}


@router.delete("/mode/{subject}", response_model=ModeReply, responses=WRITE_EXISTING)
def delete_subject_mode(request: Request, subject: Subject, principal: Writer) -> dict[str, str]:
    """Remove the own mode of a subject of the caller's domains; answers it."""
    return {"mode": writes_of(request, principal).delete_mode(subject).value}
