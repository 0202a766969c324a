"""``streammesh consume``: print a data product's events, or a topic's records, as they arrive.

The argument names a data product of the mesh (``execution.stocktrades``, or one version
``execution.stocktrades.v2``) or else a topic. A product is read as a consumer group
(``--group`` is required: the group is the application registered with the product as its
consumer, which is what "active consumers" mean); each event is deserialized with the schema it
was written with and printed as one JSON object per line (product, key, value, partition,
offset, timestamp, schema_id). A deprecated or retired product refuses a new group. ``--raw``,
or ``--partition``, reads the name as a topic instead.

With ``--server`` the product is a server's, read through its REST API (each request a
short-lived member of the group that commits past what it answers; the command asks for no more
than it will print, so the group still resumes right after the last printed event). A server
starts a new group at the oldest event, so there a new group needs ``--from-beginning``.
Topics stay the log's (``--raw`` and ``--partition`` are refused with ``--server``).

For a topic:

With ``--group`` the command is a member of that consumer group and commits the position after
the last printed record of each partition when it exits (also on Ctrl-C, which stops it between
batches and exits 130), so the next run of the same group continues there. Without a group it
reads every partition (or ``--partition``) by assignment, from the end, or from the beginning
with ``--from-beginning``.
"""

from __future__ import annotations

import base64
import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from streammesh.cli.interrupt import EXIT_INTERRUPTED, GracefulInterrupt
from streammesh.cli.mesh_connection import MeshSession, command_target, open_product
from streammesh.cli.options import ServerOption, TokenOption
from streammesh.cli.output import stderr_is_terminal
from streammesh.cli.record_output import record_document, record_text
from streammesh.cli.settings import CliSettings
from streammesh.log import (
    Consumer,
    ConsumerOptions,
    InvalidPartition,
    OffsetReset,
    Record,
    TopicPartition,
)
from streammesh.products import accepts_new_consumers

if TYPE_CHECKING:
    # The SDK and the control plane are imported when a product is read, not for ``--help``.
    from streammesh.control import ProductRecord
    from streammesh.sdk import MeshClient, ProductConsumer, ProductEvent
    from streammesh.sdk.remote import RemoteConsumer, RemoteMesh

NextEvents = Callable[[int | None, float], list["ProductEvent"]]
"""The events a consumer has ready: at most the count given (``None``: any), waiting up to
the seconds given for the first."""

POLL_INTERVAL_S = 0.5
"""Longest single wait for records, so --timeout and Ctrl-C are noticed promptly."""

JOIN_GRACE_S = 30.0
"""Longest wait for a group to assign partitions before --timeout starts counting anyway."""

# A console consumer joins and leaves often; short session and heartbeat intervals make the
# group rebalance in seconds instead of tens of seconds (Kafka's defaults suit long-lived apps).
_SESSION_TIMEOUT_MS = 6_000
_HEARTBEAT_INTERVAL_MS = 500


def _write(records: Sequence[Record], json_output: bool) -> None:
    if json_output:
        lines = [
            json.dumps(record_document(record), ensure_ascii=False, separators=(",", ":"))
            for record in records
        ]
    else:
        lines = [record_text(record) for record in records]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def _read(
    consumer: Consumer,
    max_records: int | None,
    timeout: float | None,
    json_output: bool,
    positions: dict[TopicPartition, int],
    interrupt: GracefulInterrupt,
) -> int:
    """Print records until ``max_records``, or until ``timeout`` seconds pass without one.

    The idle clock starts once the consumer has partitions (joining a Kafka group takes
    seconds, which must not count as "nothing new"), or after ``JOIN_GRACE_S`` at the latest.
    """
    printed = 0
    started = time.monotonic()
    idle_since: float | None = None
    while (max_records is None or printed < max_records) and not interrupt.requested:
        wait = POLL_INTERVAL_S
        if timeout is not None:
            now = time.monotonic()
            if idle_since is None and (consumer.assignment() or now - started >= JOIN_GRACE_S):
                idle_since = now
            if idle_since is not None:
                if now - idle_since >= timeout:
                    break
                wait = min(wait, timeout - (now - idle_since))
        remaining = None if max_records is None else max_records - printed
        records = consumer.poll(timeout=wait, max_records=remaining)
        if remaining is not None:
            records = records[:remaining]
        if not records:
            continue
        _write(records, json_output)
        for record in records:
            positions[TopicPartition(record.topic, record.partition)] = record.offset + 1
        printed += len(records)
        if idle_since is not None:
            idle_since = time.monotonic()
    return printed


def _plain(value: object) -> Any:
    """JSON for the values schemas decode to that JSON has no type for."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def event_document(event: ProductEvent) -> dict[str, Any]:
    """One line of ``consume PRODUCT``'s output (bytes as base64, times in ISO 8601)."""
    return {
        "product": event.product,
        "key": event.key,
        "value": event.value,
        "partition": event.partition,
        "offset": event.offset,
        "timestamp": event.timestamp.isoformat(),
        "schema_id": event.schema_id,
    }


