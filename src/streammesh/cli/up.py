"""``streammesh up``: serve the mesh's API (the schema registry under ``/registry``) over HTTP.

The mesh is a directory (``--mesh``, ``$STREAMMESH_HOME``, else ``./.streammesh``) whose
``mesh.yaml`` may point at Kafka and PostgreSQL; ``--log`` and ``--store`` (or
``$STREAMMESH_LOG``/``$STREAMMESH_STORE``) override it (see :mod:`streammesh.config`).
The first start that can serve (socket bound, mesh opened) creates the admin token and prints
it once; a start that fails before creates none. Every start of a mesh with no usable
platform-admin token prints the command that makes one. The socket is bound before the
server starts, so the URL printed is the one listening (also with ``--port 0``). Ctrl-C stops
the server after the requests in flight are answered.
"""

from __future__ import annotations

import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from streammesh.cli.errors import CannotListen
from streammesh.cli.kafka_options import (
    KafkaCaOption,
    KafkaCertificateOption,
    KafkaKeyOption,
    KafkaMechanismOption,
    KafkaProtocolOption,
    KafkaUsernameOption,
    kafka_options,
)
from streammesh.cli.options import LogOption, MeshOption, StoreOption
from streammesh.cli.settings import CliSettings
from streammesh.config import MeshConfig
from streammesh.server import DEFAULT_HOST, DEFAULT_PORT, ServerSettings

if TYPE_CHECKING:
    from streammesh.identity import IssuedToken


def server_settings(
    mesh: Path | None,
    store: str | None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    log: str | None = None,
    kafka_options: dict[str, str] | None = None,
) -> ServerSettings:
    """Settings from the command line's options, resolved as :class:`MeshConfig` resolves
    them (options, then the environment, then ``mesh.yaml``), the mesh directory absolute.

    Raises:
        ConfigError: The mesh's ``mesh.yaml`` is invalid.
    """
    config = MeshConfig.load(mesh, log_url=log, store_url=store, kafka_options=kafka_options)
    return ServerSettings(
        mesh=config.home,
        host=host,
        port=port,
        log_url=config.log_url,
        store_url=config.store_url,
        kafka_options=kafka_options or {},
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0: a free port), bound before the server starts so
    the URL printed is the one listening.

    Raises:
        CannotListen: The address is in use or not one of this host's.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on connections whose socket says
    # so, and with Nagle on, a response written in two parts under load waited for the
    # client's delayed ACK (40 ms per /healthz).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise CannotListen(host, port, exc.strerror or str(exc)) from exc
    sock.set_inheritable(True)
    return sock


def _announce_admin(issued: IssuedToken, url: str) -> None:
    typer.echo(
        "Created the admin token of this mesh. It is shown only this once; keep it safe:\n"
        f"\n    {issued.secret}\n\n"
        "Send it as 'Authorization: Bearer <token>'; Confluent clients use\n"
        f"    {{'url': '{url}/registry', 'basic.auth.user.info': 'admin:<token>'}}\n"
        "More tokens: 'streammesh token create --role ROLE'.\n"
    )


@dataclass(frozen=True, slots=True)
class AdminAccess:
    """Who can administer a mesh once it starts.

    Attributes:
        issued: The mesh's first admin token, created by this start (print it once).
        usable: Whether an active platform-admin token exists (the one just issued counts).
    """

    issued: IssuedToken | None
    usable: bool


def ensure_admin_access(store_url: str) -> AdminAccess:
    """Create the first admin token of a mesh that has no tokens, and tell whether any
    platform-admin token is usable (neither revoked nor expired).

    Called only once the server can serve (socket bound, mesh opened): a start that fails
    before creates no token that nobody would ever see.

    Raises:
        StoreError: The store cannot be opened or written.
    """
    from streammesh.identity import Role, TokenStore
    from streammesh.store import open_store

    with open_store(store_url) as metadata:
        tokens = TokenStore(metadata)
        issued = tokens.ensure_admin()
        usable = issued is not None or any(
            found.role is Role.PLATFORM_ADMIN and found.active() for found in tokens.list()
        )
    return AdminAccess(issued, usable)


def admin_token_command(settings: ServerSettings) -> str:
    """The command that makes a platform-admin token on this mesh, in-process (whoever can
    open the mesh directory and its store may), naming what differs from the mesh's own
    configuration so that it works as printed from any directory."""
    from sqlalchemy.engine import make_url

    served = settings.mesh_config()
    own = MeshConfig.load(settings.mesh)
    words = ["streammesh"]
    if served.log_url != own.log_url:
        words += ["--log", served.log_url]
    words += ["token", "create", "--role", "platform-admin", "--name", "admin"]
    words += ["--mesh", str(served.home)]
    if served.store_url != own.store_url:
        # Never print the store's password (this output often ends up in a log).
        words += ["--store", make_url(served.store_url).render_as_string(hide_password=True)]
    return shlex.join(words)


