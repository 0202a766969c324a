"""``streammesh connect ...``: connectors feeding products from databases and files, and
landing products in data at rest.

``connect validate FILE`` checks a connector definition (every problem at its line and
column, exit 1); ``connect run FILE`` runs the connector in the foreground on the local mesh,
as its service account, until Ctrl-C — which finishes the batch in hand, commits it and
exits 0. Credentials given as ``${NAME}`` are never printed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from streammesh.cli.connect_manage import RunRegistration, register
from streammesh.cli.interrupt import GracefulInterrupt
from streammesh.cli.mesh_connection import cli_actor, local_runtime
from streammesh.cli.options import MeshOption, StoreOption
from streammesh.cli.output import stdout_console

if TYPE_CHECKING:
    from streammesh.connect import ConnectorDefinition, Worker, WorkerProgress

app = typer.Typer(
    help="Connectors: feed products from databases and files, land them in data at rest.",
    no_args_is_help=True,
)

_FileArgument = Annotated[
    Path,
    typer.Argument(metavar="FILE", show_default=False, help="The connector's definition (YAML)."),
]


@app.command("validate")
def validate_command(file: _FileArgument) -> None:
    """Check a connector definition: its fields, its kind and the kind's settings
    (``${NAME}`` variables must be set; their values are not shown)."""
    from streammesh.connect import read_definition

    definition = read_definition(file)
    typer.echo(
        f"{file}: connector {definition.name} ({definition.kind.name} {definition.role}, as "
        f"{definition.principal}) is valid"
    )


@app.command("run")
def run_command(
    ctx: typer.Context,
    file: _FileArgument,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            min=0.1,
            metavar="SECONDS",
            help="Seconds between progress lines when stdout is not a terminal (on a terminal: 1).",
        ),
    ] = 5.0,
    mesh: MeshOption = None,
    store: StoreOption = None,
) -> None:
    """Run a connector in the foreground until Ctrl-C.

    A source writes each batch of changes and its position in one log transaction (exactly
    once across restarts); a sink resumes from the offsets it stored with its data. A record
    that cannot be converted goes to the topic <name>.dead-letter with the reason, and the
    connector goes on. Its service account needs the grants any producer or consumer needs.
    """
    from streammesh.connect import freeze_start_up_objects, read_definition

    definition = read_definition(file)
    with local_runtime(ctx, mesh, store) as runtime:
        # Recorded as placement 'process': status, pause, resume and delete reach it.
        every = 1.0 if sys.stdout.isatty() else interval
        registration = RunRegistration(runtime, definition, actor=cli_actor(), interval_s=every)
        worker = runtime.connect.worker(definition)
        try:
            with GracefulInterrupt() as interrupt:
                worker.start()
                freeze_start_up_objects()  # this process runs this connector only
                typer.echo(
                    f"running {definition.name} ({definition.kind.name} {definition.role}, as "
                    f"{definition.principal}); press Ctrl-C to stop."
                )
                sys.stdout.flush()
                interrupted = lambda: interrupt.requested  # noqa: E731
                while True:
                    _run(
                        worker,
                        lambda: interrupt.requested or registration.interrupting,
                        interval,
                        registration.beat,
                    )
                    if registration.deleted or not registration.hold(interrupted):
                        break
        finally:
            worker.close()
            registration.leave()
        final = worker.progress()
    gone = " (the connector was deleted)" if registration.deleted else ""
    typer.echo(f"stopped {definition.name}{gone}: {_numbers(final)}, committed.")


def _run(
    worker: Worker,
    should_stop: Callable[[], bool],
    interval: float,
    beat: Callable[[WorkerProgress], None],
) -> None:
    if sys.stdout.isatty():
        from rich.live import Live

        with Live(console=stdout_console(), auto_refresh=False, transient=False) as live:

            def show(progress: WorkerProgress) -> None:
                live.update(_line(worker.definition, progress), refresh=True)
                beat(progress)

            worker.run(should_stop, report=show, interval=1.0)
        return

    def plain(progress: WorkerProgress) -> None:
        typer.echo(_line(worker.definition, progress))
        sys.stdout.flush()
        beat(progress)

    worker.run(should_stop, report=plain, interval=interval)


def _line(definition: ConnectorDefinition, progress: WorkerProgress) -> str:
    where = ""
    if progress.position is not None:
        where = f", position {_position(progress.position)}"
    elif progress.lag:
        where = f", lag {progress.total_lag:,}"
    error = f", last error: {progress.last_error}" if progress.last_error else ""
    return f"{definition.name}: {_numbers(progress)}{where}{error}"


def _numbers(progress: WorkerProgress) -> str:
    return (
        f"{progress.records_in:,} in, {progress.records_out:,} out, "
        f"{progress.dead_letters:,} dead letters"
    )


def _position(position: object) -> str:
    text = json.dumps(position, default=str, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


register(app)  # create, list, status, pause, resume, restart, delete (connect_manage)