def _read_events(
    next_events: NextEvents,
    max_events: int | None,
    timeout: float | None,
    interrupt: GracefulInterrupt,
) -> int:
    """Print events until ``max_events``, or until ``timeout`` seconds pass without one."""
    printed = 0
    idle_since = time.monotonic()
    while (max_events is None or printed < max_events) and not interrupt.requested:
        wait = POLL_INTERVAL_S
        if timeout is not None:
            idle = time.monotonic() - idle_since
            if idle >= timeout:
                break
            wait = min(wait, timeout - idle)
        events = next_events(None if max_events is None else max_events - printed, wait)
        if not events:
            continue
        lines = [
            json.dumps(
                event_document(event), ensure_ascii=False, separators=(",", ":"), default=_plain
            )
            for event in events
        ]
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        printed += len(events)
        idle_since = time.monotonic()
    return printed


def _one_by_one(consumer: ProductConsumer) -> NextEvents:
    """In-process: one event per poll (the group commits what was printed at the end)."""

    def next_events(_count: int | None, wait: float) -> list[ProductEvent]:
        event = consumer.poll(wait)
        return [] if event is None else [event]

    return next_events


def _no_more_than_printed(consumer: RemoteConsumer, batch: int) -> NextEvents:
    """Through a server: each fetch commits past what it answers, so it asks for no more
    than the command will still print (``--max``)."""

    def next_events(count: int | None, wait: float) -> list[ProductEvent]:
        return consumer.take(batch if count is None else min(count, batch), wait)

    return next_events


def _consume_events(
    session: MeshSession[MeshClient],
    record: ProductRecord,
    group: str | None,
    from_beginning: bool,
    max_events: int | None,
    timeout: float | None,
) -> None:
    if group is None:
        raise typer.BadParameter(
            f"'{record.reference}' is a data product: read it as a consumer group with "
            "--group NAME (the group is registered as the product's consumer); --raw reads "
            "its topic's records as they are",
            param_hint="'--group'",
        )
    from streammesh.sdk import InProcessMesh
    from streammesh.sdk.remote import RemoteMesh  # httpx: only when a product is read

    mesh = session.mesh
    if isinstance(mesh, RemoteMesh):
        printed, interrupted = _consume_through(
            mesh, record, group, from_beginning, max_events, timeout
        )
    else:
        assert isinstance(mesh, InProcessMesh)  # open_mesh opens one of the two
        # Commits are explicit, after what was printed (also on Ctrl-C), as for topics.
        options = ConsumerOptions(
            auto_commit=False,
            session_timeout_ms=_SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=_HEARTBEAT_INTERVAL_MS,
            client_id="streammesh-cli",
        )
        with (
            mesh.consumer(
                record.reference, group, from_beginning=from_beginning, options=options
            ) as consumer,
            GracefulInterrupt() as interrupt,
        ):
            printed = _read_events(_one_by_one(consumer), max_events, timeout, interrupt)
            # Also after Ctrl-C: the group resumes right after the last printed event.
            consumer.commit()
        interrupted = interrupt.requested
    if stderr_is_terminal():
        typer.echo(f"consumed {printed:,} event{'s' if printed != 1 else ''}", err=True)
    if interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


def _consume_through(
    mesh: RemoteMesh,
    record: ProductRecord,
    group: str,
    from_beginning: bool,
    max_events: int | None,
    timeout: float | None,
) -> tuple[int, bool]:
    """Read through a server; how many events were printed and whether Ctrl-C stopped it."""
    from streammesh.sdk.remote import DEFAULT_BATCH

    # A product that takes no new groups is left to refuse with its own message.
    if (
        not from_beginning
        and accepts_new_consumers(record.lifecycle)
        and not _group_known(mesh, record, group)
    ):
        raise typer.BadParameter(
            f"consumer group '{group}' has not read '{record.reference}' yet, and a server "
            "starts a new group at the oldest event: add --from-beginning to read it from there",
            param_hint="'--group'",
        )
    with (
        mesh.consumer(record.reference, group) as consumer,
        GracefulInterrupt() as interrupt,
    ):
        next_events = _no_more_than_printed(consumer, DEFAULT_BATCH)
        printed = _read_events(next_events, max_events, timeout, interrupt)
    return printed, interrupt.requested


def _group_known(mesh: RemoteMesh, record: ProductRecord, group: str) -> bool:
    """Whether ``group`` is registered as a consumer of the product version (it has read it)."""
    from streammesh.control import ApplicationRole

    return any(
        application.role is ApplicationRole.CONSUMER and application.group == group
        for application, _active in mesh.applications(record.reference)
    )


