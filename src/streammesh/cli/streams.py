"""``streammesh streams ...``: stream processing in ksqlDB's SQL.

``streams test`` runs statements over a throwaway in-memory mesh with ksqlDB's
``ksql-test-runner`` files and prints the readable diff (exit 1 on a difference).
``streams explain`` plans a script against the mesh and prints each persistent query's plan,
sink, state stores and internal topics; ``streams run`` runs it in the foreground, as a
service account, its outputs published as data products, until Ctrl-C or ``streams stop``.

The application lifecycle (recorded in the mesh store, see ``StreamsService``): ``streams
list`` and ``status`` show the applications, their live instances, counters and lag;
``stop`` asks an application's processes to finish their batch and exit, ``start`` lets it
run again, ``reset`` makes it start over from the beginning of its inputs and ``delete``
removes it. ``streams deploy`` records an application that ``streammesh up`` hosts; the
lifecycle commands work on the local mesh or, with ``--server``, through ``mesh.streams``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from streammesh.cli.errors import ConfirmationRequired
from streammesh.cli.interrupt import GracefulInterrupt
from streammesh.cli.mesh_connection import cli_actor, command_target, local_runtime, open_mesh
from streammesh.cli.options import JsonOption, MeshOption, ServerOption, StoreOption, TokenOption
from streammesh.cli.output import print_json, stdout_console

if TYPE_CHECKING:
    from streammesh.runtime import MeshRuntime
    from streammesh.sdk import StreamsClient
    from streammesh.streams import (
        AppStatus,
        PreparedApplication,
        QueryProgress,
        StreamsError,
        StreamsRunner,
        StreamsService,
    )

app = typer.Typer(
    help="Stream processing: derive streams from streams in ksqlDB's SQL.",
    no_args_is_help=True,
)

_SqlFile = Annotated[
    Path,
    typer.Option(
        "--sql-file",
        "-s",
        metavar="FILE",
        show_default=False,
        help="The statements (CREATE STREAM/TABLE, CREATE ... AS SELECT, INSERT INTO).",
    ),
]
_InputFile = Annotated[
    Path,
    typer.Option(
        "--input",
        "-i",
        metavar="FILE",
        show_default=False,
        help='Input records, as ksql-test-runner reads them: {"inputs": [...]}.',
    ),
]
_OutputFile = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        show_default=False,
        help='Expected output records, as ksql-test-runner reads them: {"outputs": [...]}.',
    ),
]


@app.command("test")
def test(sql_file: _SqlFile, input_file: _InputFile, output_file: _OutputFile) -> None:
    """Run the statements over the input records and compare the output with the expected one.

    The files are ksqlDB's ksql-test-runner files, so a test written for ksqlDB runs as it is.
    Exit code 0 when every expected record was produced (and nothing else on those topics), 1
    with the differences otherwise.
    """
    from streammesh.streams import run_test_files  # the engine: imported by the commands using it

    with _sql_errors(sql_file):
        comparison = run_test_files(sql_file, input_file, output_file)
    typer.echo(comparison.render())
    if not comparison.passed:
        raise typer.Exit(1)


@contextmanager
def _sql_errors(sql_file: Path) -> Iterator[None]:
    """An error in the statements is printed with its source line and the caret (exit 1)."""
    from streammesh.streams import StreamsError

    try:
        yield
    except StreamsError as exc:
        excerpt = getattr(exc, "excerpt", "") or _caret_under(exc, sql_file)
        if not excerpt:
            raise  # one line, printed by the CLI's main
        first, _, _ = str(exc).partition("\n")
        typer.echo(f"error: {sql_file}: {first}\n{excerpt}", err=True)
        raise typer.Exit(1) from None


def _caret_under(exc: StreamsError, sql_file: Path) -> str:
    """The script's line and a caret under an expression error's position (an unknown column,
    a type error), as SQL errors show theirs; empty without a position or a file."""
    position = getattr(exc, "position", None)
    if position is None or not sql_file.is_file():
        return ""
    lines = sql_file.read_text(encoding="utf-8").splitlines()
    if not 0 < position.line <= len(lines):
        return ""
    line = lines[position.line - 1]
    prefix = "".join(c if c == "\t" else " " for c in line[: position.column - 1])
    return f"{line}\n{prefix}^"


def _read_sql(sql_file: Path) -> None:
    from streammesh.streams import is_pipeline_argument  # FILE.sql or module:pipeline

    if not sql_file.is_file() and not is_pipeline_argument(sql_file):
        raise typer.BadParameter(f"{sql_file} is not a file", param_hint="'FILE'")


_SqlArgument = Annotated[
    Path,
    typer.Argument(
        metavar="FILE.sql",
        show_default=False,
        help="The statements; a descriptor file next to it (FILE.yaml) describes the product a "
        "query publishes.",
    ),
]
_NameOption = Annotated[
    str,
    typer.Option(
        "--name",
        metavar="APP",
        show_default=False,
        help="The application's name: its consumer group, its node in the lineage graph.",
    ),
]


def _engine_view(runtime: MeshRuntime, prepared: PreparedApplication) -> list[dict[str, Any]]:
    """Per query: its plan, sink, whether the engine runs it, its stores and internal topics."""
    from streammesh.serde import RegistryResolver
    from streammesh.streams import explain, query_layouts

    layouts = query_layouts(
        runtime.log,
        prepared.queries,
        prepared.name,
        resolver=RegistryResolver(runtime.registry),
    )
    return [
        {
            "id": layout.query.id,
            "application": layout.application,
            "sink": {
                "name": layout.query.plan.name,
                "kind": layout.query.plan.kind.value.lower(),
                "topic": layout.query.plan.topic,
            },
            "plan": explain(layout.query.plan),
            "runs": layout.not_supported is None,
            "not_supported": layout.not_supported,
            "state_stores": [
                {"name": store, "changelog": changelog} for store, changelog in layout.state_stores
            ],
            "internal_topics": list(layout.internal_topics),
        }
        for layout in layouts
    ]


@app.command("explain")
def explain_command(
    ctx: typer.Context,
    sql_file: _SqlArgument,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="APP",
            show_default=False,
            help="The application's name, which names its internal topics (default: the "
            "file's name without .sql).",
        ),
    ] = None,
    json_output: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Plan the statements against the mesh and print each persistent query's plan.

    Products of the mesh may be named in FROM. For each query: its plan as a tree, the topic
    it writes, and the state stores and internal topics it creates when it runs. Nothing is
    changed. With --server, the server plans the script against its mesh.
    """
    from streammesh.streams import prepare_source, source_stem

    _read_sql(sql_file)
    application = name or source_stem(sql_file)
    if server is not None:
        document = _remote_explain(ctx, sql_file, application, server, token)
        if json_output:
            print_json(document)
        else:
            _print_explain(document)
        return
    with local_runtime(ctx, mesh, store) as runtime, _sql_errors(sql_file):
        prepared = prepare_source(runtime.streams, sql_file, application, None)
        queries = _engine_view(runtime, prepared)
    document = {
        "application": application,
        "inputs": [item.reference for item in prepared.inputs],
        "outputs": [output.reference for output in prepared.outputs],
        "queries": queries,
    }
    if json_output:
        print_json(document)
        return
    _print_explain(document)


