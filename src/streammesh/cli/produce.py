"""``streammesh produce``: write events to a data product, or records to a topic.

The argument names a data product of the mesh (``execution.stocktrades`` for its current
version, ``execution.stocktrades.v2`` for one version) or else a topic. For a product each
input line is one event, a JSON object; the whole input is validated against the product's
schema and key before the first event is written (a bad event is reported with its line and
field path, and nothing is written), then serialized in the Confluent wire format, keyed by the
product's key field and flushed. ``--raw`` writes to the name as a topic even if it is a
product's.

With ``--server`` the product is a server's: the whole input is validated first here, against
the product's current schema fetched from the server's registry and its key field (the same
checks and messages as in-process), and only then sent in batches through the REST API, which
checks each batch again and writes it all or nothing. Topics stay the log's (``--raw`` and the
topic options are refused with ``--server``).

For a topic, the whole input is parsed and checked (format, UTF-8, size limit, partition)
before the first record is sent, so a bad line writes nothing. Records are then sent, flushed
(durable when the command reports success) and counted per partition.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from streammesh.cli.errors import CliError, InputError
from streammesh.cli.mesh_connection import MeshSession, command_target, open_product
from streammesh.cli.options import JsonOption, ServerOption, TokenOption
from streammesh.cli.output import print_json, stderr_console, stderr_is_terminal, stdout_console
from streammesh.cli.record_input import InputFormat, InputRecord, parse_records
from streammesh.cli.settings import CliSettings
from streammesh.log import (
    InvalidPartition,
    InvalidRecord,
    Producer,
    RecordTooLarge,
    check_headers,
    check_record,
    partition_for_key,
)
from streammesh.schemas import InvalidEvent as SchemaInvalidEvent

if TYPE_CHECKING:
    # The SDK and the data plane are imported when a product is written, not for ``--help``.
    from streammesh.control import ProductRecord
    from streammesh.registry import SchemaRegistry
    from streammesh.sdk import InvalidEvent, MeshClient
    from streammesh.sdk.remote import RemoteMesh

STDIN_NAME = "<stdin>"
PROGRESS_THRESHOLD = 10_000
"""Inputs with at least this many records get a progress bar (on a terminal)."""
_PROGRESS_STEP = 1_000
_SHOWN_PROBLEMS = 5


class PartlyWritten(CliError):
    """A server refused a batch of events that passed the check before sending (the
    product's schema changed while producing); the batches before it were written.

    Attributes:
        refused: The refusal, with the lines of the refused events.
        written: How many events (the first ones of the input) were written.
    """

    def __init__(self, refused: InputError, written: int) -> None:
        self.refused = refused
        self.written = written
        where = refused.source if refused.line is None else f"{refused.source} line {refused.line}"
        super().__init__(
            f"{where}: {refused.reason}; the first {written:,} events were written before the "
            "product's schema changed"
        )


def _read_input(file: Path | None) -> tuple[bytes, str]:
    if file is None:
        if sys.stdin.isatty():
            typer.echo("reading records from stdin; end with Ctrl-D", err=True)
        return sys.stdin.buffer.read(), STDIN_NAME
    try:
        return file.read_bytes(), str(file)
    except OSError as exc:
        raise InputError(str(file), None, f"cannot be read: {exc.strerror or exc}") from exc


def _check_records(
    topic: str, records: Sequence[InputRecord], source: str, max_record_bytes: int
) -> None:
    for record in records:
        try:
            check_record(
                topic,
                record.key,
                record.value,
                check_headers(topic, record.headers),
                record.timestamp_ms,
                max_record_bytes,
            )
        except RecordTooLarge as exc:
            raise InputError(
                source,
                record.line,
                f"the record is {exc.size} bytes, above the limit of {exc.limit} bytes "
                "(raise it with --max-record-bytes)",
            ) from exc
        except InvalidRecord as exc:
            raise InputError(source, record.line, f"{exc.field} {exc.reason}") from exc


def _send_all(
    producer: Producer,
    topic: str,
    records: Sequence[InputRecord],
    partitions: int,
    partition: int | None,
) -> Counter[int]:
    written: Counter[int] = Counter()
    keyless = 0
    show_progress = stderr_is_terminal() and len(records) >= PROGRESS_THRESHOLD
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr_console(),
        disable=not show_progress,
        transient=True,
    ) as progress:
        task = progress.add_task(f"producing to {topic}", total=len(records))
        for index, record in enumerate(records, start=1):
            # Choosing the partition here (Kafka's partitioner for keys, round-robin without)
            # lets the command report exactly where every record went.
            if partition is not None:
                chosen = partition
            elif record.key is not None:
                chosen = partition_for_key(record.key, partitions)
            else:
                chosen = keyless % partitions
                keyless += 1
            producer.send(
                topic,
                record.value,
                key=record.key,
                headers=record.headers,
                timestamp_ms=record.timestamp_ms,
                partition=chosen,
            )
            written[chosen] += 1
            if index % _PROGRESS_STEP == 0:
                progress.update(task, completed=index)
        progress.update(task, completed=len(records), description="flushing")
        producer.flush()
    return written


def _parse_events(data: bytes, source: str) -> list[tuple[int, dict[str, Any]]]:
    """Every event of ``data`` (one JSON object per line) with its line number."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(source, line, "is not valid UTF-8") from None
    events: list[tuple[int, dict[str, Any]]] = []
    for number, content in enumerate(text.splitlines(), start=1):
        if not content.strip():
            continue
        try:
            event = json.loads(content)
        except json.JSONDecodeError as exc:
            raise InputError(
                source, number, f"is not JSON: {exc.msg} (column {exc.colno})"
            ) from None
        if not isinstance(event, dict):
            raise InputError(
                source, number, f"is a JSON {type(event).__name__}; an event is a JSON object"
            )
        events.append((number, event))
    return events


def _refused(exc: InvalidEvent, lines: Sequence[int], source: str) -> InputError:
    """The producer's refusal, with each event's line instead of its index."""

    def where(index: int | None) -> int | None:
        return lines[index] if index is not None else None

    described = []
    for problem in exc.problems[:_SHOWN_PROBLEMS]:
        field = f"field '{problem.path}'" if problem.path else "the event"
        described.append(f"line {where(problem.index)}: {field} {problem.reason} ({problem.rule})")
    hidden = len(exc.problems) - _SHOWN_PROBLEMS
    more = f"; and {hidden} more" if hidden > 0 else ""
    count = len(exc.problems)
    head = (
        f"{count} event{'s' if count != 1 else ''} refused by product '{exc.product}' "
        f"(schema '{exc.schema_name}')"
    )
    return InputError(source, where(exc.problems[0].index), f"{head}: {'; '.join(described)}{more}")


def _produce_events(
    session: MeshSession[MeshClient],
    record: ProductRecord,
    data: bytes,
    source: str,
    json_output: bool,
) -> None:
    events = _parse_events(data, source)
    lines = [number for number, _ in events]
    from streammesh.sdk import InProcessMesh, InvalidEvent
    from streammesh.sdk.remote import RemoteMesh  # httpx: only when a product is written

    mesh = session.mesh
    if isinstance(mesh, RemoteMesh):
        schema_id = _check_events(session.registry, record, events, source)
        _send_through(mesh, record, events, source)
    else:
        assert isinstance(mesh, InProcessMesh)  # open_mesh opens one of the two
        with mesh.producer(record.reference) as producer:
            try:
                producer.send_many(event for _, event in events)
            except InvalidEvent as exc:
                raise _refused(exc, lines, source) from None
            producer.flush()
            schema_id = producer.schema_id
    _report_events(record, len(events), schema_id, json_output)


def _check_events(
    registry: SchemaRegistry,
    record: ProductRecord,
    events: Sequence[tuple[int, dict[str, Any]]],
    source: str,
) -> int:
    """Check every event as the producer does (schema first, then key); the schema's id.

    A server writes each batch all or nothing, but an input of many batches would be written
    up to its first bad batch: checking the whole input first keeps "nothing is written".
    """
    from streammesh.dataplane import EventProblem, InvalidKey, KeyCodec
    from streammesh.sdk import InvalidEvent
    from streammesh.serde import RegistryResolver, Serializer

    contract = record.contract
    serializer = Serializer(RegistryResolver(registry), contract.value_subject)
    keys = KeyCodec(contract.key_field, contract.key_type)
    problems: list[EventProblem] = []
    for index, (_, event) in enumerate(events):
        try:
            serializer.serialize(event)  # first: the schema names problems best
            keys.key_of(event)
        except (SchemaInvalidEvent, InvalidKey) as exc:
            problems.append(EventProblem(exc.path, exc.rule, exc.reason, index))
    if problems:
        refused = InvalidEvent(record.reference, serializer.schema.name, problems, len(events))
        raise _refused(refused, [number for number, _ in events], source)
    return serializer.schema_id


def _send_through(
    mesh: RemoteMesh,
    record: ProductRecord,
    events: Sequence[tuple[int, dict[str, Any]]],
    source: str,
) -> None:
    """Send the checked events in batches; each returns once the server made it durable."""
    from streammesh.sdk import InvalidEvent
    from streammesh.sdk.remote import DEFAULT_BATCH

    with mesh.producer(record.reference, batch_size=DEFAULT_BATCH) as producer:
        for start in range(0, len(events), DEFAULT_BATCH):
            batch = events[start : start + DEFAULT_BATCH]
            try:
                producer.send_many(event for _, event in batch)
                producer.flush()
            except InvalidEvent as exc:
                # Only if the product's schema changed since the check: earlier batches stay.
                refused = _refused(exc, [number for number, _ in batch], source)
                raise (PartlyWritten(refused, start) if start else refused) from None


def _report_events(record: ProductRecord, count: int, schema_id: int, json_output: bool) -> None:
    if json_output:
        print_json(
            {
                "product": record.reference,
                "topic": record.topic,
                "events": count,
                "schema_id": schema_id,
            }
        )
        return
    noun = "event" if count == 1 else "events"
    stdout_console().print(f"wrote {count:,} {noun} to product [bold]{record.reference}[/]")


def _refuse_topic_options(
    reference: str,
    input_format: InputFormat | None,
    key_separator: str | None,
    partition: int | None,
) -> None:
    given = [
        flag
        for flag, value in (
            ("--format", input_format),
            ("--key-separator", key_separator),
            ("--partition", partition),
        )
        if value is not None
    ]
    if given:
        raise typer.BadParameter(
            f"'{reference}' is a data product: each line is an event (a JSON object), keyed "
            f"and partitioned by the product's key field; {given[0]} applies to topics (use "
            "--raw to write to the product's topic as raw records)",
            param_hint=f"'{given[0]}'",
        )


def produce(
    ctx: typer.Context,
    topic: Annotated[
        str,
        typer.Argument(
            metavar="PRODUCT|TOPIC",
            help="Data product to write events to (name or name.vN), or else a topic.",
        ),
    ],
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            metavar="FILE",
            show_default=False,
            help="Read records from FILE instead of stdin.",
        ),
    ] = None,
    input_format: Annotated[
        InputFormat | None,
        typer.Option(
            "--format",
            show_default=False,
            help="Topics only. lines (default): one value per line; jsonl: one JSON object "
            "per line with key, value, headers, timestamp_ms.",
        ),
    ] = None,
    key_separator: Annotated[
        str | None,
        typer.Option(
            "--key-separator",
            metavar="SEP",
            show_default=False,
            help="With --format lines: the text before the first SEP is the record's key.",
        ),
    ] = None,
    partition: Annotated[
        int | None,
        typer.Option(
            "--partition",
            metavar="N",
            show_default=False,
            help="Write every record to partition N (default: by key, keyless spread).",
        ),
    ] = None,
    json_output: JsonOption = False,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw", help="Write to the name as a topic, even if it names a data product."
        ),
    ] = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Write events to a data product (or records to a topic) from a file or stdin.

    Nothing is written if any line is bad. With --server, PRODUCT is a product of that
    server's mesh (an exported $STREAMMESH_SERVER is not used: topics are the local log's).
    """
    settings = ctx.ensure_object(CliSettings)
    if server is not None and raw:
        raise typer.BadParameter(
            "--raw writes records to a topic of the event log, which a server does not "
            "offer; through --server only data products are written",
            param_hint="'--raw'",
        )
    data, source = _read_input(file)
    if not raw:
        target = command_target(ctx, None, None, server=server, token=token)
        with open_product(target, topic) as found:
            if found is not None:
                _refuse_topic_options(topic, input_format, key_separator, partition)
                _produce_events(*found, data, source, json_output)
                return
    records = parse_records(data, source, input_format or InputFormat.LINES, key_separator)
    written = _produce_records(settings, topic, records, source, partition)
    _report_records(topic, records, written, json_output)


def _produce_records(
    settings: CliSettings,
    topic: str,
    records: Sequence[InputRecord],
    source: str,
    partition: int | None,
) -> Counter[int]:
    """Check every record, then write them all; how many went to each partition."""
    with settings.open_log() as log:
        partitions = log.describe_topic(topic).partitions
        if partition is not None and not 0 <= partition < partitions:
            raise InvalidPartition(topic, partition, partitions)
        _check_records(topic, records, source, settings.max_record_bytes)
        with log.producer() as producer:
            return _send_all(producer, topic, records, partitions, partition)


def _report_records(
    topic: str, records: Sequence[InputRecord], written: Counter[int], json_output: bool
) -> None:
    if json_output:
        print_json(
            {
                "topic": topic,
                "records": len(records),
                "partitions": [
                    {"partition": number, "records": count}
                    for number, count in sorted(written.items())
                ],
            }
        )
        return
    noun = "record" if len(records) == 1 else "records"
    stdout_console().print(f"wrote {len(records):,} {noun} to [bold]{topic}[/]")
