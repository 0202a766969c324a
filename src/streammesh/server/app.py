"""``create_app``: the streammesh server as a FastAPI application.

It opens the metadata store named by the settings, builds the schema registry and the token
store on it, and mounts the routes: the Confluent-compatible registry under ``/registry``,
``/healthz`` and the OpenAPI document (both without credentials). The server keeps no state
of its own, so several processes can serve one store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

import streammesh
from streammesh.identity import TokenStore
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.server.context import ServerContext, attach_context
from streammesh.server.errors import REGISTRY_PREFIX, install_error_handlers
from streammesh.server.health import router as health_router
from streammesh.server.registry_api import router as registry_router
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store


def build_app(context: ServerContext, on_shutdown: Callable[[], None] | None = None) -> FastAPI:
    """The application over already built services; ``on_shutdown`` runs when it stops."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if on_shutdown is not None:
                on_shutdown()

    app = FastAPI(
        title="streammesh",
        version=streammesh.__version__,
        description="Event streams as data products. The schema registry under `/registry` "
        "speaks the Confluent Schema Registry API. Every endpoint but `/healthz` and "
        "`/openapi.json` needs an API token (Bearer, or HTTP basic with the token as the "
        "password).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    attach_context(app, context)
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(registry_router, prefix=REGISTRY_PREFIX)
    return app


def create_app(settings: ServerSettings) -> FastAPI:
    """Open the mesh's metadata store (migrating it) and build the application on it.

    Raises:
        StoreError: the store URL is invalid or the database cannot be opened.
    """
    settings.mesh.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.resolved_store_url)
    try:
        context = ServerContext(registry=SqlSchemaRegistry(store), tokens=TokenStore(store))
    except BaseException:
        store.close()
        raise
    return build_app(context, on_shutdown=store.close)
