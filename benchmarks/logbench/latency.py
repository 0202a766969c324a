"""Produce-to-consume latency of an event log at a steady send rate.

The producer runs in this process and paces its sends; the consumer runs in a separate
process (as it would in production, and so the two do not share one GIL). Each record
carries its send time in a ``sent_ns`` header; the consumer subtracts it from the time the
record came out of ``poll``. Both use ``time.monotonic_ns`` (``CLOCK_MONOTONIC``, one clock
for every process on the machine).

The producer relies on ``linger_ms`` (the default 5 ms) instead of flushing per batch: that
is what a service emitting events does. A consumer only sees records that are durable
(committed in the embedded log, acknowledged by all in-sync replicas in Kafka), so the
latency includes the time to durability.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import struct
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event

from logbench.throughput import BenchmarkFailed
from logbench.workload import PARTITIONS, Workload, account_keys, trade_value
from streammesh.log import EventLog, TopicPartition, open_log

SENT_HEADER = "sent_ns"
_STAMP = struct.Struct(">q")
_READY_TIMEOUT_S = 60.0
_DRAIN_GRACE_S = 15.0


@dataclass(frozen=True, slots=True)
class Latency:
    """Latency percentiles over the measured (post-warm-up) records, in milliseconds."""

    p50_ms: float
    p99_ms: float
    max_ms: float
    measured: int
    sent: int
    send_rate: float


def percentile(sorted_values: list[int], fraction: float) -> int:
    """The nearest-rank percentile of already sorted values."""
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def summarize(
    pairs: tuple[array[int], array[int]], measure_from_ns: int, sent: int, send_rate: float
) -> Latency:
    """Percentiles of receive - send over the records sent at or after ``measure_from_ns``."""
    sent_ns, latency_ns = pairs
    if len(sent_ns) < sent:
        raise BenchmarkFailed(
            f"{sent - len(sent_ns)} of {sent} paced records never reached the consumer"
        )
    kept = sorted(lat for s, lat in zip(sent_ns, latency_ns, strict=True) if s >= measure_from_ns)
    if not kept:
        raise BenchmarkFailed("no record sent after the warm-up reached the consumer")
    return Latency(
        p50_ms=percentile(kept, 0.50) / 1e6,
        p99_ms=percentile(kept, 0.99) / 1e6,
        max_ms=kept[-1] / 1e6,
        measured=len(kept),
        sent=sent,
        send_rate=send_rate,
    )


def pace(workload: Workload, send_one: Callable[[int], None]) -> tuple[int, int, float]:
    """Call ``send_one(seq)`` at ``workload.latency_rate`` per second for warm-up + measured
    seconds. Returns (records sent, monotonic ns at which the measured part starts, rate)."""
    rate = workload.latency_rate
    total = int(rate * (workload.latency_warmup_seconds + workload.latency_seconds))
    start = time.monotonic_ns()
    measure_from = start + int(workload.latency_warmup_seconds * 1e9)
    sent = 0
    while sent < total:
        due = min(total, (time.monotonic_ns() - start) * rate // 1_000_000_000 + 1)
        while sent < due:
            send_one(sent)
            sent += 1
        # Sleep until the next record is due; the kernel rounds short sleeps up a little,
        # and the loop then sends everything that became due meanwhile.
        next_due_ns = start + sent * 1_000_000_000 // rate
        pause = next_due_ns - time.monotonic_ns()
        if pause > 0:
            time.sleep(pause / 1e9)
    elapsed = (time.monotonic_ns() - start) / 1e9
    return sent, measure_from, sent / elapsed


def wait_ready(ready: Event, process: BaseProcess) -> None:
    """Wait for a consumer process to be reading, failing fast if it died on the way."""
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while not ready.wait(0.1):
        if not process.is_alive():
            raise BenchmarkFailed(f"the consumer process exited (code {process.exitcode})")
        if time.monotonic() > deadline:
            raise BenchmarkFailed("the consumer process did not start reading in time")


def measure_latency(log: EventLog, url: str, topic: str, workload: Workload) -> Latency:
    """Pace keyed 200-byte records into ``topic`` and measure them arriving at a consumer
    process reading the topic's partitions from ``url``."""
    total = int(
        workload.latency_rate * (workload.latency_warmup_seconds + workload.latency_seconds)
    )
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    receiver, sender = ctx.Pipe(duplex=False)
    consumer = ctx.Process(
        target=consume_stamped,
        args=(url, topic, total, ready, sender),
        name="bench-latency-consumer",
        daemon=True,
    )
    consumer.start()
    sender.close()
    try:
        wait_ready(ready, consumer)
        keys = account_keys()
        rng = random.Random(7)
        values = [trade_value(seq, keys[seq % len(keys)], rng) for seq in range(1_000)]
        with log.producer() as producer:
            for partition in range(PARTITIONS):
                producer.send(topic, b"warm-up", partition=partition)
            producer.flush()

            def send_one(seq: int) -> None:
                producer.send(
                    topic,
                    values[seq % len(values)],
                    key=keys[seq % len(keys)],
                    headers=((SENT_HEADER, _STAMP.pack(time.monotonic_ns())),),
                )

            sent, measure_from, rate = pace(workload, send_one)
        if not receiver.poll(_DRAIN_GRACE_S + 5):
            raise BenchmarkFailed("the latency consumer sent no result")
        sent_bytes, latency_bytes = receiver.recv()
    finally:
        consumer.join(timeout=10)
        if consumer.is_alive():
            consumer.terminate()
    sent_ns, latency_ns = array("q"), array("q")
    sent_ns.frombytes(sent_bytes)
    latency_ns.frombytes(latency_bytes)
    return summarize((sent_ns, latency_ns), measure_from, sent, rate)


def consume_stamped(url: str, topic: str, expected: int, ready: Event, result: Connection) -> None:
    """The consumer process: read stamped records until ``expected`` arrived (or the stream
    went quiet for ``_DRAIN_GRACE_S``) and send back (send times, latencies) as bytes."""
    log = open_log(url)
    sent_ns, latency_ns = array("q"), array("q")
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        with log.consumer() as consumer:
            consumer.assign(partitions)
            consumer.seek_to_beginning(partitions)
            consumer.poll(timeout=0.2)  # connect and fetch the warm-up records, if any
            ready.set()
            last_record = time.monotonic()
            while len(sent_ns) < expected and time.monotonic() - last_record < _DRAIN_GRACE_S:
                batch = consumer.poll(timeout=1.0)
                received = time.monotonic_ns()
                for record in batch:
                    stamp = _stamp(record.headers)
                    if stamp is not None:
                        sent_ns.append(stamp)
                        latency_ns.append(received - stamp)
                if batch:
                    last_record = time.monotonic()
    finally:
        result.send((sent_ns.tobytes(), latency_ns.tobytes()))
        result.close()
        log.close()


def _stamp(headers: tuple[tuple[str, bytes], ...]) -> int | None:
    for name, value in headers:
        if name == SENT_HEADER:
            stamp: int = _STAMP.unpack(value)[0]
            return stamp
    return None
