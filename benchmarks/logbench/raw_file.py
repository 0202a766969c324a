"""The raw limit: the same records appended to a plain file, one ``fsync`` per batch.

No index, no offsets, no partitions, no validation: just what a Python process pays to frame
records, write them and make them durable, and to read them back and split them. A backend
cannot beat this by much; the gap shows what its bookkeeping costs. Frame of one record
(little-endian)::

    i64 timestamp | i32 key length | i32 value length | key | value

In the latency run the timestamp field carries the send time in ``monotonic_ns``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import struct
import threading
import time
from array import array
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path

from logbench.latency import Latency, pace, summarize, wait_ready
from logbench.throughput import BenchmarkFailed, Timed
from logbench.workload import KeyValue, Workload, account_keys, trade_value

FRAME = struct.Struct("<qii")
BATCH_BYTES = 1_048_576
"""Bytes per write + fsync: ``ProducerOptions.batch_max_bytes``, the embedded batch size."""

_READ_BYTES = 1_048_576
_IDLE_S = 0.0002
_DRAIN_GRACE_S = 15.0


def measure_produce(path: Path, records: list[KeyValue]) -> Timed:
    """Frame and append every record, one ``write`` + ``fsync`` per ``BATCH_BYTES``."""
    pack = FRAME.pack
    clock = time.time_ns
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        start = time.perf_counter()
        parts: list[bytes] = []
        size = 0
        for key, value in records:
            parts += (pack(clock() // 1_000_000, len(key), len(value)), key, value)
            size += FRAME.size + len(key) + len(value)
            if size >= BATCH_BYTES:
                _write_durably(fd, parts)
                parts, size = [], 0
        _write_durably(fd, parts)
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
    return Timed(len(records), elapsed)


def measure_consume(path: Path, expected: int) -> Timed:
    """Read the file back in 1 MiB chunks and split it into (timestamp, key, value) tuples."""
    start = time.perf_counter()
    count = 0
    with path.open("rb", buffering=0) as file:
        rest = b""
        while chunk := file.read(_READ_BYTES):
            records, rest = split_frames(rest + chunk)
            count += len(records)
    elapsed = time.perf_counter() - start
    if count != expected:
        raise BenchmarkFailed(f"raw file held {count} records, {expected} were written")
    return Timed(count, elapsed)


def split_frames(data: bytes) -> tuple[list[tuple[int, bytes, bytes]], bytes]:
    """The complete frames at the start of ``data``, and the incomplete tail."""
    unpack = FRAME.unpack_from
    header = FRAME.size
    records: list[tuple[int, bytes, bytes]] = []
    pos, end = 0, len(data)
    while pos + header <= end:
        stamp, key_length, value_length = unpack(data, pos)
        key_end = pos + header + key_length
        frame_end = key_end + value_length
        if frame_end > end:
            break
        records.append((stamp, data[pos + header : key_end], data[key_end:frame_end]))
        pos = frame_end
    return records, data[pos:]


def measure_latency(path: Path, workload: Workload) -> Latency:
    """Paced records framed into a pending buffer; a writer thread group-commits whatever is
    pending (write + fsync) and then publishes the durable length, which a reader process
    follows. The floor for a log that makes every record durable before it is readable."""
    ctx = mp.get_context("spawn")
    durable: Synchronized[int] = ctx.Value("q", 0, lock=False)
    ready = ctx.Event()
    receiver, sender = ctx.Pipe(duplex=False)
    total = int(
        workload.latency_rate * (workload.latency_warmup_seconds + workload.latency_seconds)
    )
    path.touch()
    reader = ctx.Process(
        target=follow_file,
        args=(str(path), durable, total, ready, sender),
        name="bench-raw-reader",
        daemon=True,
    )
    reader.start()
    sender.close()
    try:
        wait_ready(ready, reader)
        keys = account_keys()
        rng = random.Random(7)
        values = [trade_value(seq, keys[seq % len(keys)], rng) for seq in range(1_000)]
        pending: list[bytes] = []
        lock = threading.Lock()
        done = threading.Event()
        writer = threading.Thread(
            target=_group_commit, args=(path, pending, lock, done, durable), daemon=True
        )
        writer.start()

        def send_one(seq: int) -> None:
            key, value = keys[seq % len(keys)], values[seq % len(values)]
            frame = FRAME.pack(time.monotonic_ns(), len(key), len(value)) + key + value
            with lock:
                pending.append(frame)

        sent, measure_from, rate = pace(workload, send_one)
        done.set()
        writer.join()
        if not receiver.poll(_DRAIN_GRACE_S + 5):
            raise BenchmarkFailed("the raw-file reader sent no result")
        sent_bytes, latency_bytes = receiver.recv()
    finally:
        reader.join(timeout=10)
        if reader.is_alive():
            reader.terminate()
    sent_ns, latency_ns = array("q"), array("q")
    sent_ns.frombytes(sent_bytes)
    latency_ns.frombytes(latency_bytes)
    return summarize((sent_ns, latency_ns), measure_from, sent, rate)


def _group_commit(
    path: Path,
    pending: list[bytes],
    lock: threading.Lock,
    done: threading.Event,
    durable: Synchronized[int],
) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        length = 0
        while True:
            with lock:
                frames = pending[:]
                pending.clear()
            if frames:
                length += _write_durably(fd, frames)
                durable.value = length
            elif done.is_set():
                return
            else:
                time.sleep(_IDLE_S)
    finally:
        os.close(fd)


def follow_file(
    path: str, durable: Synchronized[int], expected: int, ready: Event, result: Connection
) -> None:
    """The reader process: read up to the durable length as it grows, split the frames, and
    send back (send times, latencies) as bytes."""
    sent_ns, latency_ns = array("q"), array("q")
    try:
        with open(path, "rb", buffering=0) as file:
            ready.set()
            rest = b""
            position = 0
            last_data = time.monotonic()
            while len(sent_ns) < expected and time.monotonic() - last_data < _DRAIN_GRACE_S:
                length = durable.value
                if length <= position:
                    time.sleep(_IDLE_S)
                    continue
                chunk = os.pread(file.fileno(), length - position, position)
                received = time.monotonic_ns()
                position += len(chunk)
                records, rest = split_frames(rest + chunk)
                for stamp, _key, _value in records:
                    sent_ns.append(stamp)
                    latency_ns.append(received - stamp)
                last_data = time.monotonic()
    finally:
        result.send((sent_ns.tobytes(), latency_ns.tobytes()))
        result.close()


def _write_durably(fd: int, parts: list[bytes]) -> int:
    data = b"".join(parts)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)
    return len(data)
