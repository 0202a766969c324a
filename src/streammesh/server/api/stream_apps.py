"""Stream applications over ``/api/v1/streams``: deploy (the server hosts it), explain, list,
status, stop, start, reset, delete.

Reading (``GET``) and explaining are open to every token, like a product's metadata. Deploying
and changing an application need a role that changes products (platform-admin, governance,
domain-owner) and, for a domain owner, the application's service account in one of its teams
(or a team of one of its domains) and every output product in its domains; an application
without a service account runs as the mesh's operator, so only governance and platform admins
deploy or change one (403 ``principal-required``). See ``docs/decisions.md``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status

from streammesh.access import DomainScope
from streammesh.identity import AccountNotFound, AccountStore, Principal
from streammesh.server.api.models.stream_apps import (
    AppStatusDocument,
    DeployBody,
    ExplainBody,
    ExplainDocument,
    StreamAppDocument,
)
from streammesh.server.api.responses import errors
from streammesh.server.api.roles import Changer, Reader, Scope
from streammesh.server.context import server_context
from streammesh.server.errors import OperatorApplication
from streammesh.store import MetadataStore
from streammesh.streams import (
    StreamApp,
    StreamsService,
    UnknownApplication,
    check_application_name,
    check_runnable,
    explain_document,
)

router = APIRouter(tags=["streams"])

AppName = Annotated[
    str, Path(min_length=1, max_length=200, description="The stream application's name.")
]


def _streams(request: Request) -> StreamsService:
    return server_context(request).runtime.streams


def _store(request: Request) -> MetadataStore:
    return server_context(request).runtime.store


@router.get("/streams", response_model=list[AppStatusDocument], responses=errors())
def list_applications(request: Request, principal: Reader) -> list[dict[str, Any]]:
    """Every stream application, by name: its record, live instances, counters and lag."""
    return [item.to_json() for item in _streams(request).applications()]


@router.post(
    "/streams",
    response_model=AppStatusDocument,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 403, 404, 409),
)
def deploy(request: Request, body: DeployBody, principal: Changer, scope: Scope) -> dict[str, Any]:
    """Deploy a stream application that the server hosts (placement `server`), to run.

    The script is prepared as `streams run` prepares it — parsed (a SQL error is 422
    `invalid-sql` with its line and column in `details`), planned against the mesh's products,
    its output products derived and planned through governance (422 `plan-refused`), the
    service account's grants checked (403 `grant-missing`), every query compiled for the engine
    and its inputs found — and nothing is recorded unless all of that passes. Deploying a name
    again replaces its script; a name running as its own process (`streams run`) is 409
    `stream-application-refused` until it is stopped. The server starts it within a few
    seconds; its output products are published then."""
    streams = _streams(request)
    check_application_name(body.name)
    if body.principal is not None and AccountStore(_store(request)).find(body.principal) is None:
        raise AccountNotFound(body.principal)
    try:
        existing: StreamApp | None = streams.application(body.name)
    except UnknownApplication:
        existing = None
    if existing is not None:
        _check_may_change(request, scope, principal, existing.principal, "redeploy", body.name)
    _check_may_change(request, scope, principal, body.principal, "deploy", body.name)
    prepared = streams.prepare(body.sql, body.name, body.principal, descriptor=body.descriptor)
    for output in prepared.outputs:
        scope.check(output.descriptor.domain, "publish", output.reference)
    runtime = server_context(request).runtime
    check_runnable(prepared, runtime.log, runtime.registry)
    streams.record(prepared, placement="server", actor=principal.name, descriptor=body.descriptor)
    return streams.status(body.name).to_json()


@router.post("/streams/explain", response_model=ExplainDocument, responses=errors(400, 403, 404))
def explain_script(request: Request, body: ExplainBody, principal: Reader) -> dict[str, Any]:
    """Plan a script against the mesh without deploying it: per persistent query its plan as
    a tree, its sink, whether the engine runs it, and the state stores and internal topics it
    creates. Nothing is changed."""
    runtime = server_context(request).runtime
    prepared = runtime.streams.prepare(
        body.sql, body.name, body.principal, descriptor=body.descriptor
    )
    return explain_document(prepared, runtime.log, runtime.registry)


@router.get("/streams/{name}", response_model=AppStatusDocument, responses=errors(404))
def application_status(request: Request, name: AppName, principal: Reader) -> dict[str, Any]:
    """One application: its record, its live instances (a heartbeat within three of their
    intervals), per query events in and out (and per second), dead letters, late rows and the
    lag of each input partition. 404 `stream-application-not-found` suggests the nearest name."""
    return _streams(request).status(name).to_json()


@router.post("/streams/{name}/stop", response_model=AppStatusDocument, responses=errors(403, 404))
def stop(request: Request, name: AppName, principal: Changer, scope: Scope) -> dict[str, Any]:
    """Stop an application: each process running it (the server's included) finishes and
    commits its batch and exits at its next heartbeat. Stopping a stopped one changes
    nothing."""
    streams = _streams(request)
    _check_recorded(request, scope, principal, streams, name, "stop")
    streams.stop(name, actor=principal.name)
    return streams.status(name).to_json()


@router.post("/streams/{name}/start", response_model=AppStatusDocument, responses=errors(403, 404))
def start(request: Request, name: AppName, principal: Changer, scope: Scope) -> dict[str, Any]:
    """Let a stopped application run again: the server starts those it hosts (placement
    `server`) within a few seconds, resuming after its last commit; a `process` application
    runs when `streams run` starts it."""
    streams = _streams(request)
    _check_recorded(request, scope, principal, streams, name, "start")
    streams.start(name, actor=principal.name)
    return streams.status(name).to_json()


@router.post(
    "/streams/{name}/reset", response_model=AppStatusDocument, responses=errors(403, 404, 409)
)
def reset(request: Request, name: AppName, principal: Changer, scope: Scope) -> dict[str, Any]:
    """Make a stopped application start over from the beginning of its inputs: committed
    offsets back to the beginning, changelog and repartition topics deleted, local state wiped
    when it next starts; outputs and dead letters are kept. 409 `stream-application-running`
    while an instance is alive (stop it and wait for it to exit)."""
    streams = _streams(request)
    _check_recorded(request, scope, principal, streams, name, "reset")
    streams.reset(name, actor=principal.name)
    return streams.status(name).to_json()


@router.delete("/streams/{name}", response_model=StreamAppDocument, responses=errors(403, 404, 409))
def delete(request: Request, name: AppName, principal: Changer, scope: Scope) -> dict[str, Any]:
    """Delete a stopped application: its record, committed offsets and internal topics; its
    output products and dead-letter topics are kept. Answers the record it had. 409
    `stream-application-running` while an instance is alive."""
    streams = _streams(request)
    _check_recorded(request, scope, principal, streams, name, "delete")
    return streams.delete(name, actor=principal.name).to_json()


def _check_recorded(
    request: Request,
    scope: DomainScope,
    caller: Principal,
    streams: StreamsService,
    name: str,
    action: str,
) -> None:
    """Refuse unless ``caller`` may change the recorded application ``name``.

    Raises:
        UnknownApplication: there is none.
    """
    record = streams.application(name)
    _check_may_change(request, scope, caller, record.principal, action, name)


def _check_may_change(
    request: Request,
    scope: DomainScope,
    caller: Principal,
    account: str | None,
    action: str,
    name: str,
) -> None:
    """Refuse unless ``caller`` may ``action`` an application running as ``account``: acting
    mesh-wide, or ``account`` is a service account of one of the caller's teams or of a team
    of one of its domains.

    Raises:
        OperatorApplication: no account (the operator), or one without a team, and the
            caller is not mesh-wide.
        OutsideDomain: the account's team is outside the caller's teams and domains.
    """
    if scope.mesh_wide:
        return
    if account is None:
        raise OperatorApplication(caller.name, action, name)
    runtime = server_context(request).runtime
    found = AccountStore(runtime.store).find(account)
    team = found.team if found is not None else None
    if team is None:
        raise OperatorApplication(caller.name, action, name)
    domain = next((item.domain for item in runtime.plane.teams() if item.name == team), None)
    scope.check_team(team, domain, f"{action} a stream application as", account)
