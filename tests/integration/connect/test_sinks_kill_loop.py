"""Exactly once through crashes: a process feeding a sink is killed with ``kill -9`` at
random moments, round after round; each restart resumes from what ``open()`` finds (feeding a
few records it already wrote again). Afterwards the Parquet files (read by DuckDB) or the
table hold every record exactly once, and no half-written file is left.

The seed is printed and named in failures; ``STREAMMESH_KILL_SEED`` replays it.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

pytestmark = pytest.mark.slow

ROUNDS = 20
TOTAL = 3000
CHILD = [sys.executable, "-m", "tests.integration.connect.sink_child"]
ROOT = Path(__file__).resolve().parents[3]


def _kill_loop(kind: str, destination: str) -> str:
    """Run the rounds and a last full run; the seed, for messages."""
    seed = int(os.environ.get("STREAMMESH_KILL_SEED", random.randrange(1 << 30)))
    print(f"STREAMMESH_KILL_SEED={seed}")
    chance = random.Random(seed)
    killed = 0
    for _ in range(ROUNDS):
        child = subprocess.Popen(
            [*CHILD, kind, destination, str(TOTAL)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "opened", f"seed {seed}"
        time.sleep(chance.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        killed += child.wait() == -signal.SIGKILL
        child.stdout.close()
    assert killed >= ROUNDS // 2, f"seed {seed}: the child finished before most kills"
    last = subprocess.run(
        [*CHILD, kind, destination, str(TOTAL)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert last.returncode == 0 and last.stdout.split()[-1] == "done", f"seed {seed}: {last.stderr}"
    return f"seed {seed}"


def _exactly_once(rows: list[tuple[Any, ...]], seed: str) -> None:
    expected = [(p, o, 1) for p in range(2) for o in range(TOTAL)]
    assert sorted(rows) == expected, seed


def test_parquet_files_hold_every_record_once_after_kill_9_rounds(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    seed = _kill_loop("parquet", str(root))
    files = f"{root}/web.views.v1/**/*.parquet"
    rows = duckdb.sql(
        f"SELECT p, o, count(*) FROM read_parquet('{files}', hive_partitioning=true, "
        "union_by_name=true) GROUP BY p, o"
    ).fetchall()
    _exactly_once(rows, seed)
    assert list(root.rglob("*.tmp")) == [], seed
    assert {path.parts[-4] for path in root.rglob("*.parquet")} == {"v1", "v2"}, seed


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_table_holds_every_record_once_after_kill_9_rounds(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'sink.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    seed = _kill_loop("table", url)
    query = "SELECT p, o, count(*) FROM web_views_v1 GROUP BY p, o"
    if database == "sqlite":
        with sqlite3.connect(tmp_path / "sink.db") as connection:
            rows = connection.execute(query).fetchall()
    else:
        with psycopg.connect(url.replace("+psycopg", "")) as connection:
            rows = connection.execute(query).fetchall()
    _exactly_once(rows, seed)
