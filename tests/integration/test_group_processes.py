"""Consumer-group members in separate processes share a topic and take over from each other.

Each member is a small Python process that subscribes, polls, commits after every batch and
reports its assignment and the records it read as JSON lines. The test starts and stops
members around a producer in the test process: partitions move when a member joins; when one
closes or is killed with SIGKILL, the survivor takes its partitions over, and every record is
consumed (at least once: nothing is lost).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.log import EventLog, TopicSpec, open_log
from tests.support.tansu import GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS

pytestmark = pytest.mark.slow

PARTITIONS = 4
SESSION_TIMEOUT_MS = GROUP_SESSION_TIMEOUT_MS
TAKEOVER_LIMIT_S = SESSION_TIMEOUT_MS / 1_000 + 10
"""Failure detection (the session timeout) plus a rebalance (~1 s on the test broker)."""
WAIT_S = 30.0

MEMBER = """
import json, select, sys
from streammesh.log import ConsumerOptions, open_log

url, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
session_ms, heartbeat_ms = int(sys.argv[4]), int(sys.argv[5])
if sys.stdin.readline() != "join\\n":  # started ahead of its turn, which never came
    sys.exit(0)
log = open_log(url)
consumer = log.consumer(
    ConsumerOptions(group=group, session_timeout_ms=session_ms, heartbeat_interval_ms=heartbeat_ms)
)
consumer.subscribe([topic])
reported = None
while not select.select([sys.stdin], [], [], 0)[0]:  # a line or EOF on stdin: leave
    records = consumer.poll(timeout=0.2)
    if records:
        consumer.commit()
    assignment = sorted(tp.partition for tp in consumer.assignment())
    if records or assignment != reported:
        reported = assignment
        read = [[r.partition, r.offset] for r in records]
        print(json.dumps({"assignment": assignment, "records": read}), flush=True)
consumer.close()
log.close()
print(json.dumps({"closed": True}), flush=True)
"""


class Member:
    """One group member process and what it reported so far.

    The process starts (importing its modules) at once, and joins the group when told to
    (:meth:`join`): a test starts its members ahead of their turn, so that their start-up
    overlaps what comes before instead of adding to it.
    """

    def __init__(self, url: str, topic: str, group: str) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                MEMBER,
                url,
                topic,
                group,
                str(SESSION_TIMEOUT_MS),
                str(GROUP_HEARTBEAT_INTERVAL_MS),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.assignment: frozenset[int] = frozenset()
        self.consumed: set[tuple[int, int]] = set()
        self.closed = False
        self._reports: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read_reports, daemon=True)
        self._reader.start()

    def _read_reports(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._reports.put(json.loads(line))

    def join(self) -> Member:
        """Subscribe to the topic (joining the group) now."""
        assert self.process.stdin is not None
        self.process.stdin.write("join\n")
        self.process.stdin.flush()
        return self

    def update(self) -> None:
        """Take in every report that has arrived."""
        while not self._reports.empty():
            report = self._reports.get_nowait()
            if report.get("closed"):
                self.closed = True
                self.assignment = frozenset()
                continue
            self.assignment = frozenset(report["assignment"])
            self.consumed.update((p, o) for p, o in report["records"])

    def leave(self) -> None:
        """Ask the member to close its consumer (leaving the group) and exit."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=WAIT_S) == 0
        time.sleep(0.1)  # let the reader thread deliver the final report
        self.update()
        assert self.closed

    def kill(self) -> None:
        """Stop the member without leaving: it simply stops heartbeating."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.update()
        self.assignment = frozenset()

    def stop(self) -> None:
        """Make sure the process is gone and its pipes are closed."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


Condition = Callable[[], str]
"""What is still wrong about the members' state, or ``""`` once it holds."""


def wait_for(members: list[Member], problem: Condition, what: str) -> float:
    """Wait until ``problem()`` is empty for the members' reports; return the seconds it took."""
    started = time.monotonic()
    while True:
        for member in members:
            member.update()
            assert member.process.poll() is None or member.closed, "a member process died"
        remaining = problem()
        if not remaining:
            return time.monotonic() - started
        assert time.monotonic() - started < WAIT_S, f"timed out waiting for {what}: {remaining}"
        time.sleep(0.05)


