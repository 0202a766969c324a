"""The changelog round trip on both log backends (embedded and Kafka): what a store writes,
a store opened anywhere else restores, in Kafka Streams' key layouts."""

from __future__ import annotations

import shutil
import struct
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, cast

import pytest

from streammesh.log import (
    CleanupPolicy,
    Consumer,
    ConsumerOptions,
    IsolationLevel,
    ProducerOptions,
    TopicPartition,
    TopicSpec,
)
from streammesh.streams.state import ChangelogMismatch, changelog_topic
from tests.conformance.log.conftest import BACKENDS, read_partitions
from tests.unit.streams.state.conftest import Stores

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def test_changelog_round_trip(stores: Stores) -> None:
    kv = stores.key_value(partition=1, partitions=2)
    windows = stores.window(partition=1, partitions=2)
    sessions = stores.session(partition=1, partitions=2)
    kv.put(b"a", b"1")
    kv.put(b"b", b"2")
    windows.put(b"ZTEST", 60_000, b"3")
    sessions.put(b"alice", 1_000, 5_000, b"4")
    stores.commit(kv, windows, sessions)
    kv.delete(b"a")
    windows.put(b"ZTEST", 120_000, b"5")
    stores.commit(kv, windows, sessions)
    for store in (kv, windows, sessions):
        store.close()

    window_records = read_partitions(stores.log, windows.changelog.topic)
    assert [(r.partition, r.key, r.value) for r in window_records] == [
        (1, b"ZTEST" + struct.pack(">qi", 60_000, 0), b"3"),
        (1, b"ZTEST" + struct.pack(">qi", 120_000, 0), b"5"),
    ]
    session_records = read_partitions(stores.log, sessions.changelog.topic)
    assert [(r.key, r.value) for r in session_records] == [
        (b"alice" + struct.pack(">qq", 5_000, 1_000), b"4")
    ]
    kv_records = read_partitions(stores.log, kv.changelog.topic)
    assert [(r.key, r.value) for r in kv_records] == [(b"a", b"1"), (b"b", b"2"), (b"a", None)]
    described = stores.log.describe_topic(kv.changelog.topic)
    assert (described.partitions, described.spec.cleanup_policy) == (2, CleanupPolicy.COMPACT)

    shutil.rmtree(stores.state_dir)  # the task moves to a process without the local files
    assert stores.key_value(partition=1, partitions=2).all() == [(b"b", b"2")]
    assert stores.window(partition=1, partitions=2).all() == [
        (b"ZTEST", 60_000, b"3"),
        (b"ZTEST", 120_000, b"5"),
    ]
    assert stores.session(partition=1, partitions=2).all() == [(b"alice", 1_000, 5_000, b"4")]


def test_stale_checkpoint_catches_up(stores: Stores) -> None:
    store = stores.key_value()
    store.put(b"a", b"1")
    stores.commit(store)
    store.close()
    stale = stores.state_dir.parent / "stale"
    shutil.copytree(stores.state_dir, stale)
    store = stores.key_value()
    store.put(b"a", b"2")
    store.put(b"b", b"3")
    stores.commit(store)
    store.close()
    shutil.rmtree(stores.state_dir)
    shutil.copytree(stale, stores.state_dir)

    stores.progress.clear()
    assert stores.key_value().all() == [(b"a", b"2"), (b"b", b"3")]
    last = stores.last_restore()
    assert (last.restored, last.rebuilt) == (2, False)


def test_wrong_partition_count_is_refused(stores: Stores) -> None:
    topic = changelog_topic(stores.application, "totals")
    stores.log.create_topic(TopicSpec(topic, partitions=3, cleanup_policy=CleanupPolicy.COMPACT))
    with pytest.raises(ChangelogMismatch, match="has partition count 3, but the store needs 2"):
        stores.key_value(partitions=2)


