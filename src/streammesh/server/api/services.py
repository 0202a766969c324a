"""FastAPI dependencies: the control plane, the event log and the registry of the server."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from streammesh.control import ControlPlane
from streammesh.log import EventLog
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


def _registry(request: Request) -> SchemaRegistry:
    return server_context(request).registry


Plane = Annotated[ControlPlane, Depends(_plane)]
"""The mesh's control plane."""

Log = Annotated[EventLog, Depends(_log)]
"""The mesh's event log."""

Registry = Annotated[SchemaRegistry, Depends(_registry)]
"""The mesh's schema registry."""
