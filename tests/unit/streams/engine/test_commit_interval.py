"""A stream application's transaction spans several polls, as Kafka Streams' commit interval
keeps it open: outputs, state and input offsets commit together once the interval has passed,
when the input is idle or on ``commit()`` — and a rebalance, an error or ``close()`` before
that leaves nothing of it, the input being read again from the last commit."""

from __future__ import annotations

import json
import struct
import time
from collections import Counter
from pathlib import Path

import pytest

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    TopicPartition,
    TopicSpec,
    open_log,
)
from streammesh.streams.engine import StreamApplication
from streammesh.streams.functions import udf
from streammesh.streams.functions.builtins import builtin_registry
from streammesh.streams.planner import PersistentQuery, plan_statements
from streammesh.streams.runner import StreamsRunner
from streammesh.streams.sql import parse_statements

LONG_MS = 600_000
"""A commit interval no test reaches: only idleness, ``commit()`` or the record limit commit."""

COUNTS = """
CREATE STREAM clicks (id INT KEY, page STRING) WITH (kafka_topic='clicks', value_format='JSON');
CREATE TABLE counts WITH (kafka_topic='counts') AS
  SELECT id, COUNT(*) AS n FROM clicks WHERE CHECKED(page) GROUP BY id EMIT CHANGES;
"""


class Boom(BaseException):
    """What the user function raises on the marked record (not a FunctionError: it stops the
    poll instead of making a dead letter, as a crash would)."""


def counting_query(fail_on: set[str]) -> tuple[PersistentQuery, object]:
    registry = builtin_registry()

    @udf(name="checked", registry=registry)
    def checked(page: str) -> bool:
        if page in fail_on:
            fail_on.discard(page)  # once: read again, it goes through
            raise Boom(page)
        return True

    query = plan_statements(parse_statements(COUNTS), text=COUNTS, registry=registry).queries[0]
    return query, registry


def send(log: EventLog, pages: list[tuple[int, str]], partitions: int = 1) -> None:
    log.create_topic(TopicSpec("clicks", partitions=partitions))
    with log.producer() as producer:
        for n, (key, page) in enumerate(pages):
            value = json.dumps({"PAGE": page}).encode()
            producer.send("clicks", value, key=struct.pack(">i", key), timestamp_ms=1 + n)


def committed_counts(log: EventLog) -> dict[int, list[int]]:
    """Per key, the counts output in committed transactions, in order."""
    partitions = [
        TopicPartition("counts", p) for p in range(log.describe_topic("counts").partitions)
    ]
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    found: dict[int, list[int]] = {}
    with log.consumer(options) as reader:
        reader.assign(partitions)
        reader.seek_to_beginning()
        ends = reader.end_offsets(partitions)
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            for record in reader.poll(timeout=0.2):
                (key,) = struct.unpack(">i", record.key or b"")
                found.setdefault(key, []).append(json.loads(record.value or b"null")["N"])
    return found


def offsets(log: EventLog, group: str) -> dict[int, int | None]:
    return log.committed_offsets(group, "clicks")


@pytest.fixture
def log(tmp_path: Path) -> EventLog:
    opened = open_log(f"embedded://{tmp_path}/log")
    yield opened  # type: ignore[misc]
    opened.close()


def test_a_transaction_stays_open_across_polls_until_the_input_is_idle(
    log: EventLog, tmp_path: Path
) -> None:
    query, registry = counting_query(set())
    send(log, [(n % 3, "p") for n in range(12)])
    app = StreamApplication(
        log, query, "spans", registry=registry, state_dir=tmp_path / "s", commit_interval_ms=LONG_MS
    )
    with app:
        read = 0
        deadline = time.monotonic() + 10
        while read < 12:
            read += app.poll_once(max_records=4)
            assert time.monotonic() < deadline
            # Nothing is visible before the transaction commits: outputs, offsets alike.
            assert committed_counts(log) == {}
            assert offsets(log, "spans") == {0: None}
        assert app.poll_once(timeout=0.01) == 0  # idle: the three polls commit as one
        assert committed_counts(log) == {0: [1, 2, 3, 4], 1: [1, 2, 3, 4], 2: [1, 2, 3, 4]}
        assert offsets(log, "spans") == {0: 12}


def test_commit_interval_zero_commits_every_poll(log: EventLog, tmp_path: Path) -> None:
    query, registry = counting_query(set())
    send(log, [(0, "p") for _ in range(6)])
    app = StreamApplication(
        log, query, "each", registry=registry, state_dir=tmp_path / "s", commit_interval_ms=0
    )
    with app:
        while not app.poll_once(max_records=2):
            pass
        assert committed_counts(log) == {0: [1, 2]}
        assert offsets(log, "each") == {0: 2}


def test_the_interval_commits_a_transaction_that_keeps_reading(
    log: EventLog, tmp_path: Path
) -> None:
    query, registry = counting_query(set())
    send(log, [(0, "p") for _ in range(40)])
    app = StreamApplication(
        log, query, "timed", registry=registry, state_dir=tmp_path / "s", commit_interval_ms=50
    )
    with app:
        while not app.poll_once(max_records=1):
            pass
        assert committed_counts(log) == {}  # younger than 50 ms
        time.sleep(0.06)
        assert app.poll_once(max_records=1) == 1  # the input is not idle, the interval passed
        assert committed_counts(log) == {0: [1, 2]}


