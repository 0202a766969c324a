"""A consume-transform-produce task killed with ``kill -9`` mid-transaction, round after round,
leaves the embedded log exactly as if each input record had been processed once.

The task reads numbered input records (group ``task``, offsets committed only through its
transactions), writes two output records per input record to different partitions, and
commits outputs and input offsets in one transaction; it prints the total input position
after each commit returns. Each round the parent kills it at a random moment, then checks
with a ``read_committed`` reader that the output holds both halves of exactly the input
records below the committed offsets — no half transaction, none twice, none missing — and
that every acknowledged commit is there. A last run without a kill finishes the input.
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

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    Record,
    TopicPartition,
    TopicSpec,
    open_log,
)

pytestmark = pytest.mark.slow

ROUNDS = 12
INPUT, OUTPUT = "crash.input", "crash.output"
INPUT_PARTITIONS, OUTPUT_PARTITIONS = 2, 3
INPUT_RECORDS = 60_000
"""Input record ``seq`` sits in partition ``seq % 2`` at offset ``seq // 2``."""

TASK = """
import random, struct, sys
from streammesh.log import (
    ConsumerOptions, IsolationLevel, ProducerOptions, TopicPartition, open_log,
)

url, source, sink, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
largest = int(sys.argv[5])
rng = random.Random()
log = open_log(url)
producer = log.producer(ProducerOptions(transactional_id="task"))
producer.init_transactions()
consumer = log.consumer(
    ConsumerOptions(
        group="task", auto_commit=False, isolation_level=IsolationLevel.READ_COMMITTED
    )
)
tps = [TopicPartition(source, p) for p in range(partitions)]
consumer.assign(tps)
ends = consumer.end_offsets(tps)
while True:
    records = consumer.poll(timeout=0.2, max_records=rng.randint(1, largest))
    if not records:
        if all(consumer.position(tp) >= ends[tp] for tp in tps):
            print("done", flush=True)
            break
        continue
    producer.begin_transaction()
    for record in records:
        (seq,) = struct.unpack(">I", record.value)
        producer.send(sink, struct.pack(">II", seq, 0), key=b"%d-a" % seq)
        producer.send(sink, struct.pack(">II", seq, 1), key=b"%d-b" % seq)
    positions = {tp: consumer.position(tp) for tp in tps}
    producer.send_offsets_to_transaction(positions, consumer.group_metadata())
    producer.commit_transaction()
    print(sum(positions.values()), flush=True)
"""


def start_task(url: str, largest_batch: int = 64) -> subprocess.Popen[str]:
    """The task, reading batches of 1 to ``largest_batch`` records (one transaction each)."""
    return subprocess.Popen(
        [sys.executable, "-c", TASK, url, INPUT, OUTPUT, str(INPUT_PARTITIONS), str(largest_batch)],
        stdout=subprocess.PIPE,
        text=True,
    )


def run_and_kill(url: str, rng: random.Random) -> int:
    """Run the task, SIGKILL it at a random moment; the last total position it acknowledged."""
    child = start_task(url)
    assert child.stdout is not None
    try:
        ready, _, _ = select.select([child.stdout], [], [], 30)
        assert ready, "the task committed nothing within 30 s"
        first = child.stdout.readline()
        assert first.strip(), f"the task failed to start (exit {child.poll()})"
        time.sleep(rng.uniform(0.0, 0.2))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    lines = [first, *child.stdout.read().splitlines()]
    child.stdout.close()
    # A line cut short by the kill was never a complete acknowledgement.
    return max((int(line) for line in lines if line.strip().isdigit()), default=0)


def read_committed_output(log: EventLog) -> list[Record]:
    partitions = [TopicPartition(OUTPUT, p) for p in range(OUTPUT_PARTITIONS)]
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED)
    with log.consumer(options) as reader:
        reader.assign(partitions)
        reader.seek_to_beginning()
        ends = reader.end_offsets(partitions)
        records: list[Record] = []
        deadline = time.monotonic() + 30
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            assert time.monotonic() < deadline, "could not read the output to its end"
            records.extend(reader.poll(timeout=0.2))
    return records


def check(log: EventLog, acknowledged: int) -> int:
    """The output is exactly the committed input's, each record's two halves once; return the
    total committed input position."""
    committed = log.committed_offsets("task", INPUT)
    assert all(offset is not None for offset in committed.values()) or acknowledged == 0
    done = {p: offset or 0 for p, offset in committed.items()}
    total = sum(done.values())
    assert total >= acknowledged, f"acknowledged commit lost: {total} < {acknowledged}"
    expected = {offset * INPUT_PARTITIONS + p for p, end in done.items() for offset in range(end)}
    halves = Counter(struct.unpack(">II", r.value or b"") for r in read_committed_output(log))
    assert [half for half, n in halves.items() if n > 1] == [], "an output record twice"
    seqs = Counter(seq for seq, _ in halves)
    partial = [seq for seq, n in seqs.items() if n != 2]
    assert partial == [], f"half a transaction is visible for input {partial[:10]}"
    assert set(seqs) == expected, (
        f"output and committed offsets disagree: {len(set(seqs) - expected)} extra, "
        f"{len(expected - set(seqs))} missing"
    )
    return total


def test_a_killed_task_never_leaves_a_partial_or_repeated_transaction(tmp_path: Path) -> None:
    url = f"embedded://{tmp_path}/log"
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    setup = open_log(url)
    setup.create_topic(TopicSpec(INPUT, partitions=INPUT_PARTITIONS, retention_ms=None))
    setup.create_topic(TopicSpec(OUTPUT, partitions=OUTPUT_PARTITIONS, retention_ms=None))
    with setup.producer() as producer:
        for seq in range(INPUT_RECORDS):
            producer.send(INPUT, struct.pack(">I", seq), partition=seq % INPUT_PARTITIONS)
    setup.close()

    progress = []
    for _ in range(ROUNDS):
        acknowledged = run_and_kill(url, rng)
        log = open_log(url)
        try:
            progress.append(check(log, acknowledged))
        finally:
            log.close()
    assert progress[-1] > progress[0], f"the task made no progress across rounds: {progress}"

    # Larger transactions: the rest of the input in fewer of them (the rounds killed small
    # ones; this run only shows the task finishes from where they left off).
    finish = start_task(url, largest_batch=1024)
    out, _ = finish.communicate(timeout=300)
    assert finish.returncode == 0 and out.splitlines()[-1] == "done"
    log = open_log(url)
    try:
        assert check(log, 0) == INPUT_RECORDS
    finally:
        log.close()
