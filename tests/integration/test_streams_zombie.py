"""A stream application process frozen in the middle of a transaction, past the group's
session timeout, is a zombie: another process of the application takes its partitions over.
When it wakes up, the log refuses to commit its transaction (its offsets are committed with
the consumer's group metadata); it drops the batch, rejoins the group and goes on — no event
is counted twice, none is missed, and it does not crash.

Each process runs a ``StreamApplication`` of its own (own state dir) over one embedded log.
A user function freezes the process (``SIGSTOP`` to itself) on a marked record, so the freeze
lands inside the batch's transaction every time.
"""

from __future__ import annotations

import json
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    TopicNotFound,
    TopicPartition,
    TopicSpec,
    open_log,
)
from tests.support.tansu import GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS

pytestmark = pytest.mark.slow

PARTITIONS = 4
KEYS = 16
WAIT_S = 30.0
FREEZE_KEY = 5

SQL = """
CREATE STREAM clicks (id INT KEY, page STRING) WITH (kafka_topic='clicks', value_format='JSON');
CREATE TABLE counts WITH (kafka_topic='click_counts') AS
  SELECT id, COUNT(*) AS n FROM clicks WHERE FREEZE_ON(page) GROUP BY id EMIT CHANGES;
"""

MEMBER = """
import json, os, select, signal, sys
from streammesh.log import open_log
from streammesh.streams.engine import StreamApplication
from streammesh.streams.functions import udf
from streammesh.streams.functions.builtins import builtin_registry
from streammesh.streams.planner import plan_statements
from streammesh.streams.sql import parse_statements

url, name, state, marker, session_ms, heartbeat_ms, sql = sys.argv[1:8]
registry = builtin_registry()

@udf(name="freeze_on", registry=registry)
def freeze_on(page: str) -> bool:
    if page == "freeze":
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))  # the first process to see it
        except FileExistsError:
            return True
        print(json.dumps({"freezing": True}), flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)  # inside the batch's open transaction
    return True

script = plan_statements(parse_statements(sql), text=sql, registry=registry)
log = open_log(url)
app = StreamApplication(
    log, script.queries[0], name, registry=registry, state_dir=state,
    session_timeout_ms=int(session_ms), heartbeat_interval_ms=int(heartbeat_ms),
)
reported = None
with app:
    app.start()
    while not select.select([sys.stdin], [], [], 0)[0]:  # EOF on stdin: close and exit
        app.poll_once(timeout=0.1)
        report = {"partitions": sorted(app.stats()), "in": app.totals().records_in}
        if report != reported:
            reported = report
            print(json.dumps(report), flush=True)
log.close()
"""


class Member:
    """One application process and its latest report."""

    def __init__(self, url: str, state: Path, marker: Path) -> None:
        timing = [str(GROUP_SESSION_TIMEOUT_MS), str(GROUP_HEARTBEAT_INTERVAL_MS)]
        self.process = subprocess.Popen(
            [sys.executable, "-c", MEMBER, url, "zombies", str(state), str(marker), *timing, SQL],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.report: dict[str, Any] = {"partitions": [], "in": 0}
        self.froze = False
        self._lines: queue.Queue[dict[str, Any]] = queue.Queue()
        stdout = self.process.stdout
        assert stdout is not None
        self._reader = threading.Thread(
            target=lambda: [self._lines.put(json.loads(line)) for line in stdout], daemon=True
        )
        self._reader.start()

    def update(self) -> None:
        while not self._lines.empty():
            line = self._lines.get_nowait()
            if line.get("freezing"):
                self.froze = True
            else:
                self.report = line

    def finish(self) -> tuple[int, str]:
        """Close stdin (the process closes its application and exits); code and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            code = self.process.wait(timeout=WAIT_S)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._reader.join(timeout=5)
        assert self.process.stderr is not None
        errors = self.process.stderr.read()
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        return code, errors


def produce(log: EventLog, pages: list[tuple[int, str]]) -> None:
    with log.producer() as producer:
        for key, page in pages:
            value = json.dumps({"PAGE": page}).encode()
            producer.send("clicks", value, key=struct.pack(">i", key))


def counts(log: EventLog) -> dict[int, list[int]]:
    """Per key, the counts output so far, in order (committed transactions only)."""
    try:
        log.describe_topic("click_counts")
    except TopicNotFound:
        return {}
    partitions = [TopicPartition("click_counts", p) for p in range(PARTITIONS)]
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    found: dict[int, list[int]] = defaultdict(list)
    with log.consumer(options) as reader:
        reader.assign(partitions)
        reader.seek_to_beginning()
        ends = reader.end_offsets(partitions)
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            for record in reader.poll(timeout=0.2):
                (key,) = struct.unpack(">i", record.key or b"")
                found[key].append(json.loads(record.value or b"null")["N"])
    return found


def wait_until(what: str, members: list[Member], done: Any) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        for member in members:
            member.update()
        if done():
            return
        assert time.monotonic() < deadline, (what, [m.report for m in members])
        time.sleep(0.2)


def test_a_frozen_process_cannot_commit_over_the_process_that_took_its_partitions(
    tmp_path: Path,
) -> None:
    url = f"embedded://{tmp_path}/log"
    log = open_log(url)
    log.create_topic(TopicSpec("clicks", partitions=PARTITIONS))
    marker = tmp_path / "froze"
    members = [Member(url, tmp_path / f"state-{n}", marker) for n in range(2)]
    try:
        wait_until(
            "a share each",
            members,
            lambda: all(len(m.report["partitions"]) == PARTITIONS // 2 for m in members),
        )
        sent = [(n % KEYS, "p") for n in range(400)]
        produce(log, sent)
        wait_until("the first input", members, lambda: sum(m.report["in"] for m in members) == 400)

        # A batch with the marked record in the middle: its process freezes inside it.
        batch = [(n % KEYS, "p") for n in range(200)]
        batch.insert(100, (FREEZE_KEY, "freeze"))
        produce(log, batch)
        sent += batch
        wait_until("a freeze", members, lambda: any(m.froze for m in members))
        (zombie,) = [m for m in members if m.froze]
        (awake,) = [m for m in members if not m.froze]
        wait_until(
            "the take-over",
            members,
            lambda: sum(len(values) for values in counts(log).values()) == len(sent),
        )
        assert len(awake.report["partitions"]) == PARTITIONS

        zombie.process.send_signal(signal.SIGCONT)  # it tries to commit its batch
        more = [(n % KEYS, "p") for n in range(400)]
        produce(log, more)
        sent += more
        wait_until(
            "a share each again",
            members,
            lambda: (
                all(len(m.report["partitions"]) == PARTITIONS // 2 for m in members)
                and sum(len(values) for values in counts(log).values()) == len(sent)
            ),
        )
        time.sleep(1.0)  # a duplicate would come after the last expected update
        final = counts(log)
    finally:
        results = [member.finish() for member in members]
        log.close()
    assert [code for code, _ in results] == [0, 0], results
    expected = defaultdict(int)
    for key, _ in sent:
        expected[key] += 1
    assert {key: len(values) for key, values in final.items()} == dict(expected)
    for key, values in final.items():
        assert values == list(range(1, expected[key] + 1)), (key, values)
