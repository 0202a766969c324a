"""``streammesh streams ...``: stream processing in ksqlDB's SQL.

``streams test`` runs statements over a throwaway in-memory mesh with ksqlDB's
``ksql-test-runner`` files and prints the readable diff (exit 1 on a difference).
``streams explain`` plans a script against the mesh and prints each persistent query's plan,
sink, state stores and internal topics; ``streams run`` runs it in the foreground, as a
service account, its outputs published as data products, until Ctrl-C.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from streammesh.cli.interrupt import GracefulInterrupt
from streammesh.cli.mesh_connection import cli_actor, command_target, open_mesh
from streammesh.cli.options import JsonOption, MeshOption, StoreOption
from streammesh.cli.output import print_json, stdout_console
from streammesh.config import mesh_home
from streammesh.streams import StreamsError, run_test_files

if TYPE_CHECKING:
    from streammesh.runtime import MeshRuntime
    from streammesh.streams import PreparedApplication, QueryProgress, StreamsRunner

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
    with _sql_errors(sql_file):
        comparison = run_test_files(sql_file, input_file, output_file)
    typer.echo(comparison.render())
    if not comparison.passed:
        raise typer.Exit(1)


@contextmanager
def _sql_errors(sql_file: Path) -> Iterator[None]:
    """An error in the statements is printed with its source line and the caret (exit 1)."""
    try:
        yield
    except StreamsError as exc:
        excerpt = getattr(exc, "excerpt", "")
        if not excerpt:
            raise  # one line, printed by the CLI's main
        first, _, _ = str(exc).partition("\n")
        typer.echo(f"error: {sql_file}: {first}\n{excerpt}", err=True)
        raise typer.Exit(1) from None


@contextmanager
def _local_runtime(
    ctx: typer.Context, mesh: Path | None, store: str | None
) -> Iterator[MeshRuntime]:
    """The local mesh's services: applications run in this process, on its log."""
    from streammesh.sdk import InProcessMesh

    # Named explicitly so that an exported $STREAMMESH_SERVER is not used: the queries read
    # and write the local log.
    target = command_target(ctx, mesh, store)
    target = replace(target, mesh=target.mesh or mesh_home())
    with open_mesh(target) as session:
        assert isinstance(session.mesh, InProcessMesh)  # a local target opens in-process
        yield session.mesh.local


def _read_sql(sql_file: Path) -> None:
    if not sql_file.is_file():
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
) -> None:
    """Plan the statements against the mesh and print each persistent query's plan.

    Products of the mesh may be named in FROM. For each query: its plan as a tree, the topic
    it writes, and the state stores and internal topics it creates when it runs. Nothing is
    changed.
    """
    _read_sql(sql_file)
    application = name or sql_file.stem
    with _local_runtime(ctx, mesh, store) as runtime, _sql_errors(sql_file):
        prepared = runtime.streams.prepare_file(sql_file, application, None)
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
            help="Seconds between progress lines when stdout is not a terminal.",
        ),
    ] = 5.0,
    mesh: MeshOption = None,
    store: StoreOption = None,
) -> None:
    """Run the statements' persistent queries in the foreground until Ctrl-C.

    The application reads as --principal (a missing grant refuses to start, naming it); the
    products its queries publish are applied through governance and their lineage recorded
    first. Each query runs exactly once where the log has transactions: Ctrl-C finishes and
    commits the batch in hand, and a new run resumes after it.
    """
    from streammesh.serde import RegistryResolver
    from streammesh.streams import StreamsRunner

    _read_sql(sql_file)
    with _local_runtime(ctx, mesh, store) as runtime:
        with _sql_errors(sql_file):
            prepared = runtime.streams.prepare_file(sql_file, name, principal)
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
        )
        with runner:
            runner.check_inputs()
            runtime.streams.publish(prepared, actor=cli_actor())
            guarantee = runner.applications[0].guarantee.replace("_", "-")
            count = len(prepared.queries)
            # Caught before saying so: a Ctrl-C right after the line still stops cleanly.
            with GracefulInterrupt() as interrupt:
                typer.echo(
                    f"running {name} ({count} quer{'y' if count == 1 else 'ies'}, {guarantee}"
                    f"{f', as {principal}' if principal else ''}); press Ctrl-C to stop."
                )
                sys.stdout.flush()
                _run(runner, lambda: interrupt.requested, interval)
            final = runner.progress()
    total_in = sum(item.records_in for item in final)
    total_out = sum(item.records_out for item in final)
    events = "event" if total_in == 1 else "events"
    typer.echo(f"stopped {name}: {total_in:,} {events} in, {total_out:,} out, committed.")


def _run(runner: StreamsRunner, stop: Callable[[], bool], interval: float) -> None:
    if sys.stdout.isatty():
        from rich.live import Live

        with Live(console=stdout_console(), auto_refresh=False, transient=False) as live:

            def show(progress: Sequence[QueryProgress]) -> None:
                live.update("\n".join(_line(item) for item in progress), refresh=True)

            runner.run(stop, report=show, interval=1.0)
        return

    def plain(progress: Sequence[QueryProgress]) -> None:
        for item in progress:
            typer.echo(_line(item))
        sys.stdout.flush()

    runner.run(stop, report=plain, interval=interval)


def _line(item: QueryProgress) -> str:
    lag = "?" if item.lag is None else f"{item.lag:,}"
    return (
        f"{item.query} -> {item.sink}: in {item.records_in:,} ({item.in_per_s:,.1f}/s), "
        f"out {item.records_out:,} ({item.out_per_s:,.1f}/s), dead letters "
        f"{item.dead_letters:,}, late {item.late:,}, lag {lag}"
    )