def _remote_explain(
    ctx: typer.Context, sql_file: Path, application: str, server: str, token: str | None
) -> dict[str, Any]:
    """``POST /api/v1/streams/explain`` of the script (and ``FILE.yaml`` next to it)."""
    if not sql_file.is_file():  # a Python pipeline is built where the mesh is open
        raise typer.BadParameter(
            f"{sql_file} is not a SQL file; a Python pipeline is explained on the mesh's host "
            "(without --server)",
            param_hint="'FILE'",
        )
    sql = sql_file.read_text(encoding="utf-8")
    with _streams(ctx, None, None, server, token) as streams, _sql_errors(sql_file):
        return streams.explain(sql, name=application, descriptor=_descriptor_next_to(sql_file))


def _print_explain(document: dict[str, Any]) -> None:
    lines: list[str] = []
    if document["inputs"]:
        lines.append(f"Input products: {', '.join(document['inputs'])}")
    if document["outputs"]:
        lines.append(f"Output products: {', '.join(document['outputs'])}")
    if not document["queries"]:
        lines.append("No persistent query: the statements only declare streams and tables.")
    for query in document["queries"]:
        sink = query["sink"]
        if lines:
            lines.append("")
        lines.append(f"Query {query['id']} -> {sink['kind']} {sink['name']}, topic {sink['topic']}")
        lines.extend(f"  {line}" for line in query["plan"].splitlines())
        if not query["runs"]:
            lines.append(f"  Not run yet: {query['not_supported']}")
            continue
        stores = query["state_stores"]
        if stores:
            lines.append("  State stores:")
            lines.extend(
                f"    {store['name']} (changelog {store['changelog']})" for store in stores
            )
        else:
            lines.append("  State stores: (none)")
        lines.append(f"  Internal topics: {', '.join(query['internal_topics'])}")
    typer.echo("\n".join(lines))