def test_an_error_rewinds_every_poll_of_the_open_transaction(log: EventLog, tmp_path: Path) -> None:
    query, registry = counting_query({"boom"})
    pages = [(0, "p"), (1, "p"), (0, "p"), (1, "p"), (0, "boom"), (1, "p")]
    send(log, pages)
    app = StreamApplication(
        log, query, "fails", registry=registry, state_dir=tmp_path / "s", commit_interval_ms=LONG_MS
    )
    with app:
        assert app.poll_once(max_records=2) + app.poll_once(max_records=2) == 4
        with pytest.raises(Boom):
            app.poll_once(max_records=2)
        assert committed_counts(log) == {}
        # The four records of the first two polls are read again, their state rolled back.
        assert app.run_until_idle() == 6
    assert committed_counts(log) == {0: [1, 2, 3], 1: [1, 2, 3]}
    assert offsets(log, "fails") == {0: 6}


def test_close_aborts_the_open_transaction_and_a_restart_counts_from_the_last_commit(
    log: EventLog, tmp_path: Path
) -> None:
    query, registry = counting_query(set())
    send(log, [(0, "p") for _ in range(6)])
    state = tmp_path / "s"
    app = StreamApplication(
        log, query, "restart", registry=registry, state_dir=state, commit_interval_ms=LONG_MS
    )
    try:
        assert app.poll_once(max_records=2) == 2
        app.commit()
        assert app.poll_once(max_records=2) == 2  # open when the application closes
    finally:
        app.close()
    assert committed_counts(log) == {0: [1, 2]}
    with StreamApplication(
        log, query, "restart", registry=registry, state_dir=state, commit_interval_ms=LONG_MS
    ) as app:
        assert app.run_until_idle() == 4  # the local state store restarts at the commit too
    assert committed_counts(log) == {0: [1, 2, 3, 4, 5, 6]}


def test_leaving_a_with_block_commits_and_an_exception_aborts(
    log: EventLog, tmp_path: Path
) -> None:
    query, registry = counting_query(set())
    send(log, [(0, "p") for _ in range(4)])
    state = tmp_path / "s"

    def application() -> StreamApplication:
        return StreamApplication(
            log, query, "blocks", registry=registry, state_dir=state, commit_interval_ms=LONG_MS
        )

    with application() as app:
        assert app.poll_once(max_records=2) == 2
    assert committed_counts(log) == {0: [1, 2]}
    with pytest.raises(KeyboardInterrupt), application() as app:
        assert app.poll_once(max_records=2) == 2
        raise KeyboardInterrupt
    assert committed_counts(log) == {0: [1, 2]}
    queries = [query]
    with StreamsRunner(
        log, queries, "blocks", registry=registry, state_dir=state, commit_interval_ms=LONG_MS
    ) as runner:
        assert runner.poll_round() == 2
    assert committed_counts(log) == {0: [1, 2, 3, 4]}


def test_a_rebalance_aborts_the_open_transaction_and_each_record_is_counted_once(
    log: EventLog, tmp_path: Path
) -> None:
    query, registry = counting_query(set())
    send(log, [(n % 8, "p") for n in range(200)], partitions=4)

    def member(name: str) -> StreamApplication:
        return StreamApplication(
            log,
            query,
            "shared",
            registry=registry,
            state_dir=tmp_path / name,
            commit_interval_ms=LONG_MS,
        )

    with member("first") as first, member("second") as second:
        first.start()
        deadline = time.monotonic() + 20
        while first.totals().records_in < 40:  # an open transaction over all 4 partitions
            first.poll_once(max_records=10)
            assert time.monotonic() < deadline
        assert sorted(first.stats()) == [0, 1, 2, 3]
        second.start()  # joins: the group takes two partitions from the first
        open_before = first.totals().records_in
        while not (
            len(first.stats()) == len(second.stats()) == 2
            and all(
                (offsets(log, "shared").get(p) or 0) == end
                for p, end in log.describe_topic("clicks").end_offsets.items()
            )
        ):
            first.poll_once(timeout=0.01, max_records=10)
            second.poll_once(timeout=0.01, max_records=10)
            time.sleep(0.02)  # the rebalance lands while the first's transaction is open
            assert time.monotonic() < deadline, (first.stats(), second.stats())
        # What the first read before the rebalance was read again, by one of the two.
        assert first.totals().records_in + second.totals().records_in > 200 >= open_before
    final = committed_counts(log)
    assert {key: len(counts) for key, counts in final.items()} == {k: 25 for k in range(8)}
    assert all(counts == list(range(1, 26)) for counts in final.values()), final


def test_a_runner_asked_to_stop_commits_what_is_open(log: EventLog, tmp_path: Path) -> None:
    query, registry = counting_query(set())
    send(log, [(n % 2, "p") for n in range(10)])
    runner = StreamsRunner(
        log,
        [query],
        "stopping",
        registry=registry,
        state_dir=tmp_path / "s",
        commit_interval_ms=LONG_MS,
    )
    with runner:
        runner.run(lambda: runner.progress()[0].records_in >= 10)
        assert Counter(len(v) for v in committed_counts(log).values()) == Counter({5: 2})
