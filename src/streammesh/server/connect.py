"""Connectors over ``/connect``, in the shapes of Kafka Connect's REST API, so Connect tooling
(``curl`` scripts, UIs, Terraform providers) can drive the mesh's connectors.

=========================================  ==========================================
``GET /connect/connectors``                names; ``?expand=status`` / ``?expand=info``
``POST /connect/connectors``               ``{"name", "config"}`` → 201 (409 if taken)
``GET /connect/connectors/{name}``         ``{"name", "config", "tasks", "type"}``
``GET /connect/connectors/{name}/config``  the config
``PUT /connect/connectors/{name}/config``  create (201) or replace (200)
``GET /connect/connectors/{name}/status``  Connect's status (+ ``streammesh``)
``PUT .../pause``, ``PUT .../resume``      202
``POST .../restart``                       204; 202 with the status given
                                           ``includeTasks`` or ``onlyFailed``
``DELETE /connect/connectors/{name}``      204
``GET /connect/connector-plugins``         the installed kinds
=========================================  ==========================================

A config maps to a definition as :mod:`streammesh.connect` says (``connector.class`` = kind,
``principal``, ``topics`` = a sink's products, the kind's settings as given). Errors have
Connect's body ``{"error_code": <HTTP status>, "message": ...}`` (see
:func:`streammesh.server.errors.error_response`).

Every route needs a token. Reading is open to every token; changing needs a role that changes
products (platform-admin, governance, domain-owner) and, for a domain owner, the connector's
service account in one of its teams or a team of one of its domains (as stream
applications). Credentials are never returned: configs are kept with ``${VAR}`` references
as written, and a password in clear is refused.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

import streammesh
from streammesh.access import DomainScope
from streammesh.connect import (
    ConnectError as ConnectorFailure,
)
from streammesh.connect import (
    Connector,
    ConnectorConfigInvalid,
    ConnectorManager,
    UnknownConnector,
    kind,
    kind_names,
)
from streammesh.identity import AccountStore, Principal
from streammesh.server.api.roles import Changer, Reader, Scope
from streammesh.server.context import server_context
from streammesh.server.errors import CONNECT_PREFIX, ConnectorAccountWithoutTeam

__all__ = ["CONNECT_PREFIX", "router"]

router = APIRouter(tags=["connect"])


class ConnectErrorBody(BaseModel):
    """Kafka Connect's error body."""

    error_code: int = Field(description="The HTTP status.")
    message: str = Field(description="What failed and what to do next.")


_MEANINGS = {
    400: "The body is not UTF-8 encoded JSON.",
    401: "No token, or one that is unknown, revoked or expired.",
    403: "The token's role may not change connectors, or the connector's service account is "
    "outside the caller's teams and domains.",
    404: "No connector of that name (the message suggests the nearest), or no such principal.",
    409: "A connector of that name exists.",
    422: "The request or the config is invalid (the message names the key and the problem), "
    "or it holds a credential in clear.",
    503: "The metadata store is unavailable; retry.",
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {"model": ConnectErrorBody, "description": _MEANINGS[code]}
        for code in sorted({401, 422, 503, *statuses})
    }


Name = Annotated[str, Path(min_length=1, max_length=200, description="The connector's name.")]


def manager(request: Request) -> ConnectorManager:
    """The connectors of the server's mesh."""
    runtime = server_context(request).runtime
    return ConnectorManager(runtime.store, allowed_paths=runtime.config.connector_folders)


def connect_info(connectors: ConnectorManager, record: Connector) -> dict[str, Any]:
    """Connect's connector info: ``name``, ``config``, ``tasks``, ``type``."""
    return {
        "name": record.name,
        "config": connectors.config(record.name),
        "tasks": [{"connector": record.name, "task": 0}],
        "type": record.role,
    }


@router.get("/connectors", responses=_errors())
def list_connectors(
    request: Request,
    principal: Reader,
    expand: Annotated[list[str] | None, Query(description="status and/or info")] = None,
) -> Any:
    """The connectors' names; with `?expand=status` and/or `?expand=info`, a map from each name
    to its `status` and/or `info`, as Kafka Connect answers."""
    connectors = manager(request)
    wanted = set(expand or ())
    unknown = wanted - {"status", "info"}
    if unknown:
        raise ConnectorConfigInvalid("*", "expand", f"is 'status' or 'info', not {sorted(unknown)}")
    if not wanted:
        return connectors.names()
    expanded: dict[str, dict[str, Any]] = {}
    for item in connectors.statuses():
        entry: dict[str, Any] = {}
        if "status" in wanted:
            entry["status"] = item.connect_status()
        if "info" in wanted:
            entry["info"] = connect_info(connectors, item.connector)
        expanded[item.connector.name] = entry
    return expanded


@router.post(
    "/connectors", status_code=status.HTTP_201_CREATED, responses=_errors(400, 403, 404, 409)
)
def create_connector(
    request: Request,
    principal: Changer,
    scope: Scope,
    body: Annotated[dict[str, Any], Body(description='{"name": ..., "config": {...}}')],
) -> dict[str, Any]:
    """Create a connector from `{"name", "config"}` (201 with its info; 409 when the name is
    taken). The server hosts it (placement `server`) unless its config says
    `"placement": "process"`."""
    name = body.get("name")
    config = body.get("config")
    if not isinstance(name, str) or not name:
        raise ConnectorConfigInvalid("", "name", "is required beside config")
    if not isinstance(config, dict):
        raise ConnectorConfigInvalid(name, "", "is required: an object of settings")
    connectors = manager(request)
    _check_account(request, scope, principal, config.get("principal"), "create", name)
    record, _ = connectors.put_config(name, config, actor=principal.name, create_only=True)
    return connect_info(connectors, record)