@app.command("run")
def run_command(
    ctx: typer.Context,
    sql_file: _SqlArgument,
    name: _NameOption,
    principal: Annotated[
        str | None,
        typer.Option(
            "--principal",
            metavar="SERVICE_ACCOUNT",
            show_default=False,
            help="The service account the application runs as; it needs a read grant on "
            "every input product. Default: the mesh's operator (no grant checked).",
        ),
    ] = None,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            min=0.1,
            metavar="SECONDS",
            help="Seconds between progress lines when stdout is not a terminal, and between "
            "heartbeats (on a terminal: 1).",
        ),
    ] = 5.0,
    commit_interval: Annotated[
        int,
        typer.Option(
            "--commit-interval",
            min=0,
            metavar="MS",
            help="Milliseconds a transaction stays open across polls before it commits "
            "(Kafka Streams' commit.interval.ms; also at 10,000 records and when the input "
            "is idle). 0 commits every poll.",
        ),
    ] = 100,
    mesh: MeshOption = None,
    store: StoreOption = None,
) -> None:
    """Run the statements' persistent queries in the foreground until Ctrl-C or
    'streams stop APP'.

    The application is recorded in the mesh (see 'streams list'), reads as --principal (a
    missing grant refuses to start, naming it); the products its queries publish are applied
    through governance and their lineage recorded first. It heartbeats every interval and
    stops when 'streams stop APP' asks it to. Each query runs exactly once where the log has
    transactions, committing every --commit-interval: stopping finishes and commits the
    batches in hand, and a new run resumes after them (after 'streams reset APP', from the
    beginning).
    """
    from streammesh.serde import RegistryResolver
    from streammesh.streams import StreamsRunner, prepare_source

    _read_sql(sql_file)
    with local_runtime(ctx, mesh, store) as runtime:
        with _sql_errors(sql_file):
            prepared = prepare_source(runtime.streams, sql_file, name, principal)
        if not prepared.queries:
            raise typer.BadParameter(
                f"{sql_file} has no persistent query (CREATE ... AS SELECT or INSERT INTO) to run",
                param_hint="'FILE'",
            )
        # Compiled before anything is published: a query the engine refuses changes nothing.
        runner = StreamsRunner(
            runtime.log,
            prepared.queries,
            name,
            resolver=RegistryResolver(runtime.registry),
            state_dir=runtime.config.home / "streams" / name,
            protections=prepared.protections,
            decryption=prepared.decryption,
            commit_interval_ms=commit_interval,
        )
        with runner:
            runner.check_inputs()
            # Recorded before publishing: an application name the mesh refuses changes nothing.
            app = runtime.streams.record(
                prepared,
                placement="process",
                actor=cli_actor(),
                descriptor=_descriptor_next_to(sql_file),
            )
            runtime.streams.publish(prepared, actor=cli_actor())
            state_dir = runtime.config.home / "streams" / name
            from streammesh.streams import prepare_state_dir

            if prepare_state_dir(state_dir, app):
                typer.echo(f"wiped the local state of {name} from before its last reset")
            period = 1.0 if sys.stdout.isatty() else interval
            beat = _Heartbeat(runtime.streams, name, period, prepared)
            guarantee = runner.applications[0].guarantee.replace("_", "-")
            count = len(prepared.queries)
            # Caught before saying so: a Ctrl-C right after the line still stops cleanly. So
            # does SIGTERM (kill, systemd, Kubernetes): the batch in hand is committed.
            with GracefulInterrupt(signal.SIGINT, signal.SIGTERM) as interrupt:
                typer.echo(
                    f"running {name} ({count} quer{'y' if count == 1 else 'ies'}, {guarantee}"
                    f"{f', as {principal}' if principal else ''}); press Ctrl-C to stop."
                )
                sys.stdout.flush()
                beat([])
                try:
                    _run(runner, lambda: interrupt.requested or beat.stop_requested, interval, beat)
                except BaseException as exc:
                    beat.failed(exc)  # left in the record (alive for 3 more intervals)
                    raise
            final = runner.progress()
            beat.leave()
    total_in = sum(item.records_in for item in final)
    total_out = sum(item.records_out for item in final)
    events = "event" if total_in == 1 else "events"
    why = f" ({beat.reason})" if beat.reason else ""
    typer.echo(f"stopped {name}{why}: {total_in:,} {events} in, {total_out:,} out, committed.")


