"""``streammesh topics``: create, list, describe and delete topics of the event log."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import JustifyMethod
from rich.table import Table

from streammesh.cli.durations import DurationSyntaxError, format_duration_ms, parse_duration_ms
from streammesh.cli.errors import ConfirmationRequired
from streammesh.cli.options import JsonOption
from streammesh.cli.output import print_json, stdout_console
from streammesh.cli.settings import CliSettings
from streammesh.log import CleanupPolicy, TopicDescription, TopicSpec, validate_topic_spec

app = typer.Typer(
    help="Create, list, describe and delete topics.",
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_DEFAULT_RETENTION_MS = TopicSpec("defaults").retention_ms


@app.callback()
def _group(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def _settings(ctx: typer.Context) -> CliSettings:
    return ctx.ensure_object(CliSettings)


def _retention_ms(retention_ms: int | None, retention: str | None) -> int | None:
    if retention_ms is not None and retention is not None:
        raise typer.BadParameter("give --retention-ms or --retention, not both")
    if retention is not None:
        try:
            return parse_duration_ms(retention)
        except DurationSyntaxError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--retention'") from exc
    if retention_ms is None:
        return _DEFAULT_RETENTION_MS
    # -1 is Kafka's spelling of "unlimited" for retention.ms.
    return None if retention_ms == -1 else retention_ms


def record_count(description: TopicDescription) -> int:
    """Records currently retained: the sum over partitions of end minus beginning offset."""
    return sum(
        end - description.beginning_offsets.get(partition, 0)
        for partition, end in description.end_offsets.items()
    )


def spec_document(spec: TopicSpec) -> dict[str, Any]:
    """A topic's settings as JSON-ready values (``None`` = unlimited)."""
    return {
        "name": spec.name,
        "partitions": spec.partitions,
        "cleanup_policy": spec.cleanup_policy.value,
        "retention_ms": spec.retention_ms,
        "retention_bytes": spec.retention_bytes,
        "min_compaction_lag_ms": spec.min_compaction_lag_ms,
        "delete_retention_ms": spec.delete_retention_ms,
    }


def summary_document(description: TopicDescription) -> dict[str, Any]:
    """One row of ``topics list --json``."""
    return {**spec_document(description.spec), "records": record_count(description)}


def detail_document(description: TopicDescription) -> dict[str, Any]:
    """The document ``topics describe --json`` prints."""
    partitions = []
    for partition in range(description.partitions):
        beginning = description.beginning_offsets.get(partition, 0)
        end = description.end_offsets.get(partition, beginning)
        partitions.append(
            {
                "partition": partition,
                "beginning_offset": beginning,
                "end_offset": end,
                "records": end - beginning,
            }
        )
    return {**summary_document(description), "partition_offsets": partitions}


def _bytes_text(limit: int | None) -> str:
    return "unlimited" if limit is None else f"{limit:,} B"


def _retention_text(spec: TopicSpec) -> str:
    return format_duration_ms(spec.retention_ms)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Topic name, e.g. execution.stocktrades.v1.")
    ],
    partitions: Annotated[int, typer.Option("--partitions", "-p", help="Partition count.")] = 1,
    cleanup_policy: Annotated[
        CleanupPolicy,
        typer.Option("--cleanup-policy", help="delete old records, or keep the newest per key."),
    ] = CleanupPolicy.DELETE,
    retention_ms: Annotated[
        int | None,
        typer.Option(
            "--retention-ms",
            metavar="MS",
            show_default=False,
            help="Keep records this many ms (-1 = forever). Default 7 days.",
        ),
    ] = None,
    retention: Annotated[
        str | None,
        typer.Option(
            "--retention",
            metavar="DURATION",
            show_default=False,
            help="Same as --retention-ms, spelled like 12h, 7d, 1d12h or forever.",
        ),
    ] = None,
    retention_bytes: Annotated[
        int | None,
        typer.Option(
            "--retention-bytes",
            metavar="BYTES",
            show_default=False,
            help="Keep at most this many bytes per partition. Default unlimited.",
        ),
    ] = None,
    min_compaction_lag_ms: Annotated[
        int,
        typer.Option("--min-compaction-lag-ms", metavar="MS", help="Compact only older records."),
    ] = 0,
) -> None:
    """Create a topic."""
    spec = validate_topic_spec(
        TopicSpec(
            name=name,
            partitions=partitions,
            cleanup_policy=cleanup_policy,
            retention_ms=_retention_ms(retention_ms, retention),
            retention_bytes=retention_bytes,
            min_compaction_lag_ms=min_compaction_lag_ms,
        )
    )
    with _settings(ctx).open_log() as log:
        created = log.create_topic(spec)
    stdout_console().print(
        f"created topic [bold]{created.name}[/] ({created.partitions} partition"
        f"{'s' if created.partitions != 1 else ''}, {created.spec.cleanup_policy.value}, "
        f"retention {_retention_text(created.spec)})"
    )


