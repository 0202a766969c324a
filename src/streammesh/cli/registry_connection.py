"""Which schema registry a command works on: the mesh's own store, or a server's API.

By default the registry is used in-process on the mesh's metadata store (``--mesh`` /
``--store``, the same defaults as ``streammesh up``), which needs no server and no token.
With ``--server URL`` it goes through that server's Confluent-compatible API with a token
(``--token`` or ``$STREAMMESH_TOKEN``), which is what a CI job or a laptop away from the
mesh does. Both give a :class:`~streammesh.registry.base.SchemaRegistry`, so every command is
written once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from streammesh.cli.up import server_settings
from streammesh.errors import ConfigError

if TYPE_CHECKING:
    from streammesh.registry.base import SchemaRegistry

TOKEN_ENV = "STREAMMESH_TOKEN"
"""Environment variable holding the API token used with ``--server``."""

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        metavar="URL",
        show_default=False,
        help="Work on the registry of this streammesh server (e.g. http://127.0.0.1:8080) "
        "instead of the local mesh's store.",
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar=TOKEN_ENV,
        metavar="TOKEN",
        show_default=False,
        show_envvar=True,
        help="API token for --server.",
    ),
]


@dataclass(frozen=True, slots=True)
class RegistryTarget:
    """Where the registry is, as the command line's options say.

    Attributes:
        mesh: ``--mesh`` (in-process only).
        store: ``--store`` (in-process only).
        server: ``--server``; ``None`` means in-process.
        token: ``--token`` / ``$STREAMMESH_TOKEN`` (with ``server`` only).
    """

    mesh: Path | None = None
    store: str | None = None
    server: str | None = None
    token: str | None = None

    def describe(self) -> str:
        """Where changes go, for messages: the server URL or the store URL."""
        if self.server is not None:
            return self.server
        return server_settings(self.mesh, self.store).resolved_store_url


@contextmanager
def open_registry(target: RegistryTarget) -> Iterator[SchemaRegistry]:
    """The registry ``target`` names, open for the duration of the ``with`` block.

    Raises:
        ConfigError: ``--server`` without a token, or together with ``--mesh``/``--store``.
    """
    # Imported here: SQLAlchemy and httpx are heavy, and most commands need neither.
    if target.server is not None:
        from streammesh.registry.http import HttpSchemaRegistry

        if target.mesh is not None or target.store is not None:
            raise ConfigError("give --server, or --mesh/--store for the local store, not both")
        if not target.token:
            raise ConfigError(
                f"--server needs an API token: pass --token or set ${TOKEN_ENV} "
                "(create one with 'streammesh token create')"
            )
        with HttpSchemaRegistry(target.server, target.token) as remote:
            yield remote
        return

    from streammesh.registry.sql import SqlSchemaRegistry
    from streammesh.store import open_store

    settings = server_settings(target.mesh, target.store)
    if target.store is None:
        settings.mesh.mkdir(parents=True, exist_ok=True)  # the default store lives in it
    with open_store(settings.resolved_store_url) as metadata:
        yield SqlSchemaRegistry(metadata)
