"""Several processes producing to one embedded log directory at once lose and reorder nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from streammesh.log import ConsumerOptions, TopicPartition, TopicSpec, open_log

PRODUCER = """
import sys
from streammesh.log import open_log
log = open_log(sys.argv[1])
name = sys.argv[2]
with log.producer() as producer:
    for i in range(int(sys.argv[3])):
        producer.send("shared", f"{name}:{i}".encode(), key=name.encode())
        if i % 500 == 0:
            producer.flush()
log.close()
"""

PROCESSES = 4
RECORDS_EACH = 5_000


@pytest.mark.slow
def test_processes_share_a_log_without_losing_or_reordering_records(tmp_path: Path) -> None:
    url = f"embedded://{tmp_path}/log"
    log = open_log(url)
    log.create_topic(TopicSpec("shared", partitions=3))
    writers = [
        subprocess.Popen([sys.executable, "-c", PRODUCER, url, f"p{n}", str(RECORDS_EACH)])
        for n in range(PROCESSES)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0] * PROCESSES

    consumer = log.consumer(ConsumerOptions())
    consumer.assign([TopicPartition("shared", p) for p in range(3)])
    seen: dict[str, list[int]] = {}
    offsets: dict[int, list[int]] = {}
    total = PROCESSES * RECORDS_EACH
    read = 0
    while read < total:
        batch = consumer.poll(timeout=5.0, max_records=10_000)
        assert batch, f"only {read} of {total} records could be read back"
        for record in batch:
            assert record.value is not None
            name, number = record.value.decode().split(":")
            seen.setdefault(name, []).append(int(number))
            offsets.setdefault(record.partition, []).append(record.offset)
        read += len(batch)
    consumer.close()

    # Every record of every process, each exactly once, in the order it was sent (same key).
    assert seen == {f"p{n}": list(range(RECORDS_EACH)) for n in range(PROCESSES)}
    # Offsets are dense and unique per partition even with concurrent writers.
    for partition, found in offsets.items():
        assert found == list(range(len(found))), f"partition {partition} has gaps or duplicates"
    log.close()
