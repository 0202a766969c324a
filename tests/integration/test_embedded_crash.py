"""A flushed record survives ``kill -9`` of its producer, exactly once, and the log still works.

Each round starts a producer process that sends numbered records in batches and prints the
last sequence number of a batch once ``flush()`` has returned; the parent kills it with
SIGKILL at a random moment, then opens the log, checks that every acknowledged sequence is
there once (and no sequence twice), and appends a record of its own.
"""

from __future__ import annotations

import os
import random
import select
import signal
import struct
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from streammesh.log import EventLog, Record, TopicPartition, TopicSpec, open_log

pytestmark = pytest.mark.slow

ROUNDS = 20
PARTITIONS = 3
TOPIC = "crash.test"
MARKER_ROUND = 0xFFFFFFFF
"""Records the parent appends after each round carry this in place of a round number."""

PRODUCER = """
import struct, sys
from streammesh.log import open_log

url, topic, round_no = sys.argv[1], sys.argv[2], int(sys.argv[3])
producer = open_log(url).producer()
seq = 0
while True:
    for _ in range(200):
        producer.send(topic, struct.pack(">II", round_no, seq))
        seq += 1
    producer.flush()
    print(seq - 1, flush=True)
"""
"""Each record is 8 bytes: (round, sequence), keyless, so spread over the partitions."""


def run_and_kill(url: str, round_no: int, rng: random.Random) -> int:
    """Run one producer, SIGKILL it at a random moment; return the last acknowledged sequence."""
    child = subprocess.Popen(
        [sys.executable, "-c", PRODUCER, url, TOPIC, str(round_no)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        ready, _, _ = select.select([child.stdout], [], [], 30)
        assert ready, "the producer acknowledged nothing within 30 s"
        first = child.stdout.readline()
        assert first.strip().isdigit(), f"producer failed to start (exit {child.poll()})"
        time.sleep(rng.uniform(0.0, 0.25))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    acknowledged = [first, *child.stdout.read().splitlines()]
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    # A line cut short by the kill was never a complete acknowledgement.
    return max(int(line) for line in acknowledged if line.strip().isdigit())


def read_range(log: EventLog, starts: dict[int, int]) -> list[Record]:
    """Every record from ``starts[partition]`` to the end of each partition."""
    partitions = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
    with log.consumer() as reader:
        reader.assign(partitions)
        for tp in partitions:
            reader.seek(tp, starts[tp.partition])
        ends = reader.end_offsets(partitions)
        records: list[Record] = []
        deadline = time.monotonic() + 30
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            assert time.monotonic() < deadline, "could not read the log to its end"
            records.extend(reader.poll(timeout=0.2))
    return records


def check_round(log: EventLog, round_no: int, acked: int, starts: dict[int, int]) -> None:
    """The previous round's marker and every acknowledged sequence are there, none twice."""
    described = log.describe_topic(TOPIC)
    assert dict(described.beginning_offsets) == dict.fromkeys(range(PARTITIONS), 0)
    records = read_range(log, starts)
    decoded = [(r.partition, r.offset, *struct.unpack(">II", r.value or b"")) for r in records]

    markers = [row for row in decoded if row[2] == MARKER_ROUND]
    expected_markers = [(0, starts[0])] if round_no else []
    assert [(p, o) for p, o, _, _ in markers] == expected_markers
    mine = [row for row in decoded if row[2] != MARKER_ROUND]
    assert {row[2] for row in mine} <= {round_no}, "records of an earlier round reappeared"

    counts = Counter(seq for _, _, _, seq in mine)
    assert [seq for seq, n in counts.items() if n > 1] == [], "a sequence was written twice"
    missing = set(range(acked + 1)) - set(counts)
    assert not missing, f"round {round_no}: acknowledged sequences lost: {sorted(missing)[:10]}"
    for partition in range(PARTITIONS):
        seqs = [seq for p, _, _, seq in mine if p == partition]
        assert seqs == sorted(seqs), f"partition {partition} holds sequences out of order"


def append_marker(log: EventLog, round_no: int) -> dict[int, int]:
    """Append and flush one record; return where the next round's check starts reading."""
    with log.producer() as producer:
        producer.send(TOPIC, struct.pack(">II", MARKER_ROUND, round_no), partition=0)
        producer.flush()
    ends = dict(log.describe_topic(TOPIC).end_offsets)
    return {**ends, 0: ends[0] - 1}


def test_flushed_records_survive_kill_9_exactly_once(tmp_path: Path) -> None:
    url = f"embedded://{tmp_path}/log"
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    setup = open_log(url)
    setup.create_topic(TopicSpec(TOPIC, partitions=PARTITIONS, retention_ms=None))
    setup.close()
    starts = dict.fromkeys(range(PARTITIONS), 0)

    for round_no in range(ROUNDS):
        acked = run_and_kill(url, round_no, rng)
        log = open_log(url)
        try:
            check_round(log, round_no, acked, starts)
            starts = append_marker(log, round_no)
        finally:
            log.close()

    final = open_log(url)
    try:
        [marker] = read_range(final, starts)
        assert struct.unpack(">II", marker.value or b"") == (MARKER_ROUND, ROUNDS - 1)
    finally:
        final.close()
