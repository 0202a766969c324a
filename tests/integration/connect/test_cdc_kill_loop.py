"""Exactly once through crashes: the ``postgres-cdc`` source, inside a process that writes
each batch and its position in one transaction (``cdc_child``), is killed with ``kill -9`` at
random moments, round after round, while a writer commits inserts and updates in
transactions of one to five changes. Afterwards the product holds every committed change
exactly once, in commit order.

The seed is printed and named in failures; ``STREAMMESH_KILL_SEED`` replays it.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from tests.integration.connect.conftest import drop_database_and_slots
from tests.support.postgres import EmbeddedPostgres

pytestmark = pytest.mark.slow

ROUNDS = 20
CHANGES = 800
CHILD = [sys.executable, "-m", "tests.integration.connect.cdc_child"]
ROOT = Path(__file__).resolve().parents[3]


def write_changes(url: str, seed: int) -> None:
    """``CHANGES`` changes numbered 1.. in commit order (one writer), each its own ``seq``."""
    chance = random.Random(seed)
    with psycopg.connect(url, autocommit=True) as db:
        seq = 0
        while seq < CHANGES:
            with db.transaction():
                for _ in range(min(chance.randint(1, 5), CHANGES - seq)):
                    seq += 1
                    key = chance.randint(1, 50)
                    db.execute(
                        "INSERT INTO orders VALUES (%s, %s) "
                        "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq",
                        (key, seq),
                    )
            time.sleep(chance.uniform(0, 0.004))


def test_every_committed_change_is_on_the_product_once_in_order_after_kill_9_rounds(
    logical_postgres: EmbeddedPostgres, tmp_path: Path
) -> None:
    seed = int(os.environ.get("STREAMMESH_KILL_SEED", random.randrange(1 << 30)))
    print(f"STREAMMESH_KILL_SEED={seed}")
    url = logical_postgres.create_database().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE orders (id bigint PRIMARY KEY, seq bigint NOT NULL)")
    product = tmp_path / "product.db"
    # The first start takes the (empty) snapshot and creates the slot before any change.
    first = subprocess.run(
        [*CHILD, url, str(product), "0"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert first.returncode == 0, first.stderr
    writer = threading.Thread(target=write_changes, args=(url, seed))
    writer.start()
    chance = random.Random(seed)
    killed = 0
    try:
        for _ in range(ROUNDS):
            child = subprocess.Popen(
                [*CHILD, url, str(product), str(CHANGES)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "started", f"seed {seed}"
            time.sleep(chance.uniform(0.0, 0.3))
            child.send_signal(signal.SIGKILL)
            killed += child.wait() == -signal.SIGKILL
            child.stdout.close()
    finally:
        writer.join()
    assert killed >= ROUNDS // 2, f"seed {seed}: the child finished before most kills"
    last = subprocess.run(
        [*CHILD, url, str(product), str(CHANGES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert last.returncode == 0 and last.stdout.split()[-1] == "done", f"seed {seed}: {last.stderr}"
    with sqlite3.connect(product) as events:
        seqs = [seq for (seq,) in events.execute("SELECT seq FROM events ORDER BY n")]
    drop_database_and_slots(logical_postgres, url)
    assert seqs == list(range(1, CHANGES + 1)), f"seed {seed}"
