"""Property: compaction leaves exactly the newest record per key, where it was written.

Runs on the embedded backend, the one with on-demand cleaning; each example is a fresh log
in a temporary directory (Hypothesis cannot reuse function-scoped fixtures across examples).
"""

from __future__ import annotations

import tempfile
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from streammesh.log import (
    Capability,
    CleanReport,
    CleanupPolicy,
    EventLog,
    Maintainable,
    Record,
    TopicPartition,
    TopicSpec,
    open_log,
)

TOPIC = "compacted"
TP = TopicPartition(TOPIC, 0)
DAY_MS = 24 * 3_600_000

writes = st.lists(
    st.tuples(
        st.sampled_from([b"a", b"b", b"c", b"d", b"e"]),
        st.none() | st.binary(max_size=8),
    ),
    min_size=1,
    max_size=40,
)


def newest_per_key(sent: list[tuple[bytes, bytes | None]]) -> list[tuple[int, bytes, bytes | None]]:
    last = {key: offset for offset, (key, _) in enumerate(sent)}
    return [(offset, *sent[offset]) for offset in sorted(last.values())]


def read_from(log: EventLog, offset: int) -> tuple[list[Record], int]:
    """Records from ``offset`` to the end, and the position the reader ends at."""
    with log.consumer() as reader:
        reader.assign([TP])
        reader.seek(TP, offset)
        end = reader.end_offsets([TP])[TP]
        records: list[Record] = []
        deadline = time.monotonic() + 10
        while reader.position(TP) < end and time.monotonic() < deadline:
            records.extend(reader.poll(timeout=0.2))
        return records, reader.position(TP)


@settings(max_examples=40, deadline=None)
@given(sent=writes, read_before=st.integers(min_value=0, max_value=40))
def test_embedded_compaction_keeps_the_newest_record_per_key_at_its_offset(
    sent: list[tuple[bytes, bytes | None]], read_before: int
) -> None:
    read_before = min(read_before, len(sent))
    with tempfile.TemporaryDirectory() as directory:
        log = open_log(f"embedded://{directory}/log")
        try:
            assert Capability.ON_DEMAND_CLEANING in log.capabilities
            assert isinstance(log, Maintainable)
            log.create_topic(
                TopicSpec(
                    TOPIC,
                    cleanup_policy=CleanupPolicy.COMPACT,
                    retention_ms=None,
                    min_compaction_lag_ms=0,
                    delete_retention_ms=DAY_MS,
                )
            )
            now = time.time_ns() // 1_000_000
            with log.producer() as producer:
                for key, value in sent:
                    producer.send(TOPIC, value, key=key, timestamp_ms=now)
                producer.flush()
            expected = newest_per_key(sent)

            # A consumer part-way through its reading when compaction runs.
            with log.consumer() as early:
                early.assign([TP])
                early.seek_to_beginning()
                deadline = time.monotonic() + 10
                before: list[Record] = []
                while len(before) < read_before and time.monotonic() < deadline:
                    before.extend(early.poll(timeout=0.2, max_records=read_before - len(before)))

                report = log.clean(now + 1_000)

                after: list[Record] = []
                while early.position(TP) < len(sent) and time.monotonic() < deadline:
                    after.extend(early.poll(timeout=0.2))

            assert report == CleanReport(records_removed_by_compaction=len(sent) - len(expected))
            survivors, position = read_from(log, 0)
            assert [(r.offset, r.key, r.value) for r in survivors] == expected
            assert position == len(sent)
            assert log.describe_topic(TOPIC).end_offsets == {0: len(sent)}

            # The early consumer read the originals, then every survivor after them, in
            # order; records it may have fetched ahead of compaction are as they were written.
            assert [r.offset for r in before] == list(range(read_before))
            seen = [(r.offset, r.key, r.value) for r in after]
            assert [row[0] for row in seen] == sorted({row[0] for row in seen})
            assert all(row == (row[0], *sent[row[0]]) for row in seen)
            assert {row for row in expected if row[0] >= read_before} <= set(seen)

            assert log.clean(now + 2_000) == CleanReport()
        finally:
            log.close()
