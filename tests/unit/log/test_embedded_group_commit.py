"""Group commit on the embedded log: offset commits that members of one log file in a process
ask for while another write holds the file go in one transaction, and each is answered as it
would be alone: durable when it returns, refused alone when its partition is not its member's,
failed with the log's error when the transaction fails."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streammesh.log import Consumer, ConsumerOptions, TopicPartition, TopicSpec
from streammesh.log.embedded.database import DB_FILE, connect
from streammesh.log.embedded.groups import offset_commits
from streammesh.log.embedded.log import EmbeddedLog
from streammesh.log.errors import ConsumerStateError, LogUnavailable

TOPIC = "orders"
OTHER = "refunds"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EmbeddedLog]:
    opened = EmbeddedLog(tmp_path / "log", clean_interval_s=None)
    try:
        opened.create_topic(TopicSpec(TOPIC, partitions=2))
        opened.create_topic(TopicSpec(OTHER, partitions=1))
        with opened.producer() as producer:
            for index in range(10):
                producer.send(TOPIC, f"order-{index}".encode(), partition=index % 2)
            producer.send(OTHER, b"refund-0")
        yield opened
    finally:
        opened.close()


def _member(log: EmbeddedLog, group: str) -> Consumer:
    """A member of ``group`` owning both partitions of ``TOPIC``, having read all of them."""
    consumer = log.consumer(ConsumerOptions(group=group, auto_commit=False))
    consumer.subscribe([TOPIC])
    read = 0
    deadline = time.monotonic() + 10
    while read < 10 and time.monotonic() < deadline:
        read += len(consumer.poll(timeout=0.5))
    assert read == 10
    return consumer


def _together(log: EmbeddedLog, *commits: Callable[[], None]) -> list[BaseException | None]:
    """Run ``commits`` in threads while another connection holds the log's write turn, and let
    it go once every commit waits: they then share one transaction."""
    holder = connect(log.directory, log.url)
    commits_of_file = offset_commits(str(log.directory / DB_FILE))
    outcomes: list[BaseException | None] = [None] * len(commits)

    def run(index: int) -> None:
        try:
            commits[index]()
        except BaseException as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(commits))]
    try:
        holder.execute("BEGIN IMMEDIATE")
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while commits_of_file.waiting < len(commits) and time.monotonic() < deadline:
            time.sleep(0.001)
        assert commits_of_file.waiting == len(commits)
        holder.execute("COMMIT")
    finally:
        for thread in threads:
            thread.join(timeout=10)
        holder.close()
    return outcomes


def _committed(directory: Path, group: str) -> dict[TopicPartition, int | None]:
    """What a process opening the log afresh finds committed for ``group``."""
    reopened = EmbeddedLog(directory, clean_interval_s=None)
    try:
        with reopened.consumer(ConsumerOptions(group=group, auto_commit=False)) as reader:
            return reader.committed([TopicPartition(TOPIC, p) for p in range(2)])
    finally:
        reopened.close()


def test_commits_of_two_groups_written_together_are_both_durable(log: EmbeddedLog) -> None:
    risk, audit = _member(log, "risk"), _member(log, "audit")
    try:
        outcomes = _together(log, risk.commit, audit.commit)
    finally:
        risk.close()
        audit.close()

    assert outcomes == [None, None]
    everything = {TopicPartition(TOPIC, 0): 5, TopicPartition(TOPIC, 1): 5}
    assert _committed(log.directory, "risk") == everything
    assert _committed(log.directory, "audit") == everything


def test_a_commit_of_a_partition_not_owned_is_refused_alone(log: EmbeddedLog) -> None:
    risk, audit = _member(log, "risk"), _member(log, "audit")
    try:
        outcomes = _together(
            log,
            lambda: risk.commit({TopicPartition(TOPIC, 0): 3, TopicPartition(OTHER, 0): 1}),
            lambda: audit.commit({TopicPartition(TOPIC, 1): 4}),
        )
    finally:
        risk.close()
        audit.close()

    refused, written = outcomes
    assert isinstance(refused, ConsumerStateError)
    assert f"'{OTHER}' partition 0" in str(refused)
    assert written is None
    # Nothing of the refused commit, all of the other one.
    assert _committed(log.directory, "risk") == {
        TopicPartition(TOPIC, 0): None,
        TopicPartition(TOPIC, 1): None,
    }
    assert _committed(log.directory, "audit")[TopicPartition(TOPIC, 1)] == 4


def test_a_failed_transaction_fails_every_commit_in_it_as_one_alone(log: EmbeddedLog) -> None:
    risk, audit, alone = _member(log, "risk"), _member(log, "audit"), _member(log, "alone")
    try:
        # Every write of offsets fails (standing for a failing disk): so does the transaction.
        damage = sqlite3.connect(log.directory / DB_FILE)
        for event in ("INSERT", "UPDATE"):
            damage.execute(
                f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON group_offsets "
                "BEGIN SELECT RAISE(ABORT, 'offsets cannot be written'); END"
            )
        damage.commit()
        damage.close()
        outcomes = _together(log, risk.commit, audit.commit)
        with pytest.raises(LogUnavailable) as single:
            alone.commit()
    finally:
        for consumer in (risk, audit, alone):
            consumer.close()  # leaving writes no offsets (no auto-commit)

    assert all(type(outcome) is type(single.value) for outcome in outcomes)
    assert [str(outcome) for outcome in outcomes] == [str(single.value)] * 2
    assert "offsets cannot be written" in str(single.value)
