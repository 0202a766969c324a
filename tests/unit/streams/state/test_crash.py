"""A process killed (SIGKILL) while it writes to a store, on the embedded log.

With a transactional producer the state restored afterwards is exactly the state of the last
commit (or of the one whose transaction committed just before the kill): never torn, never
later. With a plain producer (at-least-once) it is never older than the last commit, but may
hold changes sent to the changelog after it: the at-least-once gap.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streammesh.log import ConsumerOptions, IsolationLevel, ProducerOptions, open_log
from streammesh.streams.state import KeyValueStore, StoreContext, TaskId
from tests.support.warm_processes import WarmStarter
from tests.unit.streams.state.crash_writer import KEYS, TRANSACTIONAL_ID

WRITER = "tests.unit.streams.state.crash_writer"

COMMITTED = re.compile(r"committed \d+")
PRELOADED = "import streammesh.log, streammesh.streams.state"


def writer_command(url: str, state_dir: Path, producing: str, mode: str) -> list[str]:
    """The writer (:mod:`crash_writer`) as a process of its own."""
    return [sys.executable, "-m", WRITER, url, str(state_dir), producing, mode]


def restored_batches(url: str, state_dir: Path, producing: str) -> dict[bytes, int]:
    """Open the store as the next owner of the task would; its values by key."""
    log = open_log(url)
    if producing == "transactional":
        producer = log.producer(ProducerOptions(transactional_id=TRANSACTIONAL_ID))
        producer.init_transactions()  # fences the dead owner, aborting what it left open
        reader = log.consumer(ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED))
    else:
        producer, reader = log.producer(), log.consumer()
    try:
        context = StoreContext(log, state_dir, "app", TaskId(0, 0), 1, producer, reader)
        with KeyValueStore(context, "totals") as store:
            return {key: int(value) for key, value in store.all()}
    finally:
        reader.close()
        producer.close()
        log.close()


@pytest.mark.parametrize("producing", ["plain", "transactional"])
def test_killed_before_sending_restores_the_last_commit(tmp_path: Path, producing: str) -> None:
    url, state_dir = f"embedded://{tmp_path / 'log'}", tmp_path / "state"
    crashed = subprocess.run(
        writer_command(url, state_dir, producing, "kill-unflushed"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()
    assert crashed.stdout.decode().split() == ["committed", "1"]
    assert set(restored_batches(url, state_dir, producing).values()) == {1}


@pytest.mark.parametrize(("producing", "restored"), [("plain", 2), ("transactional", 1)])
def test_killed_after_sending_before_committing(
    tmp_path: Path, producing: str, restored: int
) -> None:
    """Without a transaction, changelog records that reached the log before the crash are
    restored although their commit never happened (the at-least-once gap); with one, the
    open transaction is never read and the last commit is restored."""
    url, state_dir = f"embedded://{tmp_path / 'log'}", tmp_path / "state"
    crashed = subprocess.run(
        writer_command(url, state_dir, producing, "kill-flushed"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()
    assert crashed.stdout.decode().split() == ["committed", "1"]
    assert set(restored_batches(url, state_dir, producing).values()) == {restored}


@pytest.mark.slow
@pytest.mark.parametrize("producing", ["plain", "transactional"])
def test_kill_at_random_moments_then_restore(tmp_path: Path, producing: str) -> None:
    url, state_dir = f"embedded://{tmp_path / 'log'}", tmp_path / "state"
    rng = random.Random(12)
    # Forked from a warm interpreter: the rounds test the kills, not the imports.
    with WarmStarter(f"{WRITER}:main", preamble=PRELOADED) as starter:
        for _round in range(8):
            _kill_and_restore(starter, rng, url, state_dir, producing)


def _kill_and_restore(
    starter: WarmStarter, rng: random.Random, url: str, state_dir: Path, producing: str
) -> None:
    writer = starter.start([url, str(state_dir), producing, "loop"])
    assert writer.stdout is not None
    first = writer.stdout.readline()  # started, restored and committed once
    assert first.startswith(b"committed"), writer.stderr.read() if writer.stderr else b""
    time.sleep(rng.uniform(0.0, 0.4))
    writer.send_signal(signal.SIGKILL)
    out, _ = writer.communicate(timeout=30)
    lines = (first + out).decode().splitlines()
    committed = max(int(line.split()[1]) for line in lines if COMMITTED.fullmatch(line))

    batches = restored_batches(url, state_dir, producing)
    assert len(batches) == KEYS + 1
    # Never older than the last commit; newer by at most the batch it was sending (whose
    # commit may have happened before the kill, the print not).
    assert min(batches.values()) >= committed
    assert max(batches.values()) <= committed + 1
    if producing == "transactional":
        assert len(set(batches.values())) == 1, f"a torn state: {batches}"
    # The local file and the changelog agree: a rebuild from scratch gives the same.
    shutil.rmtree(state_dir)
    assert restored_batches(url, state_dir, producing) == batches
