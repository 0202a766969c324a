"""A process killed (SIGKILL) while it writes to a store: the state restored afterwards is the
state of its last commit, or — without a transactional producer — at most the changes it had
sent to the changelog after that commit (the at-least-once gap), never less, never torn by
the local file."""

from __future__ import annotations

import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from streammesh.log import open_log
from streammesh.streams.state import KeyValueStore, StoreContext, TaskId

KEYS = 50
COMMITTED = re.compile(r"committed \d+")

# argv: log url, state dir, application, how to end ("loop", or "kill-unflushed" /
# "kill-flushed" after the first commit). Each batch sets every key to the batch number.
WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from streammesh.log import open_log
    from streammesh.streams.state import KeyValueStore, StoreContext, TaskId

    url, state_dir, application, mode = sys.argv[1:5]
    log = open_log(url)
    producer, reader = log.producer(), log.consumer()
    context = StoreContext(log, Path(state_dir), application, TaskId(0, 0), 1, producer, reader)
    store = KeyValueStore(context, "totals")
    batch = int(store.get(b"batch") or b"0")

    def write(n):
        for key in range(KEYS):
            store.put(b"k%d" % key, b"%d" % n)
        store.put(b"batch", b"%d" % n)

    while True:
        batch += 1
        write(batch)
        if mode == "kill-unflushed" and batch > 1:
            os.kill(os.getpid(), signal.SIGKILL)
        store.flush()
        producer.flush()
        if mode == "kill-flushed" and batch > 1:
            os.kill(os.getpid(), signal.SIGKILL)
        store.commit()
        print("committed", batch, flush=True)
    """
).replace("KEYS", str(KEYS))


def run_writer(url: str, state_dir: Path, mode: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", WRITER, url, str(state_dir), "app", mode],
        capture_output=True,
        timeout=60,
        check=False,
    )


def restored_batches(url: str, state_dir: Path) -> dict[bytes, int]:
    """Open the store as the next owner of the task would; its values by key."""
    log = open_log(url)
    producer, reader = log.producer(), log.consumer()
    try:
        context = StoreContext(log, state_dir, "app", TaskId(0, 0), 1, producer, reader)
        with KeyValueStore(context, "totals") as store:
            return {key: int(value) for key, value in store.all()}
    finally:
        reader.close()
        producer.close()
        log.close()


def test_killed_between_commits_restores_the_last_commit(tmp_path: Path) -> None:
    url, state_dir = f"embedded://{tmp_path / 'log'}", tmp_path / "state"
    crashed = run_writer(url, state_dir, "kill-unflushed")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()
    assert crashed.stdout.decode().split() == ["committed", "1"]
    assert set(restored_batches(url, state_dir).values()) == {1}


def test_killed_after_sending_before_committing_restores_what_was_sent(tmp_path: Path) -> None:
    """The at-least-once gap: without a transaction, changelog records that reached the log
    before the crash are restored although their commit never happened."""
    url, state_dir = f"embedded://{tmp_path / 'log'}", tmp_path / "state"
    crashed = run_writer(url, state_dir, "kill-flushed")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()
    assert crashed.stdout.decode().split() == ["committed", "1"]
    assert set(restored_batches(url, state_dir).values()) == {2}


@pytest.mark.slow
def test_kill_at_random_moments_then_restore(tmp_path: Path) -> None:
    url, state_dir = f"embedded://{tmp_path / 'log'}", tmp_path / "state"
    rng = random.Random(12)
    for _round in range(8):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(state_dir), "app", "loop"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert writer.stdout is not None
        first = writer.stdout.readline()  # started, restored and committed once
        assert first.startswith(b"committed"), writer.stderr.read() if writer.stderr else b""
        time.sleep(rng.uniform(0.0, 0.4))
        writer.send_signal(signal.SIGKILL)
        out, _ = writer.communicate(timeout=30)
        lines = (first + out).decode().splitlines()
        committed = max(int(line.split()[1]) for line in lines if COMMITTED.fullmatch(line))

        batches = restored_batches(url, state_dir)
        assert len(batches) == KEYS + 1
        # Never older than the last commit; newer by at most the batch it was sending.
        assert min(batches.values()) >= committed
        assert max(batches.values()) <= committed + 1
        # The local file and the changelog agree: a rebuild from scratch gives the same.
        shutil.rmtree(state_dir)
        assert restored_batches(url, state_dir) == batches
