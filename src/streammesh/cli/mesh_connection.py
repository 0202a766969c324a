"""How a command gets its mesh: :func:`open_mesh` is the one place that decides.

By default a command works in-process on the local mesh through the SDK's
:meth:`streammesh.sdk.Mesh.open`, with the same defaults as ``streammesh up`` (``--mesh``,
``--store``, the global ``--log``, ``$STREAMMESH_*``, ``mesh.yaml``); changes are recorded as
made by ``cli:<OS user name>``. With ``--server URL`` it goes through that server instead
(:meth:`streammesh.sdk.Mesh.connect`), which records the token's principal. Which server and
token follow the rules of the ``schemas`` commands (:class:`RegistryTarget`): ``--server``, else
``$STREAMMESH_SERVER`` unless ``--mesh``/``--store`` is given; ``--token``, else
``$STREAMMESH_TOKEN``, else the token ``streammesh login`` stored for the server. The commands
only see :class:`MeshSession`, so each is written once for both.

``produce`` and ``consume`` by product name open their mesh through :func:`open_product`, which
opens it with :func:`open_mesh`: in-process they write to and read from the local log directly,
like a Kafka client; through a server only when ``--server`` names one (an exported
``$STREAMMESH_SERVER`` is not used for them).
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol

import typer
from typing_extensions import TypeVar

from streammesh.cli.errors import CliError
from streammesh.cli.options import TOKEN_ENV
from streammesh.cli.registry_connection import (
    RegistryTarget,
    StoredTokenRefused,
    open_registry,
    stored_token,
)
from streammesh.cli.settings import CliSettings
from streammesh.config import MeshConfig, mesh_home
from streammesh.products import SEGMENT_PATTERN
from streammesh.registry import RegistryAuthenticationFailed, RegistryPermissionDenied

if TYPE_CHECKING:
    # The SDK (and the control plane under it) is imported by the functions that open a
    # mesh, not here: every command module imports this one, and ``--help`` or
    # ``--version`` must not pay for loading the whole mesh.
    from streammesh.control import ProductRecord
    from streammesh.log import ConsumerOptions
    from streammesh.registry import SchemaRegistry
    from streammesh.runtime import MeshRuntime
    from streammesh.sdk import MeshClient, ProductConsumer, ProductProducer
    from streammesh.sdk.remote import RemoteMesh

ACTOR_PREFIX = "cli:"
WHOAMI = "/whoami"
"""The API path (under ``/api/v1``) that names a token's principal; asked to check it."""
_PRODUCT_REFERENCE = re.compile(rf"{SEGMENT_PATTERN}\.{SEGMENT_PATTERN}(?:\.v[1-9][0-9]*)?")


