"""Session store semantics: finding the sessions a new event merges with, removing them."""

from __future__ import annotations

import pytest

from streammesh.streams.state import InvalidStoreInput
from tests.unit.streams.state.conftest import Stores

GAP = 5_000


def merge(store_sessions: list[tuple[int, int, bytes]], ts: int) -> tuple[int, int, int]:
    """The session an event at ``ts`` makes, counting events, from the ones it merges."""
    start = min([ts, *(s for s, _, _ in store_sessions)])
    end = max([ts, *(e for _, e, _ in store_sessions)])
    count = 1 + sum(int(v) for _, _, v in store_sessions)
    return start, end, count


def test_find_sessions_overlapping_a_range(stores: Stores) -> None:
    store = stores.session()
    store.put(b"alice", 1_000, 2_000, b"a")
    store.put(b"alice", 10_000, 12_000, b"b")
    store.put(b"alice", 30_000, 30_000, b"c")
    store.put(b"bob", 9_000, 11_000, b"x")
    stores.commit(store)

    assert store.find_sessions(b"alice", 2_000, 10_000) == [
        (1_000, 2_000, b"a"),
        (10_000, 12_000, b"b"),
    ]
    assert store.find_sessions(b"alice", 2_001, 9_999) == []
    assert store.find_sessions(b"alice", 0, 100_000) == [
        (1_000, 2_000, b"a"),
        (10_000, 12_000, b"b"),
        (30_000, 30_000, b"c"),
    ]
    assert store.find_sessions(b"bob", 11_000, 11_000) == [(9_000, 11_000, b"x")]


def test_merging_sessions_with_find_remove_put(stores: Stores) -> None:
    store = stores.session()
    for ts in (1_000, 3_000, 20_000, 12_000):  # 12 s bridges nothing: gap 5 s
        found = store.find_sessions(b"k", ts - GAP, ts + GAP)
        for start, end, _ in found:
            store.remove(b"k", start, end)
        start, end, count = merge(found, ts)
        store.put(b"k", start, end, str(count).encode())
    stores.commit(store)
    assert store.all() == [
        (b"k", 1_000, 3_000, b"2"),
        (b"k", 12_000, 12_000, b"1"),
        (b"k", 20_000, 20_000, b"1"),
    ]

    ts = 16_000  # within the gap of both 12 s and 20 s: merges them
    found = store.find_sessions(b"k", ts - GAP, ts + GAP)
    assert [(s, e) for s, e, _ in found] == [(12_000, 12_000), (20_000, 20_000)]
    for start, end, _ in found:
        store.remove(b"k", start, end)
    start, end, count = merge(found, ts)
    store.put(b"k", start, end, str(count).encode())
    assert store.all() == [(b"k", 1_000, 3_000, b"2"), (b"k", 12_000, 20_000, b"3")]
    assert store.fetch_session(b"k", 12_000, 12_000) is None


def test_expire_removes_sessions_ended_before_retention(stores: Stores) -> None:
    store = stores.session(retention_ms=10_000)
    store.put(b"k", 0, 5_000, b"old")
    store.put(b"k", 8_000, 9_000, b"newer")
    stores.commit(store)
    assert store.expire(15_000) == 1
    assert store.all() == [(b"k", 8_000, 9_000, b"newer")]
    assert store.put(b"k", 1_000, 4_000, b"late") is False


def test_a_session_ending_before_it_starts_is_refused(stores: Stores) -> None:
    store = stores.session()
    with pytest.raises(InvalidStoreInput, match=r"ends \(1\) before it starts \(2\)"):
        store.put(b"k", 2, 1, b"v")
