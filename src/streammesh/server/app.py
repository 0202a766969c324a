"""``create_app``: the streammesh server as a FastAPI application.

It opens the mesh the settings name (:class:`~streammesh.runtime.MeshRuntime`: the store,
the log, the registry and every service on them), adds the token store, and mounts the
routes: the REST API under ``/api/v1``, the Confluent-compatible registry under ``/registry``,
``/healthz``, ``/readyz`` and the OpenAPI document (without credentials). The server keeps no state
of its own, so several processes can serve one store and log.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

import streammesh
from streammesh.audit import EventRelay
from streammesh.identity import SERVER_REMEMBER_S
from streammesh.log import LogError
from streammesh.runtime import MeshRuntime
from streammesh.server.api import API_PREFIX
from streammesh.server.api import router as api_router
from streammesh.server.connect import CONNECT_PREFIX
from streammesh.server.connect import router as connect_router
from streammesh.server.context import ServerContext, attach_context
from streammesh.server.errors import REGISTRY_PREFIX, install_error_handlers
from streammesh.server.health import router as health_router
from streammesh.server.metrics import install_http_metrics
from streammesh.server.metrics import router as metrics_router
from streammesh.server.registry import router as registry_router
from streammesh.server.remote_data import close_remote_data
from streammesh.server.request_limits import limit_requests
from streammesh.server.settings import ServerSettings
from streammesh.server.ui import error_page as ui_error_page
from streammesh.server.ui import router as ui_router
from streammesh.workers import Workers, start_workers

_LOGGER = logging.getLogger(__name__)


def build_app(
    context: ServerContext,
    on_shutdown: Callable[[], None] | None = None,
    on_startup: Callable[[FastAPI], None] | None = None,
) -> FastAPI:
    """The application over already built services; ``on_startup`` runs when it starts (with
    the app, e.g. to reopen services a previous stop closed), ``on_shutdown`` when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if on_startup is not None:
            on_startup(app)
        try:
            yield
        finally:
            try:
                close_remote_data(app)  # its log clients, before the mesh closes
            finally:
                if on_shutdown is not None:
                    on_shutdown()

    app = FastAPI(
        title="streammesh",
        version=streammesh.__version__,
        description="Event streams as data products. The schema registry under `/registry` "
        "speaks the Confluent Schema Registry API; `/api/v1` is the mesh's REST API (data "
        "products, plan and apply, lifecycle, applications, events, domains, teams, audit). "
        "Every endpoint but `/healthz`, `/readyz` and "
        "`/openapi.json` needs an API token (Bearer, or HTTP basic with the token as the "
        "password); `/metrics` too, except from the server's own machine by default "
        "(`server.metrics` in `mesh.yaml`).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    attach_context(app, context)
    install_error_handlers(app, ui_page=ui_error_page)
    app.include_router(health_router)
    # The registry first: FastAPI tries routes in order, and schema reads by id (every
    # deserializing client's hot path) would otherwise be matched against all of /api/v1.
    app.include_router(registry_router, prefix=REGISTRY_PREFIX)
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(connect_router, prefix=CONNECT_PREFIX)  # Kafka Connect's shapes
    app.include_router(metrics_router)  # /metrics, without a token
    app.include_router(ui_router)  # the web UI under /ui, and / redirecting there
    install_http_metrics(app)
    return app


def _relay_pending(mesh: MeshRuntime) -> None:
    # Like the control plane after each change: a log that cannot take the events now
    # does not stop the server; the next change relays them.
    try:
        with EventRelay(mesh.store, mesh.log) as relay:
            relay.relay()
    except LogError as exc:
        _LOGGER.warning("mesh events not relayed at start (will retry): %s", exc)


class _MeshLifetime:
    """The mesh behind an app: opened by ``create_app``, closed when the app stops, and
    opened again if the same app is started again (test clients start it per session)."""

    def __init__(self, settings: ServerSettings) -> None:
        self._settings = settings
        self._mesh: MeshRuntime | None = None
        self._workers: Workers | None = None

    def open(self) -> ServerContext:
        self._settings.mesh.mkdir(parents=True, exist_ok=True)
        settings = self._settings
        mesh = MeshRuntime.open(
            settings.mesh_config(), settings.log_config(), settings.store_timeouts()
        )
        try:
            _relay_pending(mesh)
            context = ServerContext(mesh, mesh.tokens(remember_s=SERVER_REMEMBER_S))
        except BaseException:
            mesh.close()
            raise
        self._mesh = mesh
        return context

    def start(self, app: FastAPI) -> None:
        if self._mesh is None:
            attach_context(app, self.open())
        if self._mesh is not None and self._settings.run_workers:  # stopped in close()
            self._workers = start_workers(self._mesh, hosting=self._settings.host_streams)
        # What /readyz checks for being stuck: the workers of this process, if any.
        app.state.streammesh_heartbeats = self._workers.heartbeats if self._workers else []

    def close(self) -> None:
        workers, self._workers = self._workers, None
        if workers is not None:  # each finishes its round while the mesh is open
            workers.stop()
        mesh, self._mesh = self._mesh, None
        if mesh is not None:
            mesh.close()


def create_app(settings: ServerSettings) -> FastAPI:
    """Open the mesh (store migrated, log opened) and build the application on it.

    Mesh events left unrelayed by a process that stopped early are relayed at each start.

    Raises:
        ConfigError: the mesh's ``mesh.yaml`` cannot be used.
        StoreError: the store URL is invalid or the database cannot be opened.
        LogError: the event log cannot be opened.
    """
    lifetime = _MeshLifetime(settings)
    app = build_app(lifetime.open(), on_shutdown=lifetime.close, on_startup=lifetime.start)
    return limit_requests(app, settings.request_limits())  # body size and JSON depth