def cli_actor() -> str:
    """``cli:<OS user name>``: who in-process commands record as having made a change."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (e.g. a container's arbitrary user)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{ACTOR_PREFIX}{user}"


if TYPE_CHECKING:

    class CommandMesh(MeshClient, Protocol):
        """The SDK's in-process mesh as ``produce``/``consume`` use it: the control plane,
        plus producers and consumers on the local log."""

        def producer(self, reference: str) -> ProductProducer: ...

        def consumer(
            self,
            reference: str,
            group: str,
            *,
            from_beginning: bool = True,
            options: ConsumerOptions | None = None,
        ) -> ProductConsumer: ...


# A bare ``MeshSession`` is the in-process one ``_open_local`` opens; ``open_mesh`` (and so
# ``open_product``) answers the narrower ``MeshSession[MeshClient]``, in-process or remote.
# The bound and default are named, not given: the SDK is loaded only when a mesh is opened.
MeshT = TypeVar("MeshT", bound="MeshClient", default="CommandMesh", covariant=True)


@dataclass(frozen=True, slots=True)
class MeshSession(Generic[MeshT]):
    """An open mesh and what the command line needs next to it.

    Attributes:
        mesh: The SDK's mesh (in-process, or a server's through ``--server``).
        registry: Its schema registry, which ``plan``/``apply`` validate against first.
        location: Where the mesh is, for messages (its directory or server URL).
    """

    mesh: MeshT
    registry: SchemaRegistry
    location: str


class ServerRefusedToken(CliError):
    """The server refused the token given with ``--token`` or ``$STREAMMESH_TOKEN`` (401)."""

    def __init__(self, server: str, detail: str) -> None:
        self.server = server
        self.detail = detail
        super().__init__(
            f"the mesh at {server} refused the token ({_reason(detail)}); pass a valid one "
            f"with --token or ${TOKEN_ENV}, or store one with 'streammesh login {server}' "
            "(an admin creates tokens with 'streammesh token create')"
        )


class ServerRefusedOperation(CliError):
    """The server accepted the token, but its role may not do what the command asked (403)."""

    def __init__(self, server: str, detail: str) -> None:
        self.server = server
        self.detail = detail
        super().__init__(
            f"the mesh at {server} refused the operation: {detail}; nothing was changed. Use "
            "a token of a role that may do it (see 'streammesh token create --help')"
        )


def _reason(detail: str) -> str:
    # The server's message goes on to explain HTTP headers, which is no help on a command line.
    return detail.split(";", 1)[0].strip() or detail


@dataclass(frozen=True, slots=True)
class MeshTarget:
    """Which mesh the command line's options name.

    Attributes:
        mesh: ``--mesh`` (default ``$STREAMMESH_HOME``, else ``./.streammesh``).
        store: ``--store`` / ``$STREAMMESH_STORE``.
        log: The global ``--log`` / ``$STREAMMESH_LOG`` (in-process only).
        server: ``--server``; ``None`` means ``$STREAMMESH_SERVER`` when neither ``mesh``
            nor ``store`` is given, else in-process.
        token: ``--token`` / ``$STREAMMESH_TOKEN`` (with a server only); ``None`` means the
            token ``streammesh login`` stored for the server.
        kafka_options: The global ``--kafka-*`` options (in-process only).
    """

    mesh: Path | None = None
    store: str | None = None
    log: str | None = None
    server: str | None = None
    token: str | None = None
    kafka_options: Mapping[str, str] = field(default_factory=dict)

    def registry_target(self) -> RegistryTarget:
        """The same choice for the schema registry (the ``schemas`` commands' rules)."""
        return RegistryTarget(
            mesh=self.mesh, store=self.store, server=self.server, token=self.token
        )

    def remote_server(self) -> str | None:
        """The server to go through (without a trailing slash), or ``None`` for in-process.

        Raises:
            InvalidServerUrl: the server is not an http(s) URL.
        """
        return self.registry_target().remote_server()

    def config(self) -> MeshConfig:
        """The local mesh's configuration (``ConfigError`` when ``mesh.yaml`` is invalid)."""
        return MeshConfig.load(
            self.mesh, log_url=self.log, store_url=self.store, kafka_options=self.kafka_options
        )

    def exists(self) -> bool:
        """Whether the local mesh has been created (its SQLite store exists, or its store is
        a database server's).

        Commands that only look (``produce``/``consume`` deciding whether a name is a
        product) ask first, so they never leave a stray ``.streammesh`` behind.
        """
        from sqlalchemy.engine import make_url

        url = self.config().store_url
        if not url.startswith("sqlite"):
            return True
        database = make_url(url).database
        return database is not None and Path(database).is_file()


def command_target(
    ctx: typer.Context,
    mesh: Path | None,
    store: str | None,
    *,
    server: str | None = None,
    token: str | None = None,
) -> MeshTarget:
    """The mesh a command's ``--mesh``/``--store``/``--server``/``--token`` and the global
    ``--log`` name."""
    settings = ctx.ensure_object(CliSettings)
    return MeshTarget(
        mesh=mesh,
        store=store,
        log=settings.log_url,
        server=server,
        token=token,
        kafka_options=settings.kafka_options,
    )


@contextmanager
def local_runtime(
    ctx: typer.Context, mesh: Path | None, store: str | None
) -> Iterator[MeshRuntime]:
    """The local mesh's services, for commands whose work runs in this process on the mesh's
    own log and keys (stream applications, connectors, key rotation). Named explicitly: an
    exported ``$STREAMMESH_SERVER`` does not redirect them to a server."""
    from streammesh.sdk import InProcessMesh

    target = command_target(ctx, mesh, store)
    target = replace(target, mesh=target.mesh or mesh_home())
    with open_mesh(target) as session:
        assert isinstance(session.mesh, InProcessMesh)  # a local target opens in-process
        yield session.mesh.local


@contextmanager
def open_mesh(target: MeshTarget) -> Iterator[MeshSession[MeshClient]]:
    """The mesh ``target`` names, open for the ``with`` block: the local one (created when
    missing), or a server's.

    Raises:
        ConfigError: ``mesh.yaml`` is invalid; ``--server`` without a token (given or
            stored), or together with ``--mesh``/``--store``.
        StoreError: The local metadata store cannot be opened or migrated.
        LogError: The local event log cannot be opened.
        StoredTokenRefused: The server refused the token ``streammesh login`` stored.
        ServerRefusedToken: The server refused the token given.
        ServerRefusedOperation: The token's role may not do what the command asked.
        MeshUnreachable: The server does not answer (``RegistryUnreachable`` when the
            registry is asked first).
    """
    from streammesh.sdk import AuthenticationFailed, Mesh, RemotePermissionDenied

    server = target.remote_server()
    if server is None:
        with _open_local(target) as session:
            yield session
        return
    # open_registry checks the options and that a token is given or stored.
    with open_registry(target.registry_target()) as registry:
        token = target.token or stored_token(server)
        remote = Mesh.connect(server, token=token)
        try:
            _check_token(remote)
            yield MeshSession(remote, registry, server)
        except (AuthenticationFailed, RegistryAuthenticationFailed) as exc:
            if not target.token:
                raise StoredTokenRefused(server) from exc
            raise ServerRefusedToken(server, exc.detail) from exc
        except (RemotePermissionDenied, RegistryPermissionDenied) as exc:
            raise ServerRefusedOperation(server, exc.detail) from exc
        finally:
            remote.close()


def _check_token(remote: RemoteMesh) -> None:
    """Ask the server who the token is before the command starts.

    Without it, ``plan``/``apply`` would meet a refused token first in their validation,
    which reports it as one finding among others; this makes it the command's one error.
    """
    from streammesh.sdk import RemoteRequestFailed

    try:
        remote.request("GET", WHOAMI)
    except RemoteRequestFailed as exc:
        if exc.status != HTTPStatus.NOT_FOUND:  # a server from before whoami: checked later
            raise


@contextmanager
def _open_local(target: MeshTarget) -> Iterator[MeshSession[CommandMesh]]:
    from streammesh.sdk import Mesh

    config = target.config()
    mesh = Mesh.open(
        config.home,
        log_url=config.log_url,
        store_url=config.store_url,
        actor=cli_actor(),
        kafka_security=config.kafka_security,
    )
    try:
        yield MeshSession(mesh, mesh.local.registry, str(config.home))
    finally:
        mesh.close()


@contextmanager
def open_product(
    target: MeshTarget, name: str
) -> Iterator[tuple[MeshSession[MeshClient], ProductRecord] | None]:
    """The mesh ``target`` names (opened with :func:`open_mesh`) and the product ``name``
    names, or ``None`` when ``name`` is a topic of the local log.

    ``produce`` and ``consume`` take a product or a topic. Locally, a name not shaped like a
    product reference (``domain.product`` or ``domain.product.vN``), a mesh not created yet,
    or a name the mesh does not know, is a topic; no mesh is created to find that out. Only
    ``target.server`` (``--server``) makes it a server's mesh, not an exported
    ``$STREAMMESH_SERVER``: the data plane by name stays on the local log unless a server is
    asked for. Through a server every name is a product's (topics are the log's, which a
    client does not reach).

    Raises:
        ProductNotFound: Through a server, ``name`` is no product of its mesh.
        (and what :func:`open_mesh` raises)
    """
    from streammesh.control import ProductNotFound

    if target.server is None:
        # The mesh named explicitly, so that an exported server is not used (see above).
        target = replace(target, mesh=target.mesh or mesh_home())
        if not _PRODUCT_REFERENCE.fullmatch(name) or not target.exists():
            yield None
            return
    elif not _PRODUCT_REFERENCE.fullmatch(name):
        raise ProductNotFound(name)
    with open_mesh(target) as session:
        try:
            record = session.mesh.product(name)
        except ProductNotFound:
            if target.server is not None:
                raise
            found = None
        else:
            found = (session, record)
        yield found


__all__ = [
    "MeshSession",
    "MeshTarget",
    "ServerRefusedOperation",
    "ServerRefusedToken",
    "cli_actor",
    "command_target",
    "open_mesh",
    "open_product",
]