@app.command("list")
def list_topics(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """List topics with their settings and record counts."""
    with _settings(ctx).open_log() as log:
        descriptions = log.list_topics()
    if json_output:
        print_json([summary_document(description) for description in descriptions])
        return
    table = Table(box=None, header_style="bold")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("TOPIC", "left"),
        ("PARTITIONS", "right"),
        ("POLICY", "left"),
        ("RETENTION", "left"),
        ("RECORDS", "right"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for description in descriptions:
        table.add_row(
            description.name,
            str(description.partitions),
            description.spec.cleanup_policy.value,
            _retention_text(description.spec),
            f"{record_count(description):,}",
        )
    console = stdout_console()
    if descriptions:
        console.print(table)
    else:
        console.print("no topics yet; create one with `streammesh topics create NAME`")


@app.command("describe")
def describe(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Topic name.")],
    json_output: JsonOption = False,
) -> None:
    """Show a topic's settings and the offsets of each partition."""
    with _settings(ctx).open_log() as log:
        description = log.describe_topic(name)
    document = detail_document(description)
    if json_output:
        print_json(document)
        return
    spec = description.spec
    settings = Table.grid(padding=(0, 2))
    settings.add_column(style="bold")
    settings.add_column()
    settings.add_row("topic", spec.name)
    settings.add_row("partitions", str(spec.partitions))
    settings.add_row("cleanup policy", spec.cleanup_policy.value)
    settings.add_row("retention", _retention_text(spec))
    settings.add_row("retention bytes", _bytes_text(spec.retention_bytes))
    settings.add_row("min compaction lag", format_duration_ms(spec.min_compaction_lag_ms))
    settings.add_row("tombstone retention", format_duration_ms(spec.delete_retention_ms))
    settings.add_row("records", f"{document['records']:,}")
    offsets = Table(box=None, header_style="bold")
    for column in ("PARTITION", "BEGINNING", "END", "RECORDS"):
        offsets.add_column(column, justify="right")
    for row in document["partition_offsets"]:
        offsets.add_row(
            str(row["partition"]),
            str(row["beginning_offset"]),
            str(row["end_offset"]),
            f"{row['records']:,}",
        )
    console = stdout_console()
    console.print(settings)
    console.print()
    console.print(offsets)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Topic name.")],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Delete without asking for confirmation.")
    ] = False,
) -> None:
    """Delete a topic and all its records."""
    with _settings(ctx).open_log() as log:
        description = log.describe_topic(name)  # a missing topic is reported before asking
        if not yes:
            if not sys.stdin.isatty():
                raise ConfirmationRequired(f"delete topic '{name}'")
            confirmed = typer.confirm(
                f"Delete topic '{name}' and its {record_count(description):,} records?",
                default=False,
                err=True,
            )
            if not confirmed:
                typer.echo(f"topic '{name}' was not deleted", err=True)
                raise typer.Exit(1)
        log.delete_topic(name)
    stdout_console().print(f"deleted topic [bold]{name}[/]")