def _descriptor_next_to(sql_file: Path) -> str | None:
    """The descriptor file read with ``FILE.sql`` (``FILE.yaml``), recorded with the script
    so that whoever runs the application again prepares it the same way."""
    yaml_path = sql_file.with_suffix(".yaml")
    return yaml_path.read_text(encoding="utf-8") if yaml_path.is_file() else None


class _Heartbeat:
    """Reports a running application's progress to the mesh every interval, and learns from
    the answer whether it should stop (``streams stop``) or is gone (``streams delete``)."""

    def __init__(
        self,
        streams: StreamsService,
        name: str,
        interval: float,
        prepared: PreparedApplication | None = None,
    ) -> None:
        self._streams = streams
        self._name = name
        self._prepared = prepared
        self._interval = interval
        self._host = socket.gethostname()[:200]
        self._pid = os.getpid()
        self._instance = f"{self._host[:40]}-{self._pid}-{secrets.token_hex(3)}"
        self.reason: str | None = None

    @property
    def stop_requested(self) -> bool:
        return self.reason is not None

    def __call__(self, progress: Sequence[QueryProgress], error: str | None = None) -> None:
        from streammesh.streams import Desired, UnknownApplication

        try:
            app = self._streams.heartbeat(
                self._name,
                self._instance,
                progress,
                error,
                host=self._host,
                pid=self._pid,
                interval_s=self._interval,
            )
        except UnknownApplication:
            self.reason = "deleted"
            return
        if app.desired is Desired.STOPPED and self.reason is None:
            self.reason = f"stopped by {app.stopped_by or 'someone'}"
        if self.reason is None and error is None and self._prepared is not None:
            # A grant revoked while running stops the run before its next batch (GrantRevoked).
            self._streams.check_still_granted(self._prepared)

    def failed(self, exc: BaseException) -> None:
        """Record what stopped the run, if the mesh can still be told."""
        from streammesh.errors import MeshError

        with contextlib.suppress(MeshError):  # the original error matters more
            self([], f"{type(exc).__name__}: {exc}")

    def leave(self) -> None:
        """The process exits: it no longer counts as a running instance."""
        self._streams.leave(self._name, self._instance)


def _run(
    runner: StreamsRunner,
    stop: Callable[[], bool],
    interval: float,
    beat: Callable[[Sequence[QueryProgress]], None],
) -> None:
    if sys.stdout.isatty():
        from rich.live import Live

        with Live(console=stdout_console(), auto_refresh=False, transient=False) as live:

            def show(progress: Sequence[QueryProgress]) -> None:
                live.update("\n".join(_line(item) for item in progress), refresh=True)
                beat(progress)

            runner.run(stop, report=show, interval=1.0)
        return

    def plain(progress: Sequence[QueryProgress]) -> None:
        for item in progress:
            typer.echo(_line(item))
        sys.stdout.flush()
        beat(progress)

    runner.run(stop, report=plain, interval=interval)


def _line(item: QueryProgress) -> str:
    lag = "?" if item.lag is None else f"{item.lag:,}"
    return (
        f"{item.query} -> {item.sink}: in {item.records_in:,} ({item.in_per_s:,.1f}/s), "
        f"out {item.records_out:,} ({item.out_per_s:,.1f}/s), dead letters "
        f"{item.dead_letters:,}, late {item.late:,}, lag {lag}"
    )


