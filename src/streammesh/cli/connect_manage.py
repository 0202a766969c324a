"""``streammesh connect create|list|status|pause|resume|restart|delete``: the connectors the
mesh records, on the local mesh or, with ``--server``, through ``mesh.connectors`` (the
server's ``/connect`` routes).

Registered on the ``connect`` command group by :func:`register`. Credentials never show: a
definition keeps its ``${VAR}`` references as written, errors are redacted by the workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from streammesh.cli.mesh_connection import command_target, open_mesh
from streammesh.cli.options import JsonOption, MeshOption, ServerOption, StoreOption, TokenOption
from streammesh.cli.output import print_json, stdout_console

if TYPE_CHECKING:
    from streammesh.connect import ConnectorDefinition, ConnectorStatus, WorkerProgress
    from streammesh.runtime import MeshRuntime
    from streammesh.sdk import ConnectorsClient

__all__ = ["RunRegistration", "register"]

_NameArgument = Annotated[
    str, typer.Argument(metavar="NAME", show_default=False, help="The connector's name.")
]
_FileArgument = Annotated[
    Path,
    typer.Argument(metavar="FILE", show_default=False, help="The connector's definition (YAML)."),
]


@contextmanager
def _connectors(
    ctx: typer.Context,
    mesh: Path | None,
    store: str | None,
    server: str | None,
    token: str | None,
) -> Iterator[ConnectorsClient]:
    """The connectors of the local mesh, or of the one ``--server`` serves."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        yield session.mesh.connectors


def create_command(
    ctx: typer.Context,
    file: _FileArgument,
    placement: Annotated[
        str,
        typer.Option(
            "--placement",
            metavar="server|process",
            help="Where it runs: 'server' (streammesh up runs it) or 'process' (a "
            "'streammesh connect run FILE' process does).",
        ),
    ] = "server",
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace the definition of the connector of that name."),
    ] = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Record a connector from its definition file, to run. Its ${NAME} references are kept
    as written (resolved where it runs, never stored in clear); a password written in clear
    is refused."""
    from streammesh.connect import ConnectorConfigInvalid, ConnectorPlacement

    try:
        where = ConnectorPlacement(placement)
    except ValueError:
        raise ConnectorConfigInvalid(
            str(file), "placement", "is 'server' or 'process' (--placement)"
        ) from None
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from streammesh.connect import DefinitionInvalid

        raise DefinitionInvalid(str(file), [(None, None, "", f"cannot be read: {exc}")]) from None
    with _connectors(ctx, mesh, store, server, token) as connectors:
        status = connectors.create(text, placement=where.value, replace=replace)
    record = status.connector
    runner = (
        "streammesh up runs it"
        if record.placement is ConnectorPlacement.SERVER
        else f"run it with 'streammesh connect run {file}'"
    )
    verb = "recorded" if not replace else "recorded (replaced)"
    typer.echo(
        f"{verb} connector {record.name} ({record.kind} {record.role}, as {record.principal}), "
        f"placement {record.placement.value}: {runner}"
    )


def list_command(
    ctx: typer.Context,
    json_output: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List the connectors: kind, type, placement, state (Kafka Connect's), records in and
    out, lag, dead letters and last error."""
    with _connectors(ctx, mesh, store, server, token) as connectors:
        statuses = connectors.statuses()
    if json_output:
        print_json([status.to_json() for status in statuses])
        return
    if not statuses:
        typer.echo("No connectors; 'streammesh connect create FILE.yaml' records one.")
        return
    from rich.table import Table

    table = Table(box=None)
    columns = ("NAME", "KIND", "TYPE", "PLACEMENT", "STATE", "IN", "OUT", "LAG", "DEAD", "ERROR")
    for column in columns:
        table.add_column(column, justify="right" if column in _RIGHT else "left")
    for status in statuses:
        record = status.connector
        table.add_row(
            record.name,
            record.kind,
            record.role,
            record.placement.value,
            status.state,
            f"{status.records_in:,}",
            f"{status.records_out:,}",
            "-" if status.lag is None else f"{status.lag:,}",
            f"{status.dead_letters:,}",
            _short(status.last_error),
        )
    stdout_console().print(table)


_RIGHT = frozenset({"IN", "OUT", "LAG", "DEAD"})


