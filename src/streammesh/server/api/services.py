"""FastAPI dependencies: the control plane, the event log and the registry of the server."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from streammesh.access import AccessControl
from streammesh.control import ControlPlane
from streammesh.governance.policies import PolicyRegistry
from streammesh.log import EventLog
from streammesh.privacy import KeyStore
from streammesh.registry.base import SchemaRegistry
from streammesh.server.context import server_context
from streammesh.server.errors import ServiceNotConfigured


def _plane(request: Request) -> ControlPlane:
    plane = server_context(request).plane
    if plane is None:
        raise ServiceNotConfigured("control plane")
    return plane


def _log(request: Request) -> EventLog:
    log = server_context(request).log
    if log is None:
        raise ServiceNotConfigured("event log")
    return log


def _access(request: Request) -> AccessControl:
    access = server_context(request).access_control
    if access is None:
        raise ServiceNotConfigured("access control")
    return access


def _keys(request: Request) -> KeyStore:
    keys = server_context(request).privacy
    if keys is None:
        raise ServiceNotConfigured("key store")
    return keys


def _policies(request: Request) -> PolicyRegistry:
    governance = server_context(request).governance
    if governance is None:
        raise ServiceNotConfigured("governance")
    return governance.policies


def _registry(request: Request) -> SchemaRegistry:
    return server_context(request).registry


Plane = Annotated[ControlPlane, Depends(_plane)]
"""The mesh's control plane."""

Log = Annotated[EventLog, Depends(_log)]
"""The mesh's event log."""

Registry = Annotated[SchemaRegistry, Depends(_registry)]
"""The mesh's schema registry."""

Access = Annotated[AccessControl, Depends(_access)]
"""The grant checks of the data plane."""

Policies = Annotated[PolicyRegistry, Depends(_policies)]
"""The mesh's governance policies."""

Keys = Annotated[KeyStore, Depends(_keys)]
"""The data keys of encrypted fields (one store per process: its cache is shared)."""