# -- the application lifecycle -----------------------------------------------------------------

_AppArgument = Annotated[
    str, typer.Argument(metavar="APP", show_default=False, help="The application's name.")
]
_YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Go ahead without asking for confirmation.")
]


@app.command("list")
def list_command(
    ctx: typer.Context,
    json_output: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List the stream applications: placement, desired state, instances alive, events in
    and out (of the live instances), lag and dead letters."""
    with _streams(ctx, mesh, store, server, token) as streams:
        statuses = streams.applications()
    if json_output:
        print_json([status.to_json() for status in statuses])
        return
    if not statuses:
        typer.echo("No stream applications; 'streammesh streams run FILE.sql --name APP' runs one.")
        return
    from rich.table import Table

    table = Table(box=None)
    for column in ("NAME", "PLACEMENT", "DESIRED", "ALIVE", "IN", "OUT", "LAG", "DEAD LETTERS"):
        table.add_column(column, justify="right" if column not in _LEFT else "left")
    for status in statuses:
        table.add_row(
            status.app.name,
            status.app.placement.value,
            status.app.desired.value,
            str(len(status.instances)),
            f"{status.records_in:,}",
            f"{status.records_out:,}",
            f"{status.lag:,}",
            f"{status.dead_letters:,}",
        )
    stdout_console().print(table)


_LEFT = frozenset({"NAME", "PLACEMENT", "DESIRED"})


@app.command("status")
def status_command(
    ctx: typer.Context,
    name: _AppArgument,
    json_output: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show an application: its record, its live instances (host, pid, last heartbeat) and
    per query events in and out per second, dead letters, late rows and the lag of each
    input partition."""
    with _streams(ctx, mesh, store, server, token) as streams:
        status = streams.status(name)
    if json_output:
        print_json(status.to_json())
        return
    typer.echo("\n".join(_status_lines(status)))


def _status_lines(status: AppStatus) -> list[str]:
    app_record = status.app
    alive = len(status.instances)
    lines = [
        f"{app_record.name}: {app_record.desired.value}, {app_record.placement.value}, "
        f"epoch {app_record.epoch}, {alive} instance{'' if alive == 1 else 's'} alive",
        f"  principal: {app_record.principal or '(the operator)'}",
        f"  deployed by {app_record.created_by} at {app_record.created_at:%Y-%m-%d %H:%M:%S}Z, "
        f"updated {app_record.updated_at:%Y-%m-%d %H:%M:%S}Z",
    ]
    if app_record.stopped_by:
        lines.append(f"  stopped by {app_record.stopped_by}")
    lines.append("Instances:" if status.instances else "Instances: (none alive)")
    for instance in status.instances:
        error = f", last error: {instance.error}" if instance.error else ""
        lines.append(
            f"  {instance.instance}: host {instance.host}, pid {instance.pid}, started "
            f"{instance.started_at:%H:%M:%S}Z, last heartbeat "
            f"{instance.heartbeat_at:%H:%M:%S}Z{error}"
        )
    lines.append("Queries:")
    for query in status.queries:
        lines.append(
            f"  {query.id} -> {query.sink} (group {query.group}): in {query.records_in:,} "
            f"({query.in_per_s:,.1f}/s), out {query.records_out:,} ({query.out_per_s:,.1f}/s), "
            f"dead letters {query.dead_letters:,} ({query.dead_letter_records:,} on "
            f"{query.dead_letter_topic}), late {query.late:,}, lag {query.lag:,}"
        )
        for partition in query.partitions:
            committed = "-" if partition.committed is None else f"{partition.committed:,}"
            lines.append(
                f"    {partition.topic}[{partition.partition}]: committed {committed}, "
                f"end {partition.end:,}, lag {partition.lag:,}"
            )
    return lines


@app.command("stop")
def stop_command(
    ctx: typer.Context,
    name: _AppArgument,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Stop an application: each process running it finishes and commits its batch and exits
    (at its next heartbeat)."""
    with _streams(ctx, mesh, store, server, token) as streams:
        alive = len(streams.stop(name).instances)
    running = f"; {alive} running instance{'' if alive == 1 else 's'} will exit" if alive else ""
    typer.echo(f"stopped {name}{running}")


@app.command("start")
def start_command(
    ctx: typer.Context,
    name: _AppArgument,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Let a stopped application run again (a 'process' application runs when 'streams run'
    starts it; the server starts those it hosts)."""
    with _streams(ctx, mesh, store, server, token) as streams:
        record = streams.start(name).app
    hint = (
        f"; run it with 'streammesh streams run FILE.sql --name {name}'"
        if record.placement.value == "process"
        else ""
    )
    typer.echo(f"started {name}{hint}")


@app.command("reset")
def reset_command(
    ctx: typer.Context,
    name: _AppArgument,
    yes: _YesOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Make a stopped application start over from the beginning of its inputs.

    Its consumer groups' committed offsets go back to the beginning, its changelog and
    repartition topics are deleted and its local state is wiped when it next starts. Its
    output topics and dead-letter topics are kept: the next run writes its results again
    after the ones already there. Refused while an instance is running.
    """
    with _streams(ctx, mesh, store, server, token) as streams:
        streams.status(name)  # an unknown application is reported before asking
        _confirm(
            yes,
            f"reset stream application '{name}'",
            f"Reset '{name}'? It will reprocess its inputs from the beginning; its internal "
            "topics are deleted (outputs and dead letters are kept).",
        )
        record = streams.reset(name).app
    typer.echo(
        f"reset {name} (epoch {record.epoch}): the next run reads its inputs from the "
        "beginning; outputs and dead-letter topics kept"
    )


@app.command("delete")
def delete_command(
    ctx: typer.Context,
    name: _AppArgument,
    yes: _YesOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Delete a stopped application: its record, committed offsets and internal topics.

    Its output products and dead-letter topics are kept. Refused while an instance is
    running.
    """
    with _streams(ctx, mesh, store, server, token) as streams:
        streams.status(name)
        _confirm(
            yes,
            f"delete stream application '{name}'",
            f"Delete '{name}', its committed offsets and internal topics (outputs and dead "
            "letters are kept)?",
        )
        streams.delete(name)
    typer.echo(f"deleted {name}; its outputs and dead-letter topics are kept")


@contextmanager
def _streams(
    ctx: typer.Context,
    mesh: Path | None,
    store: str | None,
    server: str | None,
    token: str | None,
) -> Iterator[StreamsClient]:
    """The stream applications of the local mesh, or of the one ``--server`` serves."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        yield session.mesh.streams


@app.command("deploy")
def deploy_command(
    ctx: typer.Context,
    sql_file: _SqlArgument,
    name: _NameOption,
    principal: Annotated[
        str | None,
        typer.Option(
            "--principal",
            metavar="SERVICE_ACCOUNT",
            show_default=False,
            help="The service account the application runs as; it needs a read grant on "
            "every input product. Default: the mesh's operator (platform admins and "
            "governance only, through a server).",
        ),
    ] = None,
    json_output: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Deploy the statements as an application that 'streammesh up' hosts (placement server).

    The script is planned and checked as 'streams run' checks it (SQL, products, governance,
    grants, every query runnable over existing inputs) and nothing is recorded unless it all
    passes; deploying a name again replaces its script. The server starts it within seconds
    and restarts it after a failure; 'streams status APP' shows its progress.
    """
    _read_sql(sql_file)
    descriptor_file = sql_file.with_suffix(".yaml")
    descriptor = descriptor_file.read_text(encoding="utf-8") if descriptor_file.is_file() else None
    sql = sql_file.read_text(encoding="utf-8")
    with _streams(ctx, mesh, store, server, token) as streams, _sql_errors(sql_file):
        status = streams.deploy(name, sql, principal=principal, descriptor=descriptor)
    if json_output:
        print_json(status.to_json())
        return
    count = len(status.queries)
    typer.echo(
        f"deployed {name} ({count} quer{'y' if count == 1 else 'ies'}"
        f"{f', as {principal}' if principal else ''}); the server runs it: "
        f"'streammesh streams status {name}'"
    )


def _confirm(yes: bool, action: str, question: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise ConfirmationRequired(action)
    if not typer.confirm(question, default=False, err=True):
        typer.echo(f"did not {action}", err=True)
        raise typer.Exit(1)