def announce_admin_access(access: AdminAccess, settings: ServerSettings) -> None:
    """Print the admin token just created, or how to make one when none is usable (every
    start says it until there is one, so nobody stays locked out)."""
    if access.issued is not None:
        _announce_admin(access.issued, settings.url)
    elif not access.usable:
        typer.echo(
            "This mesh has no usable platform-admin token (none, or all revoked or expired).\n"
            "Make one (its secret is printed once) with:\n"
            f"\n    {admin_token_command(settings)}\n"
        )


def up(
    ctx: typer.Context,
    mesh: MeshOption = None,
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="Address to listen on.")
    ] = DEFAULT_HOST,
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, metavar="N", help="Port (0: a free one)."),
    ] = DEFAULT_PORT,
    store: StoreOption = None,
    log: LogOption = None,
    kafka_security_protocol: KafkaProtocolOption = None,
    kafka_sasl_mechanism: KafkaMechanismOption = None,
    kafka_sasl_username: KafkaUsernameOption = None,
    kafka_ssl_ca_location: KafkaCaOption = None,
    kafka_ssl_certificate_location: KafkaCertificateOption = None,
    kafka_ssl_key_location: KafkaKeyOption = None,
    no_streams: Annotated[
        bool,
        typer.Option(
            "--no-streams",
            help="Do not host the stream applications deployed with placement server "
            "(another replica does).",
        ),
    ] = False,
    no_workers: Annotated[
        bool,
        typer.Option(
            "--no-workers",
            help="Serve the API only: no notifications, SLO checks or hosting here "
            "('streammesh worker' runs them).",
        ),
    ] = False,
    no_migrate: Annotated[
        bool,
        typer.Option(
            "--no-migrate",
            help="Refuse to start on a metadata store not at this version's schema instead "
            "of migrating it ('streammesh migrate' does, once).",
        ),
    ] = False,
) -> None:
    """Serve the mesh's API: the Confluent-compatible schema registry under /registry, and
    run the mesh's background work (notifications, SLO checks, the stream applications and
    connectors deployed to the server) unless told --no-workers."""
    # Imported here: the web stack is heavy, and every other command starts without it.
    import uvicorn

    from streammesh.server import create_app, settle_heap

    # `streammesh --log URL up` names the log too: the global option applies to every command.
    log = log or ctx.ensure_object(CliSettings).log_url
    # This command's --kafka-* options, over the global ones (`streammesh --kafka-... up`).
    security = kafka_options(
        ctx,
        protocol=kafka_security_protocol,
        sasl_mechanism=kafka_sasl_mechanism,
        sasl_username=kafka_sasl_username,
        ssl_ca_location=kafka_ssl_ca_location,
        ssl_certificate_location=kafka_ssl_certificate_location,
        ssl_key_location=kafka_ssl_key_location,
    )
    settings = server_settings(mesh, store, host, port, log, security)
    if no_streams:
        settings = settings.model_copy(update={"host_streams": False})
    if no_workers:
        settings = settings.model_copy(update={"run_workers": False})
    settings.mesh.mkdir(parents=True, exist_ok=True)
    if no_migrate:
        from streammesh.store import open_store

        # Checked before serving; the server then finds the schema current and migrates nothing.
        open_store(settings.resolved_store_url, migrate=False).close()
    sock = bind_socket(settings.host, settings.port)
    try:
        bound = settings.model_copy(update={"port": sock.getsockname()[1]})
        app = create_app(bound)
        # Only now that it can serve: a start that failed before created no unseen token.
        access = ensure_admin_access(bound.resolved_store_url)
    except BaseException:
        sock.close()
        raise
    announce_admin_access(access, bound)
    typer.echo(f"streammesh serving {bound.mesh} on {bound.url} (registry: {bound.url}/registry)")
    if no_workers:
        typer.echo("Background work is not run here: start 'streammesh worker' for it.")
    typer.echo("Press Ctrl-C to stop.")
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        # C parser and event loop (dependencies): registry reads by id went from ~1,600 to
        # ~2,400 requests/s on 2 cores with them (benchmarks/registry.py).
        http="httptools",
        loop="asyncio" if sys.platform == "win32" else "uvloop",
    )
    settle_heap()  # the startup heap out of every full collection's walk (~150 ms each)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn already shut down gracefully; it re-raises the signal afterwards
    finally:
        sock.close()
    typer.echo("streammesh stopped.")
