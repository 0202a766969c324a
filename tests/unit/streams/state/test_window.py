"""Window store semantics: fetches by key and time range, expiry after retention."""

from __future__ import annotations

import shutil

import pytest

from streammesh.streams.state import InvalidStoreInput
from tests.unit.streams.state.conftest import Stores

MINUTE = 60_000


def test_fetch_by_key_and_time_range(stores: Stores) -> None:
    store = stores.window()
    store.put(b"ZTEST", 0, b"1")
    store.put(b"ZTEST", MINUTE, b"2")
    store.put(b"ZVV", MINUTE, b"5")
    stores.commit(store)
    store.put(b"ZTEST", 2 * MINUTE, b"3")  # uncommitted
    store.put(b"ZTEST", MINUTE, b"20")  # overwritten, uncommitted

    assert store.fetch(b"ZTEST", MINUTE) == b"20"
    assert store.fetch(b"ZTEST", 3 * MINUTE) is None
    assert store.fetch_range(b"ZTEST", 0, 2 * MINUTE) == [
        (0, b"1"),
        (MINUTE, b"20"),
        (2 * MINUTE, b"3"),
    ]
    assert store.fetch_range(b"ZTEST", MINUTE, MINUTE) == [(MINUTE, b"20")]
    assert store.fetch_range(b"ZT", 0, 10 * MINUTE) == []
    assert store.fetch_all(MINUTE, 2 * MINUTE) == [
        (b"ZTEST", MINUTE, b"20"),
        (b"ZVV", MINUTE, b"5"),
        (b"ZTEST", 2 * MINUTE, b"3"),
    ]
    store.delete(b"ZVV", MINUTE)
    assert store.fetch_all(0, 10 * MINUTE) == [
        (b"ZTEST", 0, b"1"),
        (b"ZTEST", MINUTE, b"20"),
        (b"ZTEST", 2 * MINUTE, b"3"),
    ]


def test_expire_removes_windows_past_retention_and_drops_late_puts(stores: Stores) -> None:
    store = stores.window(retention_ms=10 * MINUTE)
    for start in range(0, 6 * MINUTE, MINUTE):
        store.put(b"k", start, str(start).encode())
    stores.commit(store)
    store.put(b"j", 2 * MINUTE, b"cached")

    # Stream time 12 min: windows starting at or before 2 min are past the 10 min retention.
    assert store.expire(12 * MINUTE) == 4
    assert [start for start, _ in store.fetch_range(b"k", 0, 10 * MINUTE)] == [
        3 * MINUTE,
        4 * MINUTE,
        5 * MINUTE,
    ]
    assert store.fetch(b"j", 2 * MINUTE) is None
    assert store.put(b"k", MINUTE, b"late") is False
    assert store.fetch(b"k", MINUTE) is None
    assert store.put(b"k", 3 * MINUTE, b"on time") is True
    assert store.expire(11 * MINUTE) == 0  # stream time does not go back
    stores.commit(store)
    assert [start for _, start, _ in store.all()] == [3 * MINUTE, 4 * MINUTE, 5 * MINUTE]


def test_a_negative_retention_is_refused(stores: Stores) -> None:
    with pytest.raises(InvalidStoreInput, match="retention_ms"):
        stores.window(retention_ms=0)


def test_expired_windows_stay_expired_after_a_restore(stores: Stores) -> None:
    store = stores.window(retention_ms=10 * MINUTE)
    for start in range(0, 6 * MINUTE, MINUTE):
        store.put(b"k", start, b"v")
    stores.commit(store)
    store.expire(12 * MINUTE)
    stores.commit(store)
    expected = store.all()
    store.close()
    shutil.rmtree(stores.state_dir)
    assert stores.window(retention_ms=10 * MINUTE).all() == expected
    assert [start for _, start, _ in expected] == [3 * MINUTE, 4 * MINUTE, 5 * MINUTE]


def test_range_reads_see_each_keys_own_changes_through_spills_and_aborts(stores: Stores) -> None:
    """Range reads of one key see exactly that key's uncommitted changes, whatever else the
    write cache holds (keys that are prefixes of each other, deletes, spills, an abort)."""
    windows = stores.window(cache_max_entries=7)
    sessions = stores.session(cache_max_entries=7)
    keys = [b"a", b"ab", b"b", b"a\x00"]
    expected: dict[bytes, dict[int, bytes]] = {key: {} for key in keys}
    for n in range(40):
        key = keys[n % len(keys)]
        start = (n % 5) * MINUTE
        value = b"%d" % n
        windows.put(key, start, value)
        sessions.put(key, start, start + 10, value)
        expected[key][start] = value
        if n % 6 == 5:
            windows.delete(key, start)
            sessions.remove(key, start, start + 10)
            del expected[key][start]
        if n == 20:
            stores.commit(windows, sessions)
            committed = {key: dict(starts) for key, starts in expected.items()}
        for other in keys:
            wanted = sorted(expected[other].items())
            assert windows.fetch_range(other, 0, 4 * MINUTE) == wanted
            assert sessions.find_sessions(other, 0, 4 * MINUTE) == [
                (start, start + 10, value) for start, value in wanted
            ]
    windows.abort()
    sessions.abort()
    for key in keys:
        wanted = sorted(committed[key].items())
        assert windows.fetch_range(key, MINUTE, 3 * MINUTE) == [
            item for item in wanted if MINUTE <= item[0] <= 3 * MINUTE
        ]
        assert [(s, v) for s, _e, v in sessions.find_sessions(key, 0, 4 * MINUTE)] == wanted
