"""Exactly once through crashes, through the worker: the real ``streammesh connect run
cdc.yaml`` (forked from a warm interpreter: :mod:`tests.support.warm_processes`) of a
``postgres-cdc`` source feeding ``sales.orders`` on the embedded log is killed with
``kill -9`` at random moments, 20 rounds, while two writers commit transactions of one to five
upserts into the captured table, each its own keys (each change a new ``seq``; now and then a
transaction is rolled back). Then a worker in this process runs to the end,
and the product holds every committed change exactly once, in commit order, and nothing
rolled back.

What a kill can interrupt: the worker's log transaction (a batch's events and its position
in ``orders-cdc.offsets``) before or after its commit, the confirmation of the position to
the replication slot (``flush_lsn``), a batch that ends inside a PostgreSQL transaction
(``batch_size`` 3, so most transactions are cut), and the start itself: fencing the previous
worker, reading the position, waiting for the server to release the slot of the killed one.
Two writers make transactions overlap: one's rows are logged while the other's transaction is
open, and its commit record may start right where the other's ends. (A restart at exactly
that end once lost all but the last record of the second transaction; the loop meets that
case only now and then, ``test_postgres_cdc.py`` builds it on purpose.)

"Commit order" across the product's 4 partitions: a writer commits one transaction after
another, so its ``seq`` grows with the commit order; each partition holds each writer's
changes in ``seq`` order (so each key's changes in commit order), and every event carries
its transaction's commit time, the same for all events of a transaction and never earlier
than the writer's previous transaction's: what a consumer merges the partitions by. Between
two writers' transactions the commit order is not known to the test (only to the server).

This replaces a loop around a process that played the worker's part itself (``cdc_child``,
writing events and position to a SQLite file); here the crash points are the worker's own.

The seed is printed and named in failures; ``STREAMMESH_KILL_SEED`` replays it.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from streammesh.config import MeshConfig
from streammesh.connect import WorkerOptions, parse_definition
from streammesh.identity import AccountKind
from streammesh.runtime import MeshRuntime
from streammesh.sdk import InProcessMesh
from tests.integration.connect.conftest import drop_database_and_slots
from tests.integration.connect.test_worker import read_topic
from tests.support.postgres import EmbeddedPostgres
from tests.support.warm_processes import WarmStarter
from tests.unit.cli.invoking import invoke_cli

pytestmark = pytest.mark.slow

ROUNDS = 20
KILL_AFTER_S = (0.0, 0.5)
"""When, after a ``connect run`` reports its first events written, each round kills it."""
CHANGES = 800
"""Committed changes in all (both writers): CHANGES / ROUNDS a round, half of them while the
process starts (a backlog it resumes into), half once it has written (live changes)."""
TRANSACTIONS_PER_S = 40
"""About how fast each writer commits while it has budget left."""
CATCH_UP_S = 120
"""How long the last run may take to bring the last change to the product."""
WRITERS = 2
SPAN = 100_000
"""Writer ``w`` numbers its changes (``seq``) and transactions (``txn``) from ``w * SPAN + 1``."""
ROLLED_BACK = 1_000_000
"""``seq`` of the changes of rolled-back transactions starts here: none may reach the product."""
PRINCIPAL = "orders-cdc-sa"
CONTRACT = {
    "type": "record",
    "name": "Order",
    "namespace": "com.example.shop",
    "fields": [
        {"name": "orders_id", "type": "string"},
        {"name": "seq", "type": "long"},
        {"name": "txn", "type": "long"},
    ],
}


@pytest.fixture
def database_url(logical_postgres: EmbeddedPostgres) -> Iterator[str]:
    url = logical_postgres.create_database().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE orders (orders_id text PRIMARY KEY, seq bigint NOT NULL, "
            "txn bigint NOT NULL)"
        )
    yield url
    drop_database_and_slots(logical_postgres, url)


def _mesh(tmp_path: Path) -> Path:
    """A mesh with a published state product ``sales.orders`` (4 partitions, keyed by
    ``orders_id``, no classified field) whose contract is the table's, and the service
    account the connector writes as."""
    result = invoke_cli("init", "sales", "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "repo" / "sales"
    descriptor = folder / "orders.yaml"
    text = descriptor.read_text().replace("status: draft", "status: published")
    descriptor.write_text(
        re.sub(r"\nclassifications:.*\n  customer_email: \[pii\]", "\nclassifications: {}", text)
    )
    (folder / "orders.avsc").write_text(json.dumps(CONTRACT))
    home = tmp_path / "mesh"
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        InProcessMesh(runtime, actor="owner").apply([folder])
        runtime.access.create_account(
            PRINCIPAL, AccountKind.SERVICE_ACCOUNT, team="sales-team", description="", actor="a"
        )
    return home


class _Writer(threading.Thread):
    """Writer ``number``: commits transactions of 1-5 upserts of its own 25 keys, every
    change the next ``seq``, about TRANSACTIONS_PER_S a second while its budget (``allow``)
    lasts; one transaction in ten is rolled back instead (numbered from ROLLED_BACK)."""

    def __init__(self, url: str, seed: int, number: int) -> None:
        super().__init__(name=f"writer-{number}", daemon=True)
        self.url, self.chance, self.number = url, random.Random(seed + number), number
        self.committed = 0
        """How many changes it committed (``seq`` 1.. after its base, without gaps)."""
        self.transactions = 0
        self.rolled_back = 0
        self.failure: BaseException | None = None
        self._budget = 0
        self._stopping = False
        self._changed = threading.Condition()

    def allow(self, changes: int) -> None:
        """Let the writer commit ``changes`` more changes."""
        with self._changed:
            self._budget += changes
            self._changed.notify_all()

    def finish(self, *, drain: bool = True) -> None:
        """Stop the thread once the budget is committed (``drain``), or after the
        transaction in hand."""
        with self._changed:
            self._stopping = True
            if not drain:
                self._budget = self.committed
            self._changed.notify_all()
        self.join(60)
        assert not self.is_alive(), "the writer did not finish its budget within 60 s"

    def run(self) -> None:
        chance = self.chance
        try:
            with psycopg.connect(self.url, autocommit=True) as db:
                while True:
                    with self._changed:
                        while self.committed == self._budget and not self._stopping:
                            self._changed.wait()
                        left = self._budget - self.committed
                    if left <= 0:
                        return
                    rollback = chance.random() < 0.1
                    base = self.number * SPAN
                    n = ROLLED_BACK + self.rolled_back * 10 if rollback else self.committed
                    with db.transaction(force_rollback=rollback):
                        for _ in range(min(chance.randint(1, 5), left)):
                            n += 1
                            db.execute(
                                "INSERT INTO orders VALUES (%s, %s, %s) ON CONFLICT (orders_id) "
                                "DO UPDATE SET seq = excluded.seq, txn = excluded.txn",
                                (
                                    f"o-{self.number}-{chance.randint(1, 25)}",
                                    base + n,
                                    base + self.transactions + 1,
                                ),
                            )
                        # Open a moment longer: the other writer's commit often falls in
                        # here, and this commit record then follows it with nothing between.
                        time.sleep(chance.uniform(0, 0.02))
                    if rollback:
                        self.rolled_back += 1
                    else:
                        self.committed, self.transactions = n, self.transactions + 1
                    time.sleep(chance.uniform(0, 2 / TRANSACTIONS_PER_S))
        except BaseException as exc:
            self.failure = exc


def _definition(path: Path, url: str) -> Path:
    document = {
        "name": "orders-cdc",
        "kind": "postgres-cdc",
        "principal": PRINCIPAL,
        # Batches of 3: most of the writer's transactions end up cut between two batches
        # (log transactions), the case the position's `txn`/`skip` resumes.
        "config": {"url": url, "tables": {"orders": "sales.orders"}, "batch_size": 3},
    }
    path.write_text(yaml.safe_dump(document))
    return path


class _Run:
    """A ``connect run`` process and its output lines (read by a thread: the pipe never
    fills, and a wait for a line has a deadline)."""

    def __init__(self, starter: WarmStarter, definition: Path, home: Path) -> None:
        self.process = starter.start(
            ["connect", "run", str(definition), "--mesh", str(home), "--interval", "0.1"],
            merge_stderr=True,
        )
        self.lines: list[bytes] = []
        self._new_line = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._new_line:
                self.lines.append(line)
                self._new_line.notify_all()
        with self._new_line:
            self.lines.append(b"")  # the end
            self._new_line.notify_all()

    def written(self) -> int | None:
        """Events written, as the last progress line says (``None`` before the first)."""
        for line in reversed(self.lines):
            found = re.search(rb"([\d,]+) out", line)
            if found:
                return int(found.group(1).replace(b",", b""))
        return None

    def wait_progress(self, seed: int, *, written: bool) -> float:
        """Wait for a progress line (saying events were written, when ``written``); the
        seconds it took. Fails naming the seed if the process ends or is silent for 30 s."""
        started = time.monotonic()

        def reached() -> bool:
            count = self.written()
            return count is not None and (count > 0 or not written)

        with self._new_line:
            self._new_line.wait_for(lambda: reached() or b"" in self.lines, timeout=30)
        if not reached() or not self.lines[0].startswith(b"running "):
            self.kill()
            output = b"".join(self.lines)[-3000:].decode(errors="replace")
            pytest.fail(f"seed {seed}: connect run ended, or wrote nothing for 30 s: {output!r}")
        return time.monotonic() - started

    def kill(self) -> bool:
        """``kill -9`` the process, wait for it and its output; whether it was still running."""
        running = self.process.poll() is None
        if running:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return running


def _seqs_on_product(runtime: MeshRuntime) -> list[tuple[int, int, int, int]]:
    """(partition, seq, txn, timestamp) of every committed event of ``sales.orders``, in
    each partition's order."""
    decoder = runtime.data.decoder("sales.orders", reader=None, actor="test")
    topic = runtime.plane.product("sales.orders").topic
    found = []
    for record in read_topic(runtime, topic):
        value = decoder.event(record).value
        assert value is not None, f"a tombstone at {record.partition}/{record.offset}"
        found.append((record.partition, value["seq"], value["txn"], record.timestamp_ms))
    return found