@router.get("/connectors/{name}", responses=_errors(404))
def connector_info(request: Request, name: Name, principal: Reader) -> dict[str, Any]:
    """The connector's `name`, `config`, `tasks` and `type`."""
    connectors = manager(request)
    return connect_info(connectors, connectors.connector(name))


@router.get("/connectors/{name}/config", responses=_errors(404))
def connector_config(request: Request, name: Name, principal: Reader) -> dict[str, Any]:
    """The connector's config (`${VAR}` references as written; never a credential)."""
    return manager(request).config(name)


@router.put(
    "/connectors/{name}/config",
    responses={201: {"description": "Created."}, **_errors(400, 403, 404)},
)
def put_config(
    request: Request,
    response: Response,
    name: Name,
    principal: Changer,
    scope: Scope,
    config: Annotated[dict[str, Any], Body(description="The connector's config.")],
) -> dict[str, Any]:
    """Create the connector (201) or replace its config (200); its workers start over with
    the new one. Its desired state (running or paused) is kept."""
    connectors = manager(request)
    try:
        existing: Connector | None = connectors.connector(name)
    except UnknownConnector:
        existing = None
    if existing is not None:
        _check_account(request, scope, principal, existing.principal, "change", name)
    _check_account(request, scope, principal, config.get("principal"), "configure", name)
    record, created = connectors.put_config(name, config, actor=principal.name)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return connect_info(connectors, record)


@router.get("/connectors/{name}/status", responses=_errors(404))
def connector_status(request: Request, name: Name, principal: Reader) -> dict[str, Any]:
    """Kafka Connect's status (`name`, `connector` with `state` and `worker_id`, `tasks` with
    `id`, `state`, `worker_id` and a failed task's `trace`, `type`), plus a `streammesh`
    object: placement, desired state, counters, lag, last error and instances."""
    return manager(request).status(name).connect_status()


@router.put(
    "/connectors/{name}/pause",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses=_errors(403, 404),
)
def pause(request: Request, name: Name, principal: Changer, scope: Scope) -> Response:
    """Pause: its workers finish their batch and poll no more (202)."""
    connectors = _changeable(request, scope, principal, name, "pause")
    connectors.pause(name, actor=principal.name)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.put(
    "/connectors/{name}/resume",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses=_errors(403, 404),
)
def resume(request: Request, name: Name, principal: Changer, scope: Scope) -> Response:
    """Resume a paused connector from where it stopped (202)."""
    connectors = _changeable(request, scope, principal, name, "resume")
    connectors.resume(name, actor=principal.name)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/connectors/{name}/restart",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        202: {"description": "Restarting: the status.", "content": {"application/json": {}}},
        **_errors(403, 404),
    },
)
def restart(
    request: Request,
    name: Name,
    principal: Changer,
    scope: Scope,
    include_tasks: Annotated[bool, Query(alias="includeTasks")] = False,
    only_failed: Annotated[bool, Query(alias="onlyFailed")] = False,
) -> Response:
    """Restart: its workers close and start again from their last commit. 204 without
    parameters; with `includeTasks` or `onlyFailed`, 202 and the status, whose restarted
    connector and task show `RESTARTING` (`onlyFailed`: only a failed one restarts)."""
    connectors = _changeable(request, scope, principal, name, "restart")
    restarted = connectors.restart(name, actor=principal.name, only_failed=only_failed)
    if not include_tasks and not only_failed:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    document = connectors.status(name).connect_status()
    if restarted:
        document["connector"]["state"] = "RESTARTING"
        if include_tasks:
            for task in document["tasks"]:
                task["state"] = "RESTARTING"
    return JSONResponse(document, status_code=status.HTTP_202_ACCEPTED)


@router.delete(
    "/connectors/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_errors(403, 404),
)
def delete(request: Request, name: Name, principal: Changer, scope: Scope) -> Response:
    """Delete the connector; its workers stop at their next heartbeat. Its products, offsets
    and dead-letter topics are kept (204)."""
    connectors = _changeable(request, scope, principal, name, "delete")
    connectors.delete(name, actor=principal.name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/connector-plugins", responses=_errors())
def plugins(request: Request, principal: Reader) -> list[dict[str, Any]]:
    """The installed connector kinds: `class` (what `connector.class` names), `type`
    (source or sink) and `version`."""
    found = []
    for name in kind_names():
        try:
            role = str(kind(name).role)
        except (ConnectorFailure, ImportError):  # a kind that cannot load is left out
            continue
        found.append({"class": name, "type": role, "version": streammesh.__version__})
    return found


def _changeable(
    request: Request, scope: DomainScope, caller: Principal, name: str, action: str
) -> ConnectorManager:
    connectors = manager(request)
    record = connectors.connector(name)
    _check_account(request, scope, caller, record.principal, action, name)
    return connectors


def _check_account(
    request: Request,
    scope: DomainScope,
    caller: Principal,
    account: object,
    action: str,
    name: str,
) -> None:
    """Refuse unless ``caller`` may ``action`` connector ``name`` running as ``account``:
    acting mesh-wide, or ``account`` a service account of one of the caller's teams or of a
    team of one of its domains. A missing principal is left to the config's validation.

    Raises:
        ConnectorAccountWithoutTeam: an account without a team (or unknown), and the caller
            is not mesh-wide.
        OutsideDomain: the account's team is outside the caller's teams and domains.
    """
    if scope.mesh_wide or not isinstance(account, str) or not account:
        return
    runtime = server_context(request).runtime
    found = AccountStore(runtime.store).find(account)
    team = found.team if found is not None else None
    if team is None:
        raise ConnectorAccountWithoutTeam(caller.name, action, name, account)
    domain = next((item.domain for item in runtime.plane.teams() if item.name == team), None)
    scope.check_team(team, domain, f"{action} a connector as", account)
