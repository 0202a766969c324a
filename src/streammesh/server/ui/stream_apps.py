"""The stream application pages: the list, "Create an app from data products", and one
application's page (its SQL, plan, status, a live sample of its output, stop/start/reset).

The pages call ``runtime.streams`` directly, as ``/api/v1/streams`` does, with the same rules:
every signed-in principal sees applications and explains scripts; deploying and changing one
needs a role that changes products (platform-admin, governance, domain-owner) and, for a
domain owner, the application's service account in one of its teams (or a team of one of its
domains) and every output product in its domains. An application deployed here is hosted by
the server (placement ``server``) and runs as the service account chosen on the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from streammesh.access import DomainScope, OutsideDomain, domain_scope
from streammesh.control import ProductNotFound
from streammesh.errors import MeshError
from streammesh.identity import AccountKind
from streammesh.runtime import MeshRuntime
from streammesh.serde import RegistryResolver
from streammesh.server.api.roles import CHANGER_ROLES
from streammesh.server.context import ServerContext
from streammesh.server.ui.not_found import not_found_page
from streammesh.server.ui.samples import recent_events
from streammesh.server.ui.viewer import (
    UI_PREFIX,
    Context,
    CurrentViewer,
    Viewer,
    render,
    require_csrf,
)
from streammesh.streams import (
    USE_CASES,
    AppStatus,
    Desired,
    Placement,
    PreparedApplication,
    UnknownApplication,
    UseCase,
    check_application_name,
    check_runnable,
    explain,
    query_layouts,
    use_case,
)

router = APIRouter(include_in_schema=False)

MAX_SQL = 128 * 1024
"""The longest script the form takes (the SQL parser's own bound)."""
MAX_DESCRIPTOR = 64 * 1024
"""The longest descriptor file the form takes."""
LIVE_EVERY_S = 3
"""How often the application page refreshes its status and output sample."""

Action = Literal["stop", "start", "reset"]


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """One persistent query as the pages show it (``streams explain``)."""

    id: str
    sink: str
    tree: str
    not_supported: str | None
    state_stores: tuple[tuple[str, str], ...]
    internal_topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FormError:
    """Why the form was refused: the message, and where in the SQL when it says so."""

    message: str
    line: int | None = None
    column: int | None = None
    excerpt: str | None = None

    @classmethod
    def of(cls, exc: MeshError) -> FormError:
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        excerpt = getattr(exc, "excerpt", None)
        return cls(
            str(getattr(exc, "detail", None) or exc) if line is not None else str(exc),
            line if isinstance(line, int) else None,
            column if isinstance(column, int) else None,
            excerpt if isinstance(excerpt, str) else None,
        )


def state_of(status: AppStatus) -> str:
    """One word for an application's state: running, starting, failing, stopping, stopped
    (``process`` applications wait for ``streams run`` instead of starting)."""
    alive = bool(status.instances)
    if status.app.desired is Desired.STOPPED:
        return "stopping" if alive else "stopped"
    if any(instance.error for instance in status.instances):
        return "failing"
    if alive:
        return "running"
    return "starting" if status.app.placement is Placement.SERVER else "waiting for streams run"


def _rates(status: AppStatus) -> tuple[float, float]:
    return (
        sum(query.in_per_s for query in status.queries),
        sum(query.out_per_s for query in status.queries),
    )


def _scope(context: ServerContext, viewer: Viewer) -> DomainScope:
    return domain_scope(context.runtime.store, viewer.principal.name, viewer.principal.role)


def _team_domain(runtime: MeshRuntime, team: str) -> str | None:
    return next((item.domain for item in runtime.plane.teams() if item.name == team), None)


def refusal(context: ServerContext, viewer: Viewer, account: str | None, action: str) -> str | None:
    """Why ``viewer`` may not ``action`` an application running as ``account`` (``None``: they
    may): the rule of ``/api/v1/streams``."""
    role = viewer.principal.role
    if role not in CHANGER_ROLES:
        return (
            f"Your role '{role.value}' may look at stream applications but not {action} them; "
            "that needs platform-admin, governance or domain-owner."
        )
    scope = _scope(context, viewer)
    if scope.mesh_wide:
        return None
    runtime = context.runtime
    found = runtime.access.accounts.find(account) if account is not None else None
    if found is None or found.team is None:
        return (
            f"Only governance and platform admins may {action} an application that runs as the "
            "mesh's operator (no service account of a team): the operator reads every product "
            "in clear."
        )
    try:
        scope.check_team(
            found.team,
            _team_domain(runtime, found.team),
            f"{action} a stream application as",
            found.name,
        )
    except OutsideDomain as exc:
        return str(exc)
    return None


def service_accounts(context: ServerContext, viewer: Viewer) -> list[str]:
    """The service accounts the viewer may run an application as: their teams' and their
    domains' teams' (every one for platform admins and governance)."""
    scope = _scope(context, viewer)
    runtime = context.runtime
    domains = {team.name: team.domain for team in runtime.plane.teams()}

    def allowed(team: str) -> bool:
        domain = domains.get(team)
        return scope.covers_team(team) or (domain is not None and scope.covers(domain))

    return [
        account.name
        for account in runtime.access.accounts.list(kind=AccountKind.SERVICE_ACCOUNT)
        if account.team is not None and allowed(account.team)
    ]


def plans(runtime: MeshRuntime, prepared: PreparedApplication) -> list[QueryPlan]:
    """Each query's plan tree and what it creates, as ``streams explain`` prints them."""
    layouts = query_layouts(
        runtime.log, prepared.queries, prepared.name, resolver=RegistryResolver(runtime.registry)
    )
    return [
        QueryPlan(
            layout.query.id,
            f"{layout.query.plan.kind.value.lower()} {layout.query.plan.name} "
            f"(topic {layout.query.plan.topic})",
            explain(layout.query.plan),
            layout.not_supported,
            layout.state_stores,
            layout.internal_topics,
        )
        for layout in layouts
    ]


# -- the list ---------------------------------------------------------------------------------


@router.get(f"{UI_PREFIX}/streams", response_class=HTMLResponse)
def stream_apps_page(
    request: Request, viewer: CurrentViewer, context: Context, message: str = ""
) -> HTMLResponse:
    """Every stream application with its state, instances, rates, lag and dead letters."""
    rows = []
    for status in context.runtime.streams.applications():
        in_per_s, out_per_s = _rates(status)
        rows.append(
            {
                "status": status,
                "state": state_of(status),
                "in_per_s": in_per_s,
                "out_per_s": out_per_s,
            }
        )
    return render(
        request, "stream_apps.html", viewer, title="Stream apps", rows=rows, message=message
    )


# -- create -----------------------------------------------------------------------------------


def _form(
    request: Request,
    viewer: Viewer,
    context: Context,
    *,
    chosen: UseCase | None,
    name: str,
    sql: str,
    descriptor: str,
    principal: str,
    plan: list[QueryPlan] | None = None,
    outputs: tuple[str, ...] = (),
    error: FormError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    existing = {status.app.name for status in context.runtime.streams.applications()}
    return render(
        request,
        "stream_app_new.html",
        viewer,
        status_code=status_code,
        title="Create an app from data products",
        use_cases=USE_CASES,
        chosen=chosen,
        name=name,
        sql=sql,
        descriptor=descriptor,
        principal=principal,
        accounts=service_accounts(context, viewer),
        plan=plan,
        outputs=outputs,
        error=error,
        exists=name in existing,
        may_deploy=viewer.principal.role in CHANGER_ROLES,
    )


NEW_PATH = f"{UI_PREFIX}/streams/-/new"
"""The create form: under ``-``, which no application can be named, so that an application
called ``new`` has its page at ``/ui/streams/new``."""


@router.get(NEW_PATH, response_class=HTMLResponse)
def new_page(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    use_case_name: Annotated[str, Query(alias="use_case", max_length=200)] = "",
) -> HTMLResponse:
    """The form: empty (paste SQL), or filled with a use case's SQL and descriptor."""
    chosen = use_case(use_case_name) if use_case_name else None
    accounts = service_accounts(context, viewer)
    if chosen is None:
        return _form(
            request,
            viewer,
            context,
            chosen=None,
            name="",
            sql="",
            descriptor="",
            principal=accounts[0] if accounts else "",
        )
    return _form(
        request,
        viewer,
        context,
        chosen=chosen,
        name=chosen.name,
        sql=chosen.sql,
        descriptor=chosen.descriptor,
        principal=chosen.name if chosen.name in accounts else (accounts[0] if accounts else ""),
    )


@router.post(NEW_PATH, response_class=HTMLResponse, response_model=None)
# The form's old address still takes a form posted from a page loaded before the move.
@router.post(f"{UI_PREFIX}/streams/new", response_class=HTMLResponse, response_model=None)
def create(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    name: Annotated[str, Form(max_length=200)],
    sql: Annotated[str, Form(max_length=MAX_SQL)],
    principal: Annotated[str, Form(max_length=200)] = "",
    descriptor: Annotated[str, Form(max_length=MAX_DESCRIPTOR)] = "",
    chosen_use_case: Annotated[str, Form(max_length=200)] = "",
    action: Annotated[Literal["explain", "start"], Form()] = "start",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Explain the script (nothing changed), or deploy it for the server to host and go to
    its page. Nothing is recorded unless the script parses, plans, passes governance, has its
    grants and runs on the engine."""
    require_csrf(request, viewer, csrf)
    runtime = context.runtime
    values: dict[str, Any] = {
        "chosen": use_case(chosen_use_case) if chosen_use_case else None,
        "name": name.strip(),
        "sql": sql,
        "descriptor": descriptor,
        "principal": principal,
    }
    account = principal or None
    try:
        check_application_name(values["name"])
        if action == "explain":
            prepared = runtime.streams.prepare(
                sql, values["name"], account, descriptor=descriptor or None
            )
            return _form(
                request,
                viewer,
                context,
                **values,
                plan=plans(runtime, prepared),
                outputs=tuple(output.reference for output in prepared.outputs),
            )
        refused = refusal(context, viewer, account, "deploy")
        if refused is None and account not in service_accounts(context, viewer):
            refused = f"'{principal}' is not a service account you may run applications as."
        try:
            existing = runtime.streams.application(values["name"])
        except UnknownApplication:
            existing = None
        if refused is None and existing is not None:
            refused = refusal(context, viewer, existing.principal, "redeploy")
        if refused is not None:
            return _form(
                request, viewer, context, **values, error=FormError(refused), status_code=403
            )
        prepared = runtime.streams.prepare(
            sql, values["name"], account, descriptor=descriptor or None
        )
        scope = _scope(context, viewer)
        for output in prepared.outputs:
            scope.check(output.descriptor.domain, "publish", output.reference)
        check_runnable(prepared, runtime.log, runtime.registry)
        runtime.streams.record(
            prepared,
            placement=Placement.SERVER,
            actor=viewer.principal.name,
            descriptor=descriptor or None,
        )
    except MeshError as exc:
        return _form(request, viewer, context, **values, error=FormError.of(exc), status_code=422)
    message = f"Deployed {values['name']}: the server starts it within a few seconds."
    return RedirectResponse(
        f"{UI_PREFIX}/streams/{quote(values['name'])}?" + urlencode({"message": message}),
        status_code=303,
    )


# -- one application --------------------------------------------------------------------------


def _live(context: ServerContext, viewer: Viewer, status: AppStatus) -> dict[str, Any]:
    """What the live part of the page shows: the status and each output's recent events."""
    in_per_s, out_per_s = _rates(status)
    samples: list[dict[str, Any]] = []
    for query in status.app.queries:
        try:
            record = context.runtime.plane.product(query.sink)
        except ProductNotFound:
            samples.append({"sink": query.sink, "record": None, "recent": None})
            continue
        samples.append(
            {"sink": query.sink, "record": record, "recent": recent_events(context, viewer, record)}
        )
    return {
        "status": status,
        "state": state_of(status),
        "in_per_s": in_per_s,
        "out_per_s": out_per_s,
        "samples": samples,
    }


def _missing(request: Request, context: ServerContext, exc: UnknownApplication) -> HTMLResponse:
    return not_found_page(
        request,
        f"There is no stream application '{exc.name}'.",
        suggestions=[exc.suggestion] if exc.suggestion else [],
        link=f"{UI_PREFIX}/streams/",
    )


@router.get(f"{UI_PREFIX}/streams/{{name}}", response_class=HTMLResponse)
def app_page(
    request: Request, name: str, viewer: CurrentViewer, context: Context, message: str = ""
) -> Response:
    """An application: its SQL, its plan, its status and a live sample of its output."""
    runtime = context.runtime
    try:
        status = runtime.streams.status(name)
    except UnknownApplication as exc:
        if name == "new":  # a link to the form's old address, while no application has it
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"{NEW_PATH}{query}", status_code=303)
        return _missing(request, context, exc)
    app = status.app
    plan: list[QueryPlan] = []
    plan_error = None
    try:
        prepared = runtime.streams.prepare(
            app.sql, app.name, app.principal, descriptor=app.descriptor
        )
        plan = plans(runtime, prepared)
    except MeshError as exc:
        plan_error = str(exc)
    return render(
        request,
        "stream_app.html",
        viewer,
        title=app.name,
        app=app,
        plan=plan,
        plan_error=plan_error,
        refused=refusal(context, viewer, app.principal, "change"),
        live_every=LIVE_EVERY_S,
        message=message,
        **_live(context, viewer, status),
    )


@router.get(f"{UI_PREFIX}/streams/{{name}}/live", response_class=HTMLResponse)
def live_part(request: Request, name: str, viewer: CurrentViewer, context: Context) -> Response:
    """The live part of the application page (status and output sample), which the page's
    script fetches every few seconds."""
    try:
        status = context.runtime.streams.status(name)
    except UnknownApplication as exc:
        return Response(str(exc), status_code=404, media_type="text/plain")
    return render(request, "stream_app_live.html", viewer, **_live(context, viewer, status))


@router.post(f"{UI_PREFIX}/streams/{{name}}/{{action}}")
def change(
    request: Request,
    name: str,
    action: Action,
    viewer: CurrentViewer,
    context: Context,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Stop, start or reset the application, for who may change it."""
    require_csrf(request, viewer, csrf)
    streams = context.runtime.streams
    try:
        app = streams.application(name)
    except UnknownApplication as exc:
        return _missing(request, context, exc)
    refused = refusal(context, viewer, app.principal, action)
    if refused is not None:
        message = refused
    else:
        try:
            if action == "stop":
                streams.stop(name, actor=viewer.principal.name)
                message = f"Stopping {name}: it finishes and commits its batch, then exits."
            elif action == "start":
                streams.start(name, actor=viewer.principal.name)
                message = f"Started {name}: it resumes after its last commit."
            else:
                streams.reset(name, actor=viewer.principal.name)
                message = f"Reset {name}: when it starts again it reads its inputs from the start."
        except MeshError as exc:
            message = f"Not done: {exc}"
    return RedirectResponse(
        f"{UI_PREFIX}/streams/{quote(name)}?" + urlencode({"message": message}), status_code=303
    )