def test_a_transactional_changelog_restores_committed_transactions_only(
    stores: Stores, backend: str, request: pytest.FixtureRequest
) -> None:
    """With exactly-once the engine passes a transactional producer and a ``read_committed``
    reader: what an aborted transaction sent is never restored."""
    if backend == "kafka":
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="tansu 0.6 sends no aborted-transaction list in Fetch responses, so "
                "librdkafka hands aborted records to read_committed consumers",
            )
        )
    producer = stores.log.producer(ProducerOptions(transactional_id=f"{stores.application}-0_0"))
    reader = stores.log.consumer(ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED))
    exactly_once = replace(stores, producer=producer, reader=reader, opened=[])
    try:
        producer.init_transactions()
        store = exactly_once.key_value()
        producer.begin_transaction()
        store.put(b"a", b"committed")
        store.flush()
        producer.commit_transaction()
        store.commit()

        producer.begin_transaction()
        store.put(b"a", b"aborted")
        store.put(b"b", b"aborted")
        store.flush()
        producer.flush()  # on Kafka the aborted records really reach the broker
        producer.abort_transaction()
        store.abort()
        assert store.all() == [(b"a", b"committed")]

        producer.begin_transaction()
        store.put(b"c", b"committed")
        store.flush()
        producer.commit_transaction()
        store.commit()
        store.close()

        shutil.rmtree(stores.state_dir)
        assert exactly_once.key_value().all() == [(b"a", b"committed"), (b"c", b"committed")]
    finally:
        for store in exactly_once.opened:
            store.close()
        reader.close()
        producer.close()


def test_a_transactional_changelog_restores_to_its_end(stores: Stores) -> None:
    """Each committed transaction leaves a marker after its records on Kafka: a restore reads
    past them to the end instead of waiting for a record that never comes."""
    producer = stores.log.producer(ProducerOptions(transactional_id=f"{stores.application}-0_0"))
    reader = stores.log.consumer(ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED))
    exactly_once = replace(stores, producer=producer, reader=reader, opened=[], progress=[])
    try:
        producer.init_transactions()
        windows = exactly_once.window(restore_timeout_s=10.0)
        for minute in range(3):
            producer.begin_transaction()
            windows.put(b"ZTEST", minute * 60_000, b"%d" % minute)
            windows.flush()
            producer.commit_transaction()
            windows.commit()
        expected = windows.all()
        windows.close()

        shutil.rmtree(stores.state_dir)
        assert exactly_once.window(restore_timeout_s=10.0).all() == expected
        assert exactly_once.last_restore().restored == 3
    finally:
        for store in exactly_once.opened:
            store.close()
        reader.close()
        producer.close()


class _CountingReader:
    """The real reader, counting the end-offset lookups made through it (each one a round
    trip to the broker on Kafka)."""

    def __init__(self, reader: Consumer) -> None:
        self._reader = reader
        self.end_lookups = 0

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        self.end_lookups += 1
        return self._reader.end_offsets(partitions)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def test_commits_ask_the_log_nothing_and_restore_from_their_checkpoint(stores: Stores) -> None:
    counting = _CountingReader(stores.reader)
    counted = replace(stores, reader=cast(Consumer, counting), opened=[])
    try:
        store = counted.key_value(cache_max_entries=2)  # spills mid-batch too
        assert counting.end_lookups == 1  # the restore's
        for n in range(5):
            store.put(b"k%d" % n, b"%d" % n)
            store.put(b"shared", b"%d" % n)
            if n % 2:
                store.delete(b"k%d" % (n - 1))
            counted.commit(store)
        assert counting.end_lookups == 1
        expected = store.all()
        store.close()
    finally:
        for opened in counted.opened:
            opened.close()

    stores.progress.clear()
    reopened = stores.key_value()
    end = stores.reader.end_offsets([reopened.changelog])[reopened.changelog]
    report = stores.last_restore()
    assert (report.start_offset, report.restored, report.rebuilt) == (end, 0, False)
    assert reopened.all() == expected


def test_transactional_commits_checkpoint_no_later_than_the_end(stores: Stores) -> None:
    """With transactions (an abort in between) the checkpoint never passes the changelog's
    end, so a restart restores exactly the committed state."""
    producer = stores.log.producer(ProducerOptions(transactional_id=f"{stores.application}-0_0"))
    reader = stores.log.consumer(ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED))
    exactly_once = replace(stores, producer=producer, reader=reader, opened=[], progress=[])
    try:
        producer.init_transactions()
        store = exactly_once.key_value()
        for n in range(4):
            producer.begin_transaction()
            store.put(b"k%d" % n, b"%d" % n)
            store.flush()
            if n == 2:
                producer.abort_transaction()
                store.abort()
            else:
                producer.commit_transaction()
                store.commit()
        expected = store.all()
        assert expected == [(b"k0", b"0"), (b"k1", b"1"), (b"k3", b"3")]
        store.close()
        reopened = exactly_once.key_value()
        report = exactly_once.last_restore()
        assert report.start_offset <= report.end_offset
        assert not report.rebuilt
        assert reopened.all() == expected
    finally:
        for opened in exactly_once.opened:
            opened.close()
        reader.close()
        producer.close()