def _short(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    line = text.splitlines()[0]
    return line if len(line) <= width else line[: width - 3] + "..."


def status_command(
    ctx: typer.Context,
    name: _NameArgument,
    json_output: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show a connector: its record, state, live instances (host, pid, last heartbeat,
    state), counters, lag and last error."""
    with _connectors(ctx, mesh, store, server, token) as connectors:
        status = connectors.status(name)
    if json_output:
        print_json(status.to_json())
        return
    typer.echo("\n".join(_status_lines(status)))


def _status_lines(status: ConnectorStatus) -> list[str]:
    record = status.connector
    alive = len(status.instances)
    lines = [
        f"{record.name}: {status.state} ({record.kind} {record.role}), desired "
        f"{record.desired.value}, placement {record.placement.value}, {alive} instance"
        f"{'' if alive == 1 else 's'} alive",
        f"  principal: {record.principal}",
        f"  created by {record.created_by} at {record.created_at:%Y-%m-%d %H:%M:%S}Z, "
        f"updated {record.updated_at:%Y-%m-%d %H:%M:%S}Z, generation {record.generation}",
    ]
    if record.paused_by:
        lines.append(f"  paused by {record.paused_by}")
    lag = "" if status.lag is None else f", lag {status.lag:,}"
    lines.append(
        f"  records in {status.records_in:,}, out {status.records_out:,}, dead letters "
        f"{status.dead_letters:,} (on {record.name}.dead-letter){lag}"
    )
    if status.last_error:
        lines.append(f"  last error: {status.last_error}")
    lines.append("Instances:" if status.instances else "Instances: (none alive)")
    for instance in status.instances:
        lines.append(
            f"  {instance.instance}: {instance.state}, {instance.placement.value}, host "
            f"{instance.host}, pid {instance.pid}, last heartbeat "
            f"{instance.heartbeat_at:%H:%M:%S}Z"
        )
    return lines


def pause_command(
    ctx: typer.Context,
    name: _NameArgument,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Pause a connector: its workers finish their batch and poll no more."""
    with _connectors(ctx, mesh, store, server, token) as connectors:
        connectors.pause(name)
    typer.echo(f"paused {name}; its workers stop at their next heartbeat")


def resume_command(
    ctx: typer.Context,
    name: _NameArgument,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Resume a paused connector from where it stopped."""
    with _connectors(ctx, mesh, store, server, token) as connectors:
        connectors.resume(name)
    typer.echo(f"resumed {name}")


def restart_command(
    ctx: typer.Context,
    name: _NameArgument,
    only_failed: Annotated[
        bool, typer.Option("--only-failed", help="Restart only when it is failed.")
    ] = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Restart a connector: its workers close and start again from their last commit."""
    with _connectors(ctx, mesh, store, server, token) as connectors:
        restarted = connectors.restart(name, only_failed=only_failed)
    typer.echo(f"restarting {name}" if restarted else f"{name} is not failed; not restarted")


def delete_command(
    ctx: typer.Context,
    name: _NameArgument,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Delete a connector; its workers stop at their next heartbeat. Its products, offsets
    and dead-letter topics are kept."""
    with _connectors(ctx, mesh, store, server, token) as connectors:
        connectors.delete(name)
    typer.echo(f"deleted {name}; its products, offsets and dead letters are kept")


def register(app: typer.Typer) -> None:
    """Add the management commands to the ``connect`` command group ``app``."""
    app.command("create")(create_command)
    app.command("list")(list_command)
    app.command("status")(status_command)
    app.command("pause")(pause_command)
    app.command("resume")(resume_command)
    app.command("restart")(restart_command)
    app.command("delete")(delete_command)


class RunRegistration:
    """A ``connect run`` process as the mesh sees it: the connector recorded with placement
    ``process`` (created, or its definition replaced by the file's), heartbeats of this
    process, and what the record asks: a pause stops polling until resumed, a delete stops
    the process; a restart of a process is restarting it (the record's new generation is
    acknowledged).

    Args:
        runtime: The local mesh.
        definition: The definition run.
        actor: Who records it (audited).
        interval_s: Seconds between heartbeats.
    """

    def __init__(
        self,
        runtime: MeshRuntime,
        definition: ConnectorDefinition,
        *,
        actor: str,
        interval_s: float,
    ) -> None:
        from streammesh.connect import (
            ConnectorConfigInvalid,
            ConnectorManager,
            ConnectorNext,
            ConnectorPlacement,
            ProcessReport,
            SecretInClear,
        )
        from streammesh.identity import AccountNotFound

        manager = ConnectorManager(runtime.store, allowed_paths=runtime.config.connector_folders)
        existing = manager.connectors()
        found = next((item for item in existing if item.name == definition.name), None)
        if found is not None and found.placement is ConnectorPlacement.SERVER:
            raise ConnectorConfigInvalid(
                definition.name,
                "placement",
                "is 'server': streammesh up runs it; move it to a process with 'streammesh "
                "connect create FILE --placement process --replace' first",
            )
        self._next = ConnectorNext
        self.decision = ConnectorNext.RUN
        self._progress: dict[str, Any] = {}
        self._error: str | None = None
        self.report: ProcessReport | None = None
        try:
            manager.create(
                definition.text,
                actor=actor,
                origin=definition.origin,
                placement=ConnectorPlacement.PROCESS,
                replace=True,
            )
        except (SecretInClear, AccountNotFound) as exc:
            # It still runs (the worker checks its account); the mesh does not record it.
            typer.echo(f"note: not recorded in the mesh (status, pause, delete): {exc}", err=True)
            return
        self.report = ProcessReport(
            manager, definition.name, placement=ConnectorPlacement.PROCESS, interval_s=interval_s
        )
        self.decision = self.report.beat("running")

    def beat(self, progress: WorkerProgress) -> None:
        """Heartbeat with ``progress``; remember what the record asks."""
        from streammesh.connect import progress_document

        if self.report is None:
            return
        self._progress = progress_document(progress)
        self._error = progress.last_error
        self.decision = self.report.beat(progress.state, self._progress, self._error)

    @property
    def interrupting(self) -> bool:
        """Whether the worker should stop polling (paused or deleted)."""
        return self.decision in (self._next.PAUSE, self._next.STOP)

    @property
    def deleted(self) -> bool:
        """Whether the connector was deleted (the process stops)."""
        return self.decision is self._next.STOP

    def hold(self, interrupted: Callable[[], bool]) -> bool:
        """While paused, heartbeat ``paused`` every interval; whether to run again (resumed),
        not (deleted, or ``interrupted()``)."""
        while self.report is not None and self.decision is self._next.PAUSE:
            if interrupted():
                break
            time.sleep(min(self.report.interval_s, 0.5))
            self.decision = self.report.beat("paused", self._progress, self._error)
        return not interrupted() and self.decision is not self._next.STOP

    def leave(self) -> None:
        """Forget this process in the mesh."""
        if self.report is not None:
            self.report.leave()