def _order_problems(events: list[tuple[int, int, int, int]], committed: list[int]) -> str:
    """What is wrong with ``events`` against each writer's changes (writer ``w``:
    ``committed[w]`` of them) each once in commit order, in a line ('' if nothing): a full
    comparison would print hundreds of entries."""
    counts: dict[int, int] = defaultdict(int)
    for _, seq, _, _ in events:
        counts[seq] += 1
    expected = {w * SPAN + n for w, count in enumerate(committed) for n in range(1, count + 1)}
    missing = sorted(expected - set(counts))
    twice = sorted(seq for seq, count in counts.items() if count > 1)
    rolled_back = sorted(seq for seq in counts if seq > ROLLED_BACK)
    unknown = sorted(seq for seq in set(counts) - expected if seq <= ROLLED_BACK)
    problems = []
    if missing or twice or rolled_back or unknown:
        problems.append(
            f"{len(events)} events for {len(expected)} changes: missing {len(missing)} "
            f"{missing[:8]}, duplicated {len(twice)} {twice[:8]}, rolled back "
            f"{rolled_back[:8]}, unknown {unknown[:8]}"
        )
    # In each partition, each writer's changes in its commit order.
    by_partition: dict[tuple[int, int], list[int]] = defaultdict(list)
    for partition, seq, _, _ in events:
        by_partition[(partition, seq // SPAN)].append(seq)
    for (partition, _), found in sorted(by_partition.items()):
        behind = [(a, b) for a, b in itertools.pairwise(found) if b <= a]
        if behind:
            problems.append(f"partition {partition} out of commit order at {behind[:5]}")
    # Across partitions: the commit time of each transaction, the same on all its events and
    # never earlier than the writer's previous transaction's.
    times: dict[int, set[int]] = defaultdict(set)
    for _, seq, txn, timestamp in events:
        if seq in expected:
            times[txn].add(timestamp)
    split = sorted(txn for txn, seen in times.items() if len(seen) > 1)
    if split:
        problems.append(f"transactions with several timestamps: {split[:5]}")
    ordered = [(txn, min(times[txn])) for txn in sorted(times)]
    earlier = [
        b[0] for a, b in itertools.pairwise(ordered) if a[0] // SPAN == b[0] // SPAN and b[1] < a[1]
    ]
    if earlier:
        problems.append(f"transactions stamped before the writer's previous one: {earlier[:5]}")
    return "; ".join(problems)


def test_every_committed_change_is_on_the_product_once_in_order_after_kill_9_rounds(
    tmp_path: Path, database_url: str
) -> None:
    seed = int(os.environ.get("STREAMMESH_KILL_SEED", random.randrange(1 << 30)))
    print(f"STREAMMESH_KILL_SEED={seed}")
    chance = random.Random(seed)
    home = _mesh(tmp_path)
    definition = _definition(tmp_path / "cdc.yaml", database_url)
    writers = [_Writer(database_url, seed, number) for number in range(WRITERS)]
    # Each writer's changes a round: half while the process starts, half once it wrote.
    share = CHANGES // ROUNDS // WRITERS
    waits: list[float] = []
    written: list[int | None] = []
    killed = 0
    starter = WarmStarter("streammesh.cli.main:main")
    try:
        for round_number in range(ROUNDS):
            for writer in writers:
                writer.allow(share // 2 if round_number else 0)
            run = _Run(starter, definition, home)
            try:
                # The first round's first step completes the (empty) snapshot: the changes
                # start after it, so each one is on the product as a change, not a row.
                waits.append(run.wait_progress(seed, written=round_number > 0))
                for writer in writers:
                    if round_number == 0:
                        writer.start()
                    writer.allow(share - share // 2 if round_number else share)
                time.sleep(chance.uniform(*KILL_AFTER_S))
            finally:
                killed += run.kill()
            written.append(run.written())
        for writer in writers:
            writer.finish()
    finally:
        starter.close()
        for writer in writers:
            if writer.is_alive():  # a round failed
                writer.finish(drain=False)
    for writer in writers:
        assert writer.failure is None, f"seed {seed}: {writer.name} failed: {writer.failure!r}"
    assert killed == ROUNDS, f"seed {seed}: a connect run ended by itself"
    committed = [writer.committed for writer in writers]
    assert committed == [share * ROUNDS] * WRITERS, f"seed {seed}: committed {committed}"
    print(
        f"{sum(committed)} changes in {sum(w.transactions for w in writers)} transactions "
        f"({sum(w.rolled_back for w in writers)} rolled back); events written by each round "
        f"(as its last progress line says): {written}; seconds to each round's first write: "
        f"{[round(wait, 2) for wait in waits]}"
    )

    # Then to the end, in this process: until each writer's last change is on the product.
    lasts = {w * SPAN + count for w, count in enumerate(committed)}
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        parsed = parse_definition(definition.read_text(), origin=str(definition))
        deadline = time.monotonic() + CATCH_UP_S
        checked = 0.0

        def caught_up() -> bool:
            nonlocal checked
            if time.monotonic() > deadline:
                return True
            if time.monotonic() - checked < 0.5:
                return False
            checked = time.monotonic()
            return lasts <= {seq for _, seq, _, _ in _seqs_on_product(runtime)}

        with runtime.connect.worker(parsed, WorkerOptions(poll_timeout_s=0.05)) as worker:
            worker.run(caught_up)
        events = _seqs_on_product(runtime)
    problems = _order_problems(events, committed)
    late = f"not caught up within {CATCH_UP_S} s; " if time.monotonic() > deadline else ""
    assert not problems, f"seed {seed}: {late}{problems}"
