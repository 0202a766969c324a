"""Restoring a store from its changelog: a lost, stale or damaged local file gives back the
state of the last commit; the checkpoint moves only at a commit."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from streammesh.log import CleanupPolicy, Maintainable, TopicPartition, TopicSpec
from streammesh.streams.state import (
    ChangelogMismatch,
    InvalidStoreName,
    StoreMismatch,
    changelog_topic,
)
from tests.conformance.log.conftest import read_partitions
from tests.unit.streams.state.conftest import Stores


def fill(stores: Stores) -> tuple[list[tuple[bytes, bytes]], list[object], list[object]]:
    """Write a key-value, a window and a session store, commit, and return their contents."""
    kv, windows, sessions = stores.key_value(), stores.window(), stores.session()
    for n in range(50):
        kv.put(b"key-%02d" % n, b"%d" % n)
        windows.put(b"key-%02d" % (n % 5), n * 1_000, b"%d" % n)
    sessions.put(b"alice", 0, 10, b"1")
    sessions.put(b"alice", 100, 110, b"2")
    for n in range(0, 50, 7):
        kv.delete(b"key-%02d" % n)
    stores.commit(kv, windows, sessions)
    sessions.remove(b"alice", 0, 10)
    windows.delete(b"key-01", 1_000)
    stores.commit(kv, windows, sessions)
    contents = (kv.all(), list(windows.all()), list(sessions.all()))
    for store in (kv, windows, sessions):
        store.close()
    return contents


def reopen(stores: Stores) -> tuple[list[tuple[bytes, bytes]], list[object], list[object]]:
    kv, windows, sessions = stores.key_value(), stores.window(), stores.session()
    return kv.all(), list(windows.all()), list(sessions.all())


def test_a_deleted_local_directory_is_rebuilt_from_the_changelog(stores: Stores) -> None:
    before = fill(stores)
    shutil.rmtree(stores.state_dir)
    stores.progress.clear()

    assert reopen(stores) == before
    reports = [report for report in stores.progress if report.done]
    assert [report.rebuilt for report in reports] == [True, True, True]
    assert all(report.restored > 0 for report in reports)


def test_reopening_after_a_commit_restores_nothing(stores: Stores) -> None:
    before = fill(stores)
    stores.progress.clear()
    assert reopen(stores) == before
    assert [(r.restored, r.rebuilt) for r in stores.progress if r.done] == [(0, False)] * 3


def test_a_stale_local_file_catches_up_from_its_checkpoint(stores: Stores) -> None:
    store = stores.key_value()
    for n in range(10):
        store.put(b"k%d" % n, b"old")
    stores.commit(store)
    store.close()
    stale = stores.state_dir.parent / "stale-copy"
    shutil.copytree(stores.state_dir, stale)

    # Another process runs the task on: it overwrites, deletes and adds keys.
    store = stores.key_value()
    store.put(b"k1", b"new")
    store.delete(b"k2")
    store.put(b"k10", b"added")
    stores.commit(store)
    expected = store.all()
    store.close()

    shutil.rmtree(stores.state_dir)
    shutil.copytree(stale, stores.state_dir)
    stores.progress.clear()
    assert stores.key_value().all() == expected
    assert (stores.last_restore().restored, stores.last_restore().rebuilt) == (3, False)


def test_deletes_are_tombstones_and_survive_compaction(stores: Stores) -> None:
    store = stores.key_value()
    store.put(b"gone", b"1")
    store.put(b"kept", b"1")
    stores.commit(store)
    store.delete(b"gone")
    store.put(b"kept", b"2")
    stores.commit(store)
    store.close()

    topic = changelog_topic(stores.application, "totals")
    records = read_partitions(stores.log, topic)
    assert [(r.key, r.value) for r in records] == [
        (b"gone", b"1"),
        (b"kept", b"1"),
        (b"gone", None),
        (b"kept", b"2"),
    ]
    assert stores.log.describe_topic(topic).spec.cleanup_policy is CleanupPolicy.COMPACT
    assert isinstance(stores.log, Maintainable)
    stores.log.clean()
    assert [(r.key, r.value) for r in read_partitions(stores.log, topic)] == [
        (b"gone", None),
        (b"kept", b"2"),
    ]
    shutil.rmtree(stores.state_dir)
    assert stores.key_value().all() == [(b"kept", b"2")]


def test_the_checkpoint_moves_only_at_a_commit(stores: Stores) -> None:
    store = stores.key_value()
    store.put(b"a", b"1")
    stores.commit(store)
    store.put(b"b", b"2")
    store.flush()  # sent to the changelog and written to the file, not committed
    stores.producer.flush()
    store.close()

    stores.progress.clear()
    store = stores.key_value()
    # The file went back to the last commit; the record sent after it is read again.
    assert stores.last_restore().restored == 1
    assert store.all() == [(b"a", b"1"), (b"b", b"2")]
    store.put(b"c", b"3")
    stores.commit(store)
    store.close()
    stores.progress.clear()
    store = stores.key_value()
    assert stores.last_restore().restored == 0
    assert store.all() == [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]


def test_abort_goes_back_to_the_last_commit(stores: Stores) -> None:
    store = stores.key_value(cache_max_entries=2)
    store.put(b"a", b"1")
    stores.commit(store)
    for n in range(5):  # spills to the file's open transaction
        store.put(b"x%d" % n, b"x")
    store.delete(b"a")
    store.flush()
    assert (store.get(b"a"), store.get(b"x0")) == (None, b"x")
    store.abort()
    assert store.all() == [(b"a", b"1")]
    assert (store.get(b"a"), store.get(b"x0")) == (b"1", None)


def test_a_damaged_local_file_is_rebuilt(stores: Stores) -> None:
    store = stores.key_value()
    store.put(b"a", b"1")
    stores.commit(store)
    path = Path(store.path)
    store.close()
    path.write_bytes(b"this is not a database" * 100)
    stores.progress.clear()
    assert stores.key_value().all() == [(b"a", b"1")]
    assert stores.last_restore().rebuilt


def test_an_empty_local_file_is_rebuilt(stores: Stores) -> None:
    store = stores.key_value()
    store.put(b"a", b"1")
    stores.commit(store)
    path = Path(store.path)
    store.close()
    path.write_bytes(b"")
    assert stores.key_value().all() == [(b"a", b"1")]


def test_a_recreated_changelog_drops_the_local_state(stores: Stores) -> None:
    store = stores.key_value()
    for n in range(5):
        store.put(b"k%d" % n, b"v")
    stores.commit(store)
    store.close()
    topic = changelog_topic(stores.application, "totals")
    stores.log.delete_topic(topic)  # e.g. `streams reset` on the log while a file survived

    stores.progress.clear()
    assert stores.key_value().all() == []
    assert stores.last_restore().rebuilt


def test_restore_reports_progress_for_a_progress_bar(stores: Stores) -> None:
    store = stores.key_value(cache_max_entries=100_000)
    for n in range(12_000):
        store.put(b"%05d" % n, b"v")
    stores.commit(store)
    store.close()
    shutil.rmtree(stores.state_dir)
    stores.progress.clear()

    stores.key_value()
    first, *middle, last = stores.progress
    assert (first.restored, first.total, first.done) == (0, 12_000, False)
    assert [r.restored for r in middle] == sorted(r.restored for r in middle)
    assert len(middle) >= 2  # more than one batch: the bar moves
    assert (last.restored, last.total, last.done, last.topic, last.partition) == (
        12_000,
        12_000,
        True,
        changelog_topic(stores.application, "totals"),
        0,
    )


def test_each_task_writes_its_own_changelog_partition(stores: Stores) -> None:
    first = stores.key_value(partition=0, partitions=3)
    third = stores.key_value(partition=2, partitions=3)
    first.put(b"a", b"0")
    third.put(b"a", b"2")
    stores.commit(first, third)
    assert third.changelog == TopicPartition(changelog_topic(stores.application, "totals"), 2)
    records = read_partitions(stores.log, third.changelog.topic)
    assert [(r.partition, r.value) for r in records] == [(0, b"0"), (2, b"2")]
    assert Path(third.path) == stores.state_dir / stores.application / "0_2" / "totals.db"


def test_a_changelog_with_the_wrong_partition_count_is_refused(stores: Stores) -> None:
    topic = changelog_topic(stores.application, "totals")
    stores.log.create_topic(TopicSpec(topic, partitions=2, cleanup_policy=CleanupPolicy.COMPACT))
    with pytest.raises(ChangelogMismatch) as refused:
        stores.key_value(partitions=4)
    assert str(refused.value).startswith(
        f"changelog topic '{topic}' has partition count 2, but the store needs 4"
    )
    assert (refused.value.expected, refused.value.actual) == ("4", "2")
    assert not stores.state_dir.exists()


def test_a_changelog_that_is_not_compacted_is_refused(stores: Stores) -> None:
    topic = changelog_topic(stores.application, "totals")
    stores.log.create_topic(TopicSpec(topic, partitions=1))
    with pytest.raises(
        ChangelogMismatch, match="has cleanup policy 'delete', but the store needs 'compact'"
    ):
        stores.key_value()


def test_a_file_of_another_kind_of_store_is_refused(stores: Stores) -> None:
    stores.key_value(name="agg").close()
    with pytest.raises(StoreMismatch, match="holds kind 'key-value', not 'window'"):
        stores.window(name="agg")


def test_names_that_cannot_name_a_file_or_topic_are_refused(stores: Stores) -> None:
    with pytest.raises(
        InvalidStoreName, match=re.escape("invalid store name '../x': it contains '/'")
    ):
        stores.key_value(name="../x")
    with pytest.raises(InvalidStoreName, match="partition 3 is outside the source's 2 partitions"):
        stores.key_value(partition=3, partitions=2)


def test_an_old_checkpoint_replays_the_whole_changelog(stores: Stores) -> None:
    """Tombstones older than the changelog's delete retention may be gone: a checkpoint that
    old cannot be caught up from, only rebuilt."""
    topic = changelog_topic(stores.application, "totals")
    stores.log.create_topic(
        TopicSpec(
            topic, cleanup_policy=CleanupPolicy.COMPACT, retention_ms=None, delete_retention_ms=50
        )
    )
    store = stores.key_value()
    store.put(b"a", b"1")
    stores.commit(store)
    store.close()
    time.sleep(0.1)
    stores.progress.clear()
    assert stores.key_value().all() == [(b"a", b"1")]
    assert stores.last_restore().rebuilt
