"""``streammesh demo``: a local mesh and a produce/consume round trip of stock trades.

Safe to run again: the topic is reused, each run tags its events with a run id header and
reads back exactly those through the demo's consumer group.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from streammesh.cli.output import stdout_console
from streammesh.cli.settings import CliSettings, embedded_log_url
from streammesh.cli.stock_trades import StockTrade, generate_trades
from streammesh.log.base import (
    ConsumerOptions,
    EventLog,
    OffsetReset,
    Record,
    TopicDescription,
    TopicPartition,
    TopicSpec,
)
from streammesh.log.errors import LogTimeout, TopicAlreadyExists, TopicNotFound
from streammesh.log.partitioner import partition_for_key

DEMO_TOPIC = "execution.stocktrades.v1"
DEMO_PARTITIONS = 4
DEMO_GROUP = "streammesh-demo"
RUN_HEADER = "demo-run"
READ_BACK_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """What one demo run measured."""

    produced_per_partition: Counter[int]
    consumed_per_partition: Counter[int]
    samples: list[dict[str, object]]
    produce_s: float
    consume_s: float
    total_s: float


def _ensure_topic(log: EventLog) -> TopicDescription:
    try:
        return log.describe_topic(DEMO_TOPIC)
    except TopicNotFound:
        pass
    try:
        return log.create_topic(TopicSpec(DEMO_TOPIC, partitions=DEMO_PARTITIONS))
    except TopicAlreadyExists:  # another demo created it meanwhile
        return log.describe_topic(DEMO_TOPIC)


def _produce(log: EventLog, trades: list[StockTrade], run_id: bytes) -> None:
    with log.producer() as producer:
        for trade in trades:
            producer.send(
                DEMO_TOPIC,
                json.dumps(trade.document(), separators=(",", ":")).encode(),
                key=trade.account_id.encode(),
                headers=[(RUN_HEADER, run_id), ("content-type", b"application/json")],
                timestamp_ms=int(trade.executed_at.timestamp() * 1000),
            )
        producer.flush()


def _is_from_run(record: Record, run_id: bytes) -> bool:
    return (RUN_HEADER, run_id) in record.headers


def _consume(log: EventLog, expected: int, run_id: bytes) -> list[Record]:
    options = ConsumerOptions(
        group=DEMO_GROUP,
        auto_offset_reset=OffsetReset.EARLIEST,
        auto_commit=False,
        session_timeout_ms=6_000,
        heartbeat_interval_ms=500,
        client_id="streammesh-demo",
    )
    mine: list[Record] = []
    positions: dict[TopicPartition, int] = {}
    deadline = time.monotonic() + READ_BACK_TIMEOUT_S
    with log.consumer(options) as consumer:
        consumer.subscribe([DEMO_TOPIC])
        while len(mine) < expected:
            if time.monotonic() > deadline:
                raise LogTimeout(f"reading back {expected} demo events", READ_BACK_TIMEOUT_S)
            for record in consumer.poll(timeout=0.5):
                positions[TopicPartition(record.topic, record.partition)] = record.offset + 1
                # Events of an earlier, interrupted run may still be unread by the group.
                if _is_from_run(record, run_id):
                    mine.append(record)
        consumer.commit(positions)
    return mine


def run_round_trip(log: EventLog, events: int) -> tuple[TopicDescription, RoundTrip]:
    """Create the demo topic if needed, produce ``events`` trades and read them back."""
    _ensure_topic(log)
    run_id = uuid.uuid4().hex.encode()
    trades = generate_trades(events)
    started = time.perf_counter()
    _produce(log, trades, run_id)
    produced_at = time.perf_counter()
    records = _consume(log, len(trades), run_id)
    finished = time.perf_counter()
    description = log.describe_topic(DEMO_TOPIC)
    partitions = description.partitions
    produced = Counter(partition_for_key(t.account_id.encode(), partitions) for t in trades)
    consumed = Counter(record.partition for record in records)
    samples = [json.loads(record.value) for record in records[:3] if record.value is not None]
    return description, RoundTrip(
        produced_per_partition=produced,
        consumed_per_partition=consumed,
        samples=samples,
        produce_s=produced_at - started,
        consume_s=finished - produced_at,
        total_s=finished - started,
    )


def _print_summary(log_url: str, description: TopicDescription, trip: RoundTrip) -> None:
    console = stdout_console()
    console.print(f"[bold]streammesh demo[/] on [cyan]{log_url}[/]")
    console.print(
        f"produced {sum(trip.produced_per_partition.values())} stock trades to "
        f"[bold]{DEMO_TOPIC}[/], keyed by account, and read them back as group "
        f"[bold]{DEMO_GROUP}[/]\n"
    )
    partitions = Table(title="records per partition", box=None, header_style="bold")
    for column in ("PARTITION", "PRODUCED", "CONSUMED", "IN TOPIC"):
        partitions.add_column(column, justify="right")
    for number in range(description.partitions):
        in_topic = description.end_offsets.get(number, 0) - description.beginning_offsets.get(
            number, 0
        )
        partitions.add_row(
            str(number),
            str(trip.produced_per_partition[number]),
            str(trip.consumed_per_partition[number]),
            f"{in_topic:,}",
        )
    console.print(partitions)
    samples = Table(title="sample events", header_style="bold")
    for column in ("ACCOUNT", "SYMBOL", "SIDE", "QTY", "PRICE", "VENUE", "EXECUTED AT"):
        samples.add_column(column)
    for event in trip.samples:
        samples.add_row(
            str(event["account_id"]),
            str(event["symbol"]),
            str(event["side"]),
            str(event["quantity"]),
            f"{event['price']:.2f}",
            str(event["venue"]),
            str(event["executed_at"]),
        )
    console.print(samples)
    console.print(
        f"round trip: {trip.total_s * 1000:,.0f} ms "
        f"(produce + durable flush {trip.produce_s * 1000:,.0f} ms, "
        f"consume {trip.consume_s * 1000:,.0f} ms)\n"
    )
    console.print("next:")
    console.print(f"  streammesh topics describe {DEMO_TOPIC}")
    console.print(f"  streammesh consume {DEMO_TOPIC} --from-beginning --max 5 --json")


def demo(
    ctx: typer.Context,
    mesh: Annotated[
        Path | None,
        typer.Option(
            "--mesh",
            metavar="DIR",
            show_default=False,
            help="Mesh directory to use (default: $STREAMMESH_HOME or ./.streammesh, or --log).",
        ),
    ] = None,
    events: Annotated[
        int, typer.Option("--events", min=1, max=100_000, help="How many trades to produce.")
    ] = 300,
) -> None:
    """Create a local mesh with a stock-trades topic and show a produce/consume round trip."""
    settings = ctx.ensure_object(CliSettings)
    log_url = embedded_log_url(mesh) if mesh is not None else settings.resolved_log_url
    with settings.open_log(log_url) as log:
        description, trip = run_round_trip(log, events)
    _print_summary(log_url, description, trip)
