"""Exactly once through crashes, through the worker: the real ``streammesh connect run
FILE.yaml`` (in processes forked from a warm interpreter: :mod:`tests.support.warm_processes`)
of a Parquet sink, a SQLite table sink and a PostgreSQL table sink, reading a
product on the embedded log that a writer keeps producing, is killed with ``kill -9`` at
random moments, round after round (the three in each round). After each round no event is
landed twice; at the end DuckDB reads every event exactly once in the Parquet files (two file
series: the product's schema changes on the way), no half-written file is left, and each table
holds every event exactly once (append mode: a duplicate would be a second row).

This replaces a loop that fed the sinks directly (``sink_child.py``): the same crash points,
plus the worker's own (the seek to the stored offsets, decoding, the group's commit).

What a kill can interrupt: a Parquet file written but not yet renamed (or renamed but its
folder not synced), a table transaction between its rows and its offsets, the consumer
group's commit (lag only), the dead-letter producer. Each restart resumes from the offsets
the sink stored with its data, and replays what came after them.

The seed is printed and named in failures; ``STREAMMESH_KILL_SEED`` replays it.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import threading
import time
from pathlib import Path

import duckdb
import psycopg
import pytest
import yaml

from streammesh.access import AccessState, Caller
from streammesh.config import MeshConfig
from streammesh.connect import Worker, WorkerOptions, parse_definition
from streammesh.identity import AccountKind, Role
from streammesh.runtime import MeshRuntime
from streammesh.sdk import InProcessMesh
from tests.integration.connect.test_worker import make_repo
from tests.support.warm_processes import WarmProcess, WarmStarter

pytestmark = pytest.mark.slow

ROUNDS = 20
RATE = 600
"""Events a second a writer produces while the rounds run (so every restart has events to
land, and a loaded CI machine's sinks still catch up at the end); its schema changes (a field
added) after CHANGE_AT events."""
CHANGE_AT = 8_000
KILL_AFTER_S = (0.0, 0.5)
"""When, after a ``connect run`` reports its first events landed, each round kills it: a step
reads and lands up to 2,000 events (about 0.3 s), so the kill falls in a step's writes most of
the time, else in its read."""
WRITER = "orders-ingest"
READER = "ledger-app"
T0 = 1_796_637_600_000  # 2026-12-07T10:00:00Z
ADMIN = Caller("admin", Role.PLATFORM_ADMIN)


def _mesh(tmp_path: Path) -> tuple[Path, Path]:
    """A mesh with ``sales.orders`` (4 partitions, from ``streammesh init``) and READER granted
    a read of it; the mesh and the descriptors' folder."""
    folder = make_repo(tmp_path)
    # Without classified fields (customer_email becomes an opaque customer id): decrypting
    # them would make each step slower, the rounds longer.
    descriptor = folder / "orders.yaml"
    text = descriptor.read_text()
    descriptor.write_text(
        re.sub(r"\nclassifications:.*\n  customer_email: \[pii\]", "\nclassifications: {}", text)
    )
    schema = folder / "orders.avsc"
    schema.write_text(schema.read_text().replace("customer_email", "customer"))
    home = tmp_path / "mesh"
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        mesh = InProcessMesh(runtime, actor="owner")
        mesh.apply([folder])
        runtime.plane.register_team(
            "finance-team", domain=None, email=None, description=None, actor="admin"
        )
        for name, team in ((WRITER, "sales-team"), (READER, "finance-team")):
            runtime.access.create_account(
                name, AccountKind.SERVICE_ACCOUNT, team=team, description="", actor="admin"
            )
        request = runtime.access.request(
            "sales.orders", READER, purpose="lake", classified=True, caller=ADMIN
        )
        if request.state is AccessState.REQUESTED:  # without classified fields: approved at once
            runtime.access.approve(request.id, caller=ADMIN)
    return home, folder