# Not the shared --json (one document): records stream out one JSON object per line.
JsonLinesOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Topics: one JSON object per line: topic, partition, offset, timestamp_ms, "
        "key, value, headers (non-UTF-8 bytes as base64, see *_encoding). Products are "
        "always printed as JSON.",
    ),
]


def consume(
    ctx: typer.Context,
    topic: Annotated[
        str,
        typer.Argument(
            metavar="PRODUCT|TOPIC",
            help="Data product to read events of (name or name.vN), or else a topic.",
        ),
    ],
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            "-g",
            metavar="GROUP",
            show_default=False,
            help="Consume as a member of this consumer group; commits on exit.",
        ),
    ] = None,
    from_beginning: Annotated[
        bool,
        typer.Option(
            "--from-beginning",
            help="Start at the oldest record (with --group: where the group has no "
            "committed offset yet); default: only new records.",
        ),
    ] = False,
    max_records: Annotated[
        int | None,
        typer.Option(
            "--max", "-n", min=1, metavar="N", show_default=False, help="Stop after N records."
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.0,
            metavar="SECONDS",
            show_default=False,
            help="Stop when nothing new arrived for SECONDS (counted once partitions "
            "are assigned; for a product: counted from the start).",
        ),
    ] = None,
    partition: Annotated[
        int | None,
        typer.Option(
            "--partition",
            "-p",
            metavar="P",
            show_default=False,
            help="Read only partition P (not with --group).",
        ),
    ] = None,
    json_output: JsonLinesOption = False,
    raw: Annotated[
        bool,
        typer.Option("--raw", help="Read the name as a topic, even if it names a data product."),
    ] = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Print a product's events, or a topic's records, until --max, --timeout or Ctrl-C.

    With --server, PRODUCT is a product of that server's mesh (an exported $STREAMMESH_SERVER
    is not used: topics are the local log's).
    """
    settings = ctx.ensure_object(CliSettings)
    if server is not None and (raw or partition is not None):
        flag = "--raw" if raw else "--partition"
        raise typer.BadParameter(
            f"{flag} reads the records of a topic of the event log, which a server does not "
            "offer; through --server only data products are read",
            param_hint=f"'{flag}'",
        )
    if not raw and partition is None:
        target = command_target(ctx, None, None, server=server, token=token)
        with open_product(target, topic) as found:
            if found is not None:
                session, record = found
                _consume_events(session, record, group, from_beginning, max_records, timeout)
                return
    if group is not None and partition is not None:
        raise typer.BadParameter(
            "--partition reads by assignment and cannot be combined with --group",
            param_hint="'--partition'",
        )
    _consume_records(
        settings, topic, group, partition, from_beginning, max_records, timeout, json_output
    )


def _consume_records(
    settings: CliSettings,
    topic: str,
    group: str | None,
    partition: int | None,
    from_beginning: bool,
    max_records: int | None,
    timeout: float | None,
    json_output: bool,
) -> None:
    options = ConsumerOptions(
        group=group,
        auto_offset_reset=OffsetReset.EARLIEST if from_beginning else OffsetReset.LATEST,
        auto_commit=False,
        session_timeout_ms=_SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=_HEARTBEAT_INTERVAL_MS,
        client_id="streammesh-cli",
    )
    positions: dict[TopicPartition, int] = {}
    with settings.open_log() as log:
        partitions = log.describe_topic(topic).partitions
        if partition is not None and not 0 <= partition < partitions:
            raise InvalidPartition(topic, partition, partitions)
        with log.consumer(options) as consumer:
            _start_reading(consumer, topic, partitions, group, partition, from_beginning)
            with GracefulInterrupt() as interrupt:
                printed = _read(consumer, max_records, timeout, json_output, positions, interrupt)
                # Also after Ctrl-C: the group resumes right after the last printed record.
                if group is not None and positions:
                    consumer.commit(positions)
    if stderr_is_terminal():
        typer.echo(f"consumed {printed:,} record{'s' if printed != 1 else ''}", err=True)
    if interrupt.requested:
        raise typer.Exit(EXIT_INTERRUPTED)


def _start_reading(
    consumer: Consumer,
    topic: str,
    partitions: int,
    group: str | None,
    partition: int | None,
    from_beginning: bool,
) -> None:
    # A group is given its partitions by the log (and starts where it committed); without
    # one, the consumer takes them all (or the one asked) and starts at either end.
    if group is not None:
        consumer.subscribe([topic])
        return
    assigned = [
        TopicPartition(topic, number)
        for number in ([partition] if partition is not None else range(partitions))
    ]
    consumer.assign(assigned)
    if from_beginning:
        consumer.seek_to_beginning(assigned)
    else:
        consumer.seek_to_end(assigned)
