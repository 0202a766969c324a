"""Produce and consume throughput of an event log, through its public API only."""

from __future__ import annotations

import time
from dataclasses import dataclass

from logbench.workload import PARTITIONS, KeyValue
from streammesh.log import ConsumerOptions, EventLog, TopicPartition, TopicSpec

_CONSUME_STALL_S = 30.0


class BenchmarkFailed(Exception):
    """A measurement could not complete (records missing, a backend stalled)."""


@dataclass(frozen=True, slots=True)
class Timed:
    """How many events a timed section handled and how long it took."""

    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def create_topic(log: EventLog, name: str) -> list[TopicPartition]:
    """A fresh topic of ``PARTITIONS`` partitions, unlimited retention."""
    log.create_topic(TopicSpec(name, partitions=PARTITIONS, retention_ms=None))
    return [TopicPartition(name, p) for p in range(PARTITIONS)]


def measure_produce(log: EventLog, topic: str, records: list[KeyValue]) -> Timed:
    """Send every record with its key, then one ``flush``; the flush is inside the timing.

    One record per partition is sent and flushed first, untimed: a long-running producer
    already knows the topic's metadata (Kafka's first send to a topic waits ~0.5 s for it).
    """
    with log.producer() as producer:
        for partition in range(PARTITIONS):
            producer.send(topic, b"warm-up", partition=partition)
        producer.flush()
        send = producer.send
        start = time.perf_counter()
        for key, value in records:
            send(topic, value, key=key)
        producer.flush()
        elapsed = time.perf_counter() - start
    return Timed(len(records), elapsed)


def measure_consume(log: EventLog, partitions: list[TopicPartition], expected: int) -> Timed:
    """Read ``expected`` records from the beginning of ``partitions`` with one consumer.

    The consumer assigns the partitions rather than joining a group, so no group-join time
    is measured; it keeps the default ``ConsumerOptions`` otherwise.
    """
    with log.consumer(ConsumerOptions(client_id="bench-consumer")) as consumer:
        consumer.assign(partitions)
        consumer.seek_to_beginning(partitions)
        count = 0
        start = time.perf_counter()
        last_progress = start
        while count < expected:
            batch = consumer.poll(timeout=1.0)
            now = time.perf_counter()
            if batch:
                count += len(batch)
                last_progress = now
            elif now - last_progress > _CONSUME_STALL_S:
                raise BenchmarkFailed(
                    f"consumer read {count} of {expected} records, then nothing for "
                    f"{_CONSUME_STALL_S:.0f} s"
                )
        elapsed = time.perf_counter() - start
    return Timed(count, elapsed)
