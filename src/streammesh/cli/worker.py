"""``streammesh worker``: the mesh's background work without the API.

It runs what ``streammesh up`` runs beside the API (see :mod:`streammesh.workers`):
notification delivery and the event relay's catch-up, the SLO checks, and the stream
applications and connectors placed on the server. Start API replicas with
``up --no-workers`` and one or more workers; several workers share the work as consumer
groups. Ctrl-C or SIGTERM (what systemd and Kubernetes send) stops it cleanly: each part
finishes its round, commits and leaves its groups. A worker that stops progressing is
reported on stderr (and again when it recovers), as ``/readyz`` reports a replica's.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from streammesh.cli.interrupt import GracefulInterrupt
from streammesh.cli.options import LogOption, MeshOption, StoreOption
from streammesh.cli.settings import CliSettings
from streammesh.config import MeshConfig

_CHECK_EVERY_S = 1.0
"""How often the command looks for a stop request and for stuck workers."""


def worker(
    ctx: typer.Context,
    mesh: MeshOption = None,
    store: StoreOption = None,
    log: LogOption = None,
    no_streams: Annotated[
        bool,
        typer.Option(
            "--no-streams",
            help="Do not host the stream applications and connectors placed on the server "
            "(another process does).",
        ),
    ] = False,
) -> None:
    """Run the mesh's background work without the API: notifications and the event relay,
    SLO checks, and the stream applications and connectors placed on the server."""
    # Imported here: every other command starts without the services.
    from streammesh.runtime import MeshRuntime
    from streammesh.workers import start_workers

    log = log or ctx.ensure_object(CliSettings).log_url
    config = MeshConfig.load(mesh, log_url=log, store_url=store)
    config.home.mkdir(parents=True, exist_ok=True)
    with (
        GracefulInterrupt(signal.SIGINT, signal.SIGTERM) as interrupt,
        MeshRuntime.open(config) as runtime,
    ):
        workers = start_workers(runtime, hosting=not no_streams)
        try:
            typer.echo(f"streammesh worker on {config.home} running: {', '.join(workers.names)}")
            typer.echo("Press Ctrl-C to stop.")
            stuck: set[str] = set()
            while not interrupt.requested:
                threading.Event().wait(_CHECK_EVERY_S)
                for beat in workers.heartbeats:
                    health = beat.health()
                    if health.stuck and health.name not in stuck:
                        stuck.add(health.name)
                        typer.echo(
                            f"warning: {health.name} has made no progress for "
                            f"{health.idle_s:.0f} s (retrying; see the log above)",
                            err=True,
                        )
                    elif not health.stuck and health.name in stuck:
                        stuck.discard(health.name)
                        typer.echo(f"{health.name} is progressing again", err=True)
            typer.echo("Stopping: each part finishes its round...")
        finally:
            workers.stop()
    typer.echo("streammesh worker stopped.")