def holds(condition: Callable[[], bool], members: list[Member]) -> Condition:
    """A condition on assignments; while unmet, it shows every member's partitions."""
    return lambda: "" if condition() else f"assignments {[sorted(m.assignment) for m in members]}"


def split(members: list[Member]) -> Condition:
    """Every partition held by exactly one of ``members``, each holding at least one."""

    def settled() -> bool:
        held = [p for member in members for p in member.assignment]
        return all(m.assignment for m in members) and sorted(held) == list(range(PARTITIONS))

    return holds(settled, members)


def all_read(readers: list[Member], expected: set[tuple[int, int]]) -> Condition:
    """Every (partition, offset) in ``expected`` was read by one of ``readers`` (all members
    so far, since any of them may have read a record before leaving)."""

    def problem() -> str:
        missing = expected - set().union(*(m.consumed for m in readers))
        return f"{len(missing)} records unread, e.g. {sorted(missing)[:5]}" if missing else ""

    return problem


def holds_all(member: Member) -> Condition:
    return holds(lambda: member.assignment == set(range(PARTITIONS)), [member])


@pytest.fixture(
    params=[
        pytest.param("embedded", id="embedded"),
        pytest.param("kafka", id="kafka", marks=pytest.mark.kafka),
    ]
)
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "embedded":
        return f"embedded://{tmp_path}/log"
    return f"kafka://{request.getfixturevalue('kafka_bootstrap')}"


@pytest.fixture
def members(log_url: str) -> Iterator[Callable[[str, str], Member]]:
    started: list[Member] = []

    def start(topic: str, group: str) -> Member:
        member = Member(log_url, topic, group)
        started.append(member)
        return member

    yield start
    for member in started:
        member.stop()


def test_members_in_processes_share_partitions_and_take_over(
    log_url: str, members: Callable[[str, str], Member]
) -> None:
    suffix = f"{os.getpid()}-{time.monotonic_ns()}"
    topic, group = f"group-processes-{suffix}", f"group-processes-{suffix}"
    log = open_log(log_url)
    try:
        log.create_topic(TopicSpec(topic, partitions=PARTITIONS))
        run_scenario(log, topic, group, members)
    finally:
        log.close()


def run_scenario(
    log: EventLog, topic: str, group: str, start: Callable[[str, str], Member]
) -> None:
    produced = 0

    def produce(count: int) -> set[tuple[int, int]]:
        """Send ``count`` more keyed records; return every (partition, offset) in the topic."""
        nonlocal produced
        with log.producer() as producer:
            for n in range(produced, produced + count):
                producer.send(topic, b"event", key=f"key-{n}".encode())
        produced += count
        ends = log.describe_topic(topic).end_offsets
        return {(p, o) for p, end in ends.items() for o in range(end)}

    first, joining, doomed = (start(topic, group) for _ in range(3))
    first.join()
    wait_for([first], holds_all(first), "the first member")
    expected = produce(100)
    wait_for([first], all_read([first], expected), "the first member to read")

    # A member joins: partitions move to it.
    joining.join()
    wait_for([first, joining], split([first, joining]), "partitions to move to the new member")
    expected = produce(100)
    wait_for([first, joining], all_read([first, joining], expected), "both members to read")

    # It leaves cleanly: the survivor takes its partitions back.
    joining.leave()
    took = wait_for([first], holds_all(first), "takeover on leave")
    assert took < TAKEOVER_LIMIT_S
    expected = produce(100)
    wait_for([first], all_read([first, joining], expected), "the survivor to read")

    # Another joins, then dies without leaving: the survivor takes over after the timeout.
    doomed.join()
    wait_for([first, doomed], split([first, doomed]), "partitions to move to the third member")
    expected = produce(100)
    wait_for([first, doomed], all_read([first, joining, doomed], expected), "the third to read")
    doomed.kill()
    took = wait_for([first], holds_all(first), "takeover on kill")
    assert took < TAKEOVER_LIMIT_S
    expected = produce(100)
    wait_for([first], all_read([first, joining, doomed], expected), "the survivor to read all")

    first.leave()
    assert first.consumed | joining.consumed | doomed.consumed >= expected
