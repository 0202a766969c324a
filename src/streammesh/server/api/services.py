"""FastAPI dependencies: the control plane, the event log and the registry of the server."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from streammesh.access import AccessControl
from streammesh.control import ControlPlane
from streammesh.dataplane import DataPlane
from streammesh.governance import PolicyRegistry
from streammesh.log import EventLog
from streammesh.privacy import KeyStore
from streammesh.registry import SchemaRegistry
from streammesh.server.context import server_context

# Async, though they only read attributes: FastAPI runs a sync dependency in a worker thread,
# a hop (~0.1 ms of the event loop's time, under load more) per dependency per request.


async def _plane(request: Request) -> ControlPlane:
    return server_context(request).runtime.plane


async def _log(request: Request) -> EventLog:
    return server_context(request).runtime.log


async def _access(request: Request) -> AccessControl:
    return server_context(request).runtime.grants


async def _keys(request: Request) -> KeyStore:
    return server_context(request).runtime.keys


async def _policies(request: Request) -> PolicyRegistry:
    return server_context(request).runtime.policies


async def _data(request: Request) -> DataPlane:
    return server_context(request).runtime.data


async def _registry(request: Request) -> SchemaRegistry:
    return server_context(request).runtime.registry


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

Data = Annotated[DataPlane, Depends(_data)]
"""The data plane: producers, consumers and samples, with the grant check and protection."""
