"""Two ``streammesh streams run`` processes of one application on one embedded mesh share
the input partitions through the consumer group; when one is killed with SIGKILL, the other
takes its partitions over, restores their counts from the changelogs and finishes the input:
every count update is output once, none missing."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import struct
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from streammesh.config import MeshConfig
from streammesh.log import (
    ConsumerOptions,
    IsolationLevel,
    TopicNotFound,
    TopicPartition,
    TopicSpec,
)
from streammesh.runtime import MeshRuntime
from tests.support.streammesh_server import warm_streammesh
from tests.support.warm_processes import WarmStarter

pytestmark = pytest.mark.slow

PARTITIONS = 4
KEYS = 16
WAIT_S = 30.0

COUNTS = """\
CREATE STREAM clicks (id INT KEY, page STRING) WITH (kafka_topic='clicks', value_format='JSON');
CREATE TABLE counts WITH (kafka_topic='click_counts') AS
  SELECT id, COUNT(*) AS n FROM clicks GROUP BY id EMIT CHANGES;
"""


class _Running:
    """A ``streams run`` process and the lines it prints (read by a thread)."""

    def __init__(
        self, home: Path, sql: Path, name: str, starter: WarmStarter | None = None
    ) -> None:
        command = ["streams", "run", str(sql), "--name", name, "--mesh", str(home)]
        # A process of its own, forked from a warm interpreter (no second import).
        self.process = (starter or warm_streammesh()).start(
            [*command, "--interval", "0.3"], env=dict(os.environ), cwd=os.getcwd()
        )
        assert self.process.stdout is not None
        stdout = self.process.stdout
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(
            target=lambda: [self.lines.put(line.decode()) for line in stdout], daemon=True
        )
        self.reader.start()
        self.last = ""

    def started(self) -> None:
        """Wait for the line saying the application runs."""
        try:
            self.last = self.lines.get(timeout=WAIT_S)
        except queue.Empty:
            _, errors = self.finish(signal.SIGKILL)
            raise AssertionError(f"streams run did not start: {errors}") from None
        assert self.last.startswith("running "), self.last

    def events_in(self) -> int:
        """The input events the last progress line counts."""
        while not self.lines.empty():
            self.last = self.lines.get()
        found = re.search(r": in ([\d,]+) ", self.last)
        return int(found.group(1).replace(",", "")) if found else 0

    def finish(self, sig: signal.Signals) -> tuple[int, str]:
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=15)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.reader.join(timeout=5)
            assert self.process.stdout is not None and self.process.stderr is not None
            errors = self.process.stderr.read().decode()
            self.process.stdout.close()
            self.process.stderr.close()
        return code, errors


def _produce(runtime: MeshRuntime, start: int, count: int) -> None:
    with runtime.log.producer() as producer:
        for n in range(start, start + count):
            producer.send("clicks", b'{"PAGE": "p"}', key=struct.pack(">i", n % KEYS))


def _counts(runtime: MeshRuntime) -> dict[int, list[int]]:
    """Per key, the counts output so far, in order."""
    partitions = [TopicPartition("click_counts", p) for p in range(PARTITIONS)]
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    found: dict[int, list[int]] = defaultdict(list)
    with runtime.log.consumer(options) as reader:
        reader.assign(partitions)
        reader.seek_to_beginning()
        ends = reader.end_offsets(partitions)
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            for record in reader.poll(timeout=0.2):
                (key,) = struct.unpack(">i", record.key or b"")
                found[key].append(json.loads(record.value or b"null")["N"])
    return found


def _wait_for_counts(runtime: MeshRuntime, total: int) -> dict[int, list[int]]:
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            counts = _counts(runtime)
        except TopicNotFound:  # not created yet
            counts = {}
        if sum(len(values) for values in counts.values()) >= total:
            return counts
        assert time.monotonic() < deadline, {key: len(values) for key, values in counts.items()}
        time.sleep(0.3)


def _share(runtime: MeshRuntime, *processes: _Running) -> int:
    """Send input until every process has run some (the group gave each a share) and all of
    it is counted; how many events were sent."""
    sent = 0
    deadline = time.monotonic() + WAIT_S
    while not all(running.events_in() for running in processes):
        assert time.monotonic() < deadline, [running.last for running in processes]
        _produce(runtime, sent, 400)
        sent += 400
        _wait_for_counts(runtime, sent)
        while sum(running.events_in() for running in processes) < sent:
            assert time.monotonic() < deadline, [running.last for running in processes]
            time.sleep(0.2)
    return sent


def _start_both(home: Path, tmp_path: Path) -> tuple[_Running, _Running]:
    sql = tmp_path / "counts.sql"
    sql.write_text(COUNTS, encoding="utf-8")
    name = f"counts-{uuid.uuid4().hex[:6]}"
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        runtime.log.create_topic(TopicSpec("clicks", partitions=PARTITIONS))
    first = _Running(home, sql, name)
    second = _Running(home, sql, name)
    for running in (first, second):
        running.started()
    return first, second


def _assert_each_update_once(counts: dict[int, list[int]], total: int) -> None:
    per_key = total // KEYS
    assert sorted(counts) == list(range(KEYS))
    for key, values in counts.items():
        assert values == list(range(1, per_key + 1)), (key, values[:5], len(values))


def test_two_processes_share_an_application_and_one_takes_over_after_a_kill(
    tmp_path: Path,
) -> None:
    home = tmp_path / "mesh"
    survivor, victim = _start_both(home, tmp_path)
    try:
        with MeshRuntime.open(MeshConfig.load(home)) as runtime:
            sent = _share(runtime, survivor, victim)
            _produce(runtime, sent, 2_000)
            time.sleep(0.2)  # the victim is busy with its share of these
            code, _ = victim.finish(signal.SIGKILL)
            assert code == -signal.SIGKILL
            # Counted on from the victim's state, restored by the survivor from the changelog.
            _produce(runtime, sent + 2_000, 1_600)
            total = sent + 3_600
            counts = _wait_for_counts(runtime, total)
            time.sleep(1.0)  # a duplicate would come after the last expected update
            counts = _counts(runtime)
    finally:
        if victim.process.poll() is None:
            victim.finish(signal.SIGKILL)
        code, errors = survivor.finish(signal.SIGINT)
    assert code == 0, errors
    _assert_each_update_once(counts, total)


LONG_SESSION_S = 30
LONG_SESSION = f"""
from streammesh.streams.engine.application import StreamApplication
StreamApplication.__init__.__kwdefaults__.update(session_timeout_ms={LONG_SESSION_S * 1000})
"""
"""A preamble for ``streammesh`` whose group sessions last 30 s: a restart that waited for the
session of the process killed before it would take that long."""


def test_a_killed_process_restarted_takes_its_partitions_back_at_once(tmp_path: Path) -> None:
    home = tmp_path / "mesh"
    sql = tmp_path / "counts.sql"
    sql.write_text(COUNTS, encoding="utf-8")
    name = f"counts-{uuid.uuid4().hex[:6]}"
    with (
        WarmStarter("streammesh.cli.main:main", preamble=LONG_SESSION) as long_sessions,
        MeshRuntime.open(MeshConfig.load(home)) as runtime,
    ):
        runtime.log.create_topic(TopicSpec("clicks", partitions=PARTITIONS))
        first = _Running(home, sql, name, long_sessions)
        first.started()
        _produce(runtime, 0, 400)
        _wait_for_counts(runtime, 400)
        code, _ = first.finish(signal.SIGKILL)  # gone without leaving its group
        assert code == -signal.SIGKILL

        again = _Running(home, sql, name, long_sessions)  # same mesh: the same instance id
        try:
            again.started()
            restarted = time.monotonic()
            _produce(runtime, 400, 400)
            counts = _wait_for_counts(runtime, 800)
            took = time.monotonic() - restarted
        finally:
            code, errors = again.finish(signal.SIGINT)
    assert code == 0, errors
    assert took < LONG_SESSION_S / 3, f"every partition counted {took:.1f} s after the restart"
    _assert_each_update_once(counts, 800)
