"""``streammesh produce``: write records from a file or stdin to a topic.

The whole input is parsed and checked (format, UTF-8, size limit, partition) before the first
record is sent, so a bad line writes nothing. Records are then sent, flushed (durable when the
command reports success) and counted per partition.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from streammesh.cli.errors import InputError
from streammesh.cli.output import print_json, stderr_console, stderr_is_terminal, stdout_console
from streammesh.cli.record_input import InputFormat, InputRecord, parse_records
from streammesh.cli.settings import CliSettings
from streammesh.log.base import Producer
from streammesh.log.errors import InvalidPartition, InvalidRecord, RecordTooLarge
from streammesh.log.partitioner import partition_for_key
from streammesh.log.records import check_headers, check_record

STDIN_NAME = "<stdin>"
PROGRESS_THRESHOLD = 10_000
"""Inputs with at least this many records get a progress bar (on a terminal)."""
_PROGRESS_STEP = 1_000


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


def produce(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(metavar="TOPIC", help="Topic to write to.")],
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
        InputFormat,
        typer.Option(
            "--format",
            help="lines: one value per line; jsonl: one JSON object per line with "
            "key, value, headers, timestamp_ms.",
        ),
    ] = InputFormat.LINES,
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
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON (counts per partition).")
    ] = False,
) -> None:
    """Write records to a topic from a file or stdin; nothing is written if any line is bad."""
    settings = ctx.ensure_object(CliSettings)
    data, source = _read_input(file)
    records = parse_records(data, source, input_format, key_separator)
    with settings.open_log() as log:
        partitions = log.describe_topic(topic).partitions
        if partition is not None and not 0 <= partition < partitions:
            raise InvalidPartition(topic, partition, partitions)
        _check_records(topic, records, source, settings.max_record_bytes)
        with log.producer() as producer:
            written = _send_all(producer, topic, records, partitions, partition)
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