class _Writer(threading.Thread):
    """Produces RATE events a second until stopped, the schema changed after CHANGE_AT."""

    def __init__(self, home: Path, folder: Path) -> None:
        super().__init__(name="writer", daemon=True)
        self.home, self.folder = home, folder
        self.produced = 0
        self.stop = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with MeshRuntime.open(MeshConfig.load(self.home)) as runtime:
                started = time.monotonic()
                while not self.stop.is_set():
                    if self.produced == CHANGE_AT:
                        schema = json.loads((self.folder / "orders.avsc").read_text())
                        schema["fields"].append(
                            {"name": "note", "type": ["null", "string"], "default": None}
                        )
                        (self.folder / "orders.avsc").write_text(json.dumps(schema))
                        InProcessMesh(runtime, actor="owner").apply([self.folder])
                    numbers = range(self.produced, self.produced + 100)
                    _produce(runtime, numbers, note=self.produced >= CHANGE_AT)
                    self.produced += 100
                    time.sleep(max(0.0, started + self.produced / RATE - time.monotonic()))
        except BaseException as exc:
            self.failure = exc


def _produce(runtime: MeshRuntime, numbers: range, *, note: bool = False) -> None:
    with runtime.data.producer("sales.orders", principal=WRITER) as producer:
        for n in numbers:
            event: dict[str, object] = {
                "orders_id": f"o-{n}",
                "customer": f"c{n % 97}",
                "status": "placed",
                "updated_at": T0 + n,
            }
            if note:
                event["note"] = f"n{n}"
            # An hour later every 500 events: the Parquet sink completes a file at each one.
            producer.send(event, timestamp_ms=T0 + (n // 500) * 3_600_000)


def _definition(path: Path, name: str, kind: str, config: dict[str, object]) -> Path:
    document = {
        "name": name,
        "kind": kind,
        "principal": READER,
        "products": ["sales.orders"],
        "config": config,
    }
    path.write_text(yaml.safe_dump(document))
    return path


def _start(starter: WarmStarter, definition: Path, home: Path) -> WarmProcess:
    return starter.start(
        ["connect", "run", str(definition), "--mesh", str(home), "--interval", "0.1"]
    )


def _wait_landing(process: WarmProcess, seed: int) -> None:
    """Until the process reports events landed (``N out`` with N > 0 in its progress line),
    or ends."""
    landing = threading.Event()
    first: list[bytes] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            first.append(line)
            found = re.search(rb"([\d,]+) out", line)
            if found and int(found.group(1).replace(b",", b"")) > 0:
                break
        landing.set()
        for _ in process.stdout:  # keep the pipe drained
            pass

    threading.Thread(target=read, daemon=True).start()
    landing.wait(30)
    if not first or not first[0].startswith(b"running ") or process.poll() is not None:
        process.kill()
        _, errors = process.communicate()
        printed = b"".join(first)[-3000:] + errors[-3000:]
        pytest.fail(f"seed {seed}: connect run did not land: {printed!r}")


def _parquet_counts(root: Path) -> dict[str, int]:
    files = f"{root}/**/*.parquet"
    if not list(root.rglob("*.parquet")):
        return {}
    rows = duckdb.sql(
        f"SELECT orders_id, count(*) FROM read_parquet('{files}', hive_partitioning=true, "
        "union_by_name=true) GROUP BY orders_id"
    ).fetchall()
    return dict(rows)


COUNT_ROWS = "SELECT orders_id, count(*) FROM sales_orders_v1 GROUP BY orders_id"


def _table_counts(database: Path) -> dict[str, int]:
    if not database.exists():
        return {}
    with sqlite3.connect(database) as connection:
        try:
            rows = connection.execute(COUNT_ROWS).fetchall()
        except sqlite3.OperationalError:  # no table yet
            return {}
    return dict(rows)


def _postgres_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        try:
            rows = connection.execute(COUNT_ROWS).fetchall()
        except psycopg.errors.UndefinedTable:
            return {}
    return dict(rows)


def _run_to_end(worker: Worker, name: str, seed: int) -> None:
    """Run ``worker`` until a flush finds it caught up with the product (lag 0); fail if it
    has not within three minutes."""
    deadline = time.monotonic() + 180
    late = False

    def caught_up() -> bool:
        nonlocal late
        progress = worker.progress()
        late = time.monotonic() > deadline
        return (bool(progress.lag) and progress.total_lag == 0) or late

    worker.run(caught_up)
    if late:
        pytest.fail(f"seed {seed}: {name} did not catch up: lag {worker.progress().lag}")


def _mismatch(found: dict[str, int], total: int) -> str:
    """What differs between ``found`` and every one of ``total`` events once, in a line
    (a dict comparison of many thousand entries takes pytest minutes to print)."""
    missing = [f"o-{n}" for n in range(total) if f"o-{n}" not in found]
    twice = sorted(key for key, count in found.items() if count != 1)
    extra = sorted(set(found) - {f"o-{n}" for n in range(total)})
    return f"missing {len(missing)} {missing[:5]}, not once {twice[:5]}, unknown {extra[:5]}"


@pytest.mark.timeout(900)  # 60 process starts: ~35 s idle, minutes on a loaded machine
def test_parquet_and_table_sinks_land_every_event_once_after_kill_9_rounds(
    tmp_path: Path, postgres_url: str
) -> None:
    seed = int(os.environ.get("STREAMMESH_KILL_SEED", random.randrange(1 << 30)))
    print(f"STREAMMESH_KILL_SEED={seed}")
    chance = random.Random(seed)
    home, folder = _mesh(tmp_path)
    writer = _Writer(home, folder)
    writer.start()
    root, database = tmp_path / "lake", tmp_path / "sink.db"
    definitions = [
        _definition(
            tmp_path / "lake.yaml",
            "orders-lake",
            "parquet",
            {"root": str(root), "roll_rows": 200, "roll_interval": "1s"},
        ),
        _definition(
            tmp_path / "table.yaml",
            "orders-table",
            "table",
            {"url": f"sqlite:///{database}", "mode": "append", "batch_size": 5},
        ),
        _definition(
            tmp_path / "postgres.yaml",
            "orders-postgres",
            "table",
            {"url": postgres_url, "mode": "append", "batch_size": 5},
        ),
    ]
    landed: list[tuple[int, int, int]] = []
    killed = 0
    with WarmStarter("streammesh.cli.main:main") as starter:
        for _ in range(ROUNDS):
            processes = [_start(starter, definition, home) for definition in definitions]
            try:
                for process in processes:
                    _wait_landing(process, seed)
                time.sleep(chance.uniform(*KILL_AFTER_S))
            finally:
                for process in processes:
                    if process.poll() is None:
                        os.kill(process.pid, signal.SIGKILL)
                        killed += 1
                    process.communicate()
            counts = (
                _parquet_counts(root),
                _table_counts(database),
                _postgres_counts(postgres_url),
            )
            # Never a duplicate, even mid-way.
            assert all(set(found.values()) <= {1} for found in counts), f"seed {seed}"
            landed.append((len(counts[0]), len(counts[1]), len(counts[2])))
    print(f"events landed after each round (parquet, sqlite, postgres): {landed}")
    writer.stop.set()
    writer.join(30)
    assert writer.failure is None, f"the writer failed: {writer.failure!r}"
    total = writer.produced
    assert killed == len(definitions) * ROUNDS, f"seed {seed}: a connect run ended by itself"
    for sink in range(len(definitions)):
        moved = sum(b[sink] > a[sink] for a, b in zip([(0, 0, 0), *landed], landed, strict=False))
        # Most rounds landed something, and half the kills came before the end: mid-stream.
        assert moved >= ROUNDS // 2, f"seed {seed}: {definitions[sink].stem} {landed}"

    # Then to the end, in this process.
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        for definition in definitions:
            parsed = parse_definition(definition.read_text(), origin=str(definition))
            options = WorkerOptions(poll_timeout_s=0.05, flush_interval_s=0.2)
            with runtime.connect.worker(parsed, options) as worker:
                _run_to_end(worker, parsed.name, seed)

    expected = {f"o-{n}": 1 for n in range(total)}
    for counts in (_parquet_counts(root), _table_counts(database), _postgres_counts(postgres_url)):
        exact = counts == expected  # not in the assert: pytest's diff of it would take minutes
        assert exact, f"seed {seed}: {_mismatch(counts, total)}"
    assert list(root.rglob("*.tmp")) == [], f"seed {seed}"
    series = {path.relative_to(root).parts[1] for path in root.rglob("*.parquet")}
    assert len(series) == 2, f"seed {seed}: {series}"
    notes = duckdb.sql(
        f"SELECT count(note) FROM read_parquet('{root}/**/*.parquet', union_by_name=true)"
    ).fetchall()
    assert notes == [(total - CHANGE_AT,)], f"seed {seed}"
