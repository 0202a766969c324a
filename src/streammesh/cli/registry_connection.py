"""Which schema registry a command works on: the mesh's own store, or a server's API.

By default the registry is used in-process on the mesh's metadata store (``--mesh`` /
``--store``, the same defaults as ``streammesh up``), which needs no server and no token.
With ``--server URL`` (or ``$STREAMMESH_SERVER``) it goes through that server's
Confluent-compatible API with a token: ``--token``, ``$STREAMMESH_TOKEN``, or else the one
``streammesh login`` stored for that server. That is what a CI job or a laptop away from the
mesh does. ``--mesh``/``--store`` on the command line win over ``$STREAMMESH_SERVER``, so an
exported server does not stop anyone working on a local mesh. Both give a
:class:`~streammesh.registry.base.SchemaRegistry`, so every command is written once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from streammesh.cli.credentials import load_credentials, normalise_server
from streammesh.cli.options import SERVER_ENV, TOKEN_ENV
from streammesh.cli.up import server_settings
from streammesh.errors import ConfigError
from streammesh.registry import RegistryAuthenticationFailed

if TYPE_CHECKING:
    from streammesh.registry import SchemaRegistry


@dataclass(frozen=True, slots=True)
class RegistryTarget:
    """Where the registry is, as the command line's options say.

    Attributes:
        mesh: ``--mesh`` (in-process only).
        store: ``--store`` (in-process only).
        server: ``--server``; ``None`` means ``$STREAMMESH_SERVER`` when neither ``mesh``
            nor ``store`` is given, else in-process.
        token: ``--token`` / ``$STREAMMESH_TOKEN`` (with ``server`` only); ``None`` means
            the token stored by ``streammesh login`` for ``server``.
    """

    mesh: Path | None = None
    store: str | None = None
    server: str | None = None
    token: str | None = None

    def describe(self) -> str:
        """Where changes go, for messages: the server URL or the store URL."""
        server = self.remote_server()
        if server is not None:
            return server
        return server_settings(self.mesh, self.store).resolved_store_url

    def remote_server(self) -> str | None:
        """The server to go through (without a trailing slash), or ``None`` for in-process.

        ``--server``, else ``$STREAMMESH_SERVER`` unless ``--mesh``/``--store`` name a local
        store: an exported server must not stop anyone working on a local mesh. (Not a Typer
        ``envvar``, which could not tell an exported server from a typed one.)

        Raises:
            InvalidServerUrl: the server is not an http(s) URL.
        """
        server = self.server
        if server is None and self.mesh is None and self.store is None:
            server = os.environ.get(SERVER_ENV) or None
        return normalise_server(server) if server is not None else None


class StoredTokenRefused(ConfigError):
    """The token ``streammesh login`` stored for a server is no longer accepted by it."""

    def __init__(self, server: str) -> None:
        self.server = server
        super().__init__(
            f"the token stored for {server} was refused (revoked or expired); run "
            f"'streammesh login {server}' with a valid one, or pass --token"
        )


def stored_token(server: str) -> str:
    """The token ``streammesh login`` stored for ``server``.

    Raises:
        ConfigError: None is stored; the message says how to log in or pass one.
    """
    stored = load_credentials().token_for(server)
    if stored is None:
        raise ConfigError(
            f"--server {server} needs an API token: run 'streammesh login {server}', pass "
            f"--token or set ${TOKEN_ENV} (create one with 'streammesh token create')"
        )
    return stored


@contextmanager
def open_registry(target: RegistryTarget) -> Iterator[SchemaRegistry]:
    """The registry ``target`` names, open for the duration of the ``with`` block.

    Raises:
        ConfigError: ``--server`` without a token (given or stored), or together with
            ``--mesh``/``--store``.
        StoredTokenRefused: the server refused the token stored by ``streammesh login``.
        CredentialsFileError: the stored logins are needed but cannot be read.
    """
    # Imported here: SQLAlchemy and httpx are heavy, and most commands need neither.
    server = target.remote_server()
    if server is not None:
        from streammesh.registry import HttpSchemaRegistry

        if target.mesh is not None or target.store is not None:
            raise ConfigError("give --server, or --mesh/--store for the local store, not both")
        if target.token:
            with HttpSchemaRegistry(server, target.token) as remote:
                yield remote
            return
        try:
            with HttpSchemaRegistry(server, stored_token(server)) as remote:
                yield remote
        except RegistryAuthenticationFailed as exc:
            # The generic message says to pass --token; a stale login needs a new login.
            raise StoredTokenRefused(server) from exc
        return

    from streammesh.audit import AuditLog
    from streammesh.cli.mesh_connection import cli_actor  # that module imports this one
    from streammesh.registry import AuditRecorder, SqlSchemaRegistry
    from streammesh.store import open_store

    settings = server_settings(target.mesh, target.store)
    if target.store is None:
        settings.mesh.mkdir(parents=True, exist_ok=True)  # the default store lives in it
    with open_store(settings.resolved_store_url) as metadata:
        # Changes are audited as the local operator; the next relay (a server start or any
        # control-plane change) appends them to _mesh.events.
        recorder = AuditRecorder(AuditLog(metadata), cli_actor())
        yield SqlSchemaRegistry(metadata).recording(recorder)
