"""The Iceberg sink holds every record exactly once across ``kill -9``.

Each round starts a writer process that plays the worker: it opens the sink, resumes a few
offsets *before* what the sink says it holds (as a consumer group lagging behind the table
would), and puts and flushes small batches of two partitions, printing what each flush made
durable. The parent kills it with SIGKILL at a random moment (often inside a commit), then
checks that the table holds exactly the offsets its last snapshot covers, each once, and never
less than a flush acknowledged. After 20 rounds a last writer runs to the end: every record
of both partitions is in the table exactly once.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from pyiceberg.catalog.sql import SqlCatalog

from streammesh.connect.iceberg import stored_offsets
from tests.support.warm_processes import WarmProcess, WarmStarter

pytestmark = pytest.mark.slow

ROUNDS = 20
PARTITIONS = 2
TOTAL = 1500
"""Records per partition: more than the 20 rounds write, so every kill hits a busy writer."""
TOPIC = "lake.events.v1"
CONNECTOR = "events-lake"

WRITER = """
import datetime as dt, json, random, sys
from pathlib import Path
from streammesh.connect import ConnectorContext, SinkRecord
import pyiceberg.catalog.sql, pyiceberg.table  # warm; not pyarrow: it starts a thread

def main():
  from streammesh.connect.iceberg import Config, create  # imports pyarrow
  mesh, total, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
  topic, partitions = sys.argv[4], int(sys.argv[5])
  schema = json.dumps({"type": "record", "name": "Event", "fields": [
      {"name": "id", "type": "long"},
      {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  ]})
  start = dt.datetime(2026, 12, 7, tzinfo=dt.timezone.utc)
  rng = random.Random(seed)
  state = mesh / "connect" / sys.argv[6]
  state.mkdir(parents=True, exist_ok=True)
  config = Config(catalog_url=f"sqlite:///{mesh / 'meta.db'}", warehouse=mesh / "warehouse")
  task = create(config, ConnectorContext(sys.argv[6], state, lambda *_: None))
  stored = task.open()
  position = {p: max(0, stored.get((topic, p), 0) - rng.randint(0, 6)) for p in range(partitions)}
  print("open", flush=True)

  def record(partition, offset):
      at = start + dt.timedelta(minutes=offset)
      return SinkRecord(
          product="lake.events.v1", topic=topic, partition=partition, offset=offset,
          key=None, value={"id": partition * 1_000_000 + offset, "at": at},
          timestamp_ms=int(at.timestamp() * 1000), schema_id=1, schema=schema,
      )

  while any(position[p] < total for p in range(partitions)):
      batch = []
      for p in range(partitions):
          end = min(total, position[p] + rng.randint(1, int(sys.argv[7])))
          batch.extend(record(p, offset) for offset in range(position[p], end))
          position[p] = end
      task.put(batch)
      flushed = task.flush()
      print(json.dumps({str(p): flushed.get((topic, p), 0) for p in range(partitions)}), flush=True)
  task.close()
  print("done", flush=True)
"""


def writer(starter: WarmStarter, mesh: Path, seed: int, max_batch: int = 8) -> WarmProcess:
    """A writer process putting batches of 1 to ``max_batch`` records per partition (forked
    from a warm interpreter that imported the sink once)."""
    argv = [str(mesh), str(TOTAL), str(seed), TOPIC, str(PARTITIONS), CONNECTOR, str(max_batch)]
    return starter.start(argv, capture_stderr=False)


def acknowledged(lines: list[str]) -> dict[int, int]:
    """The highest offsets a complete flush line acknowledged, per partition."""
    best = dict.fromkeys(range(PARTITIONS), 0)
    for line in lines:
        try:
            flushed = json.loads(line)
        except ValueError:
            continue  # "open", or a line the kill cut short
        if isinstance(flushed, dict):
            for partition, next_offset in flushed.items():
                best[int(partition)] = max(best[int(partition)], next_offset)
    return best


def table_state(mesh: Path) -> tuple[dict[int, int], Counter[tuple[int, int]]]:
    """The offsets the table's last snapshot covers, and how often each row is there."""
    catalog = SqlCatalog(
        "streammesh",
        uri=f"sqlite:///{mesh / 'meta.db'}",
        warehouse=(mesh / "warehouse").as_uri(),
    )
    try:
        if not catalog.table_exists(("lake", "events")):
            return dict.fromkeys(range(PARTITIONS), 0), Counter()
        table = catalog.load_table(("lake", "events"))
        covered = stored_offsets(table, CONNECTOR)
        rows = table.scan(selected_fields=("_partition", "_offset", "id")).to_arrow().to_pylist()
    finally:
        catalog.close()
    for row in rows:
        assert row["id"] == row["_partition"] * 1_000_000 + row["_offset"]
    counts = Counter((row["_partition"], row["_offset"]) for row in rows)
    return {p: covered.get((TOPIC, p), 0) for p in range(PARTITIONS)}, counts


def check_exactly_covered(mesh: Path, context: str) -> dict[int, int]:
    covered, counts = table_state(mesh)
    twice = sorted(row for row, n in counts.items() if n > 1)
    assert twice == [], f"{context}: rows written twice: {twice[:10]}"
    expected = {(p, o) for p in range(PARTITIONS) for o in range(covered[p])}
    assert set(counts) == expected, (
        f"{context}: the table holds {len(counts)} rows, its offsets cover {len(expected)}; "
        f"missing {sorted(expected - set(counts))[:5]}, extra {sorted(set(counts) - expected)[:5]}"
    )
    return covered


def test_kill_9_between_and_inside_flushes_keeps_every_record_once(tmp_path: Path) -> None:
    seed = int(os.environ.get("KILL_LOOP_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    mesh = tmp_path / "mesh"
    progress: list[dict[int, int]] = []
    with WarmStarter("__main__:main", preamble=WRITER) as starter:
        _rounds(starter, mesh, seed, rng, progress)
        last = writer(starter, mesh, rng.randrange(1 << 30), max_batch=200)
        out, _ = last.communicate(timeout=240)
    assert last.returncode == 0 and out.splitlines()[-1] == b"done", f"seed {seed}: {out[-500:]!r}"
    covered = check_exactly_covered(mesh, f"seed {seed}, final run")
    assert covered == dict.fromkeys(range(PARTITIONS), TOTAL)


def _rounds(
    starter: WarmStarter,
    mesh: Path,
    seed: int,
    rng: random.Random,
    progress: list[dict[int, int]],
) -> None:
    for round_no in range(ROUNDS):
        child = writer(starter, mesh, rng.randrange(1 << 30))
        assert child.stdout is not None
        try:
            ready, _, _ = select.select([child.stdout], [], [], 60)
            assert ready, f"seed {seed}, round {round_no}: the writer did not open in 60 s"
            first = child.stdout.readline()
            assert first.strip() == b"open", f"seed {seed}: writer failed (exit {child.poll()})"
            time.sleep(rng.uniform(0.05, 0.8))
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        lines = child.stdout.read().decode().splitlines()
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        context = f"seed {seed}, round {round_no}"
        covered = check_exactly_covered(mesh, context)
        acked = acknowledged(lines)
        assert all(covered[p] >= acked[p] for p in range(PARTITIONS)), (
            f"{context}: a flush acknowledged {acked}, the table covers only {covered}"
        )
        progress.append(covered)

    assert progress[-1] != progress[0], f"seed {seed}: the writers made no progress"
    assert all(progress[-1][p] < TOTAL for p in range(PARTITIONS)), "no kill hit a busy writer"
