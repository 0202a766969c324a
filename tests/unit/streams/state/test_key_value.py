"""Key-value store semantics: get, put, delete and scans, with and without a commit between."""

from __future__ import annotations

import pytest

from streammesh.streams.state import InvalidStoreInput, StoreClosed
from tests.unit.streams.state.conftest import Stores


def test_put_get_overwrite_and_delete(stores: Stores) -> None:
    store = stores.key_value()
    assert store.get(b"a") is None
    store.put(b"a", b"1")
    store.put(b"a", b"2")
    assert store.get(b"a") == b"2"
    stores.commit(store)
    assert store.get(b"a") == b"2"
    assert store.delete(b"a") == b"2"
    assert store.get(b"a") is None
    assert store.delete(b"a") is None
    stores.commit(store)
    assert store.get(b"a") is None
    assert store.all() == []


def test_scans_are_in_byte_order_and_see_uncommitted_changes(stores: Stores) -> None:
    store = stores.key_value()
    for key in (b"b", b"\xff", b"a\x00", b"a", b"ab", b"c"):
        store.put(key, key.upper())
    stores.commit(store)
    store.put(b"aa", b"new")  # only in the write cache
    store.delete(b"b")  # deleted in the cache, present in the file
    store.put(b"c", b"C2")  # overwritten in the cache

    assert store.all() == [
        (b"a", b"A"),
        (b"a\x00", b"A\x00"),
        (b"aa", b"new"),
        (b"ab", b"AB"),
        (b"c", b"C2"),
        (b"\xff", b"\xff"),
    ]
    assert store.range(b"a\x00", b"b") == [(b"a\x00", b"A\x00"), (b"aa", b"new"), (b"ab", b"AB")]
    assert store.range(low=b"c") == [(b"c", b"C2"), (b"\xff", b"\xff")]
    assert store.range(high=b"a") == [(b"a", b"A")]
    assert store.prefix_scan(b"a") == [
        (b"a", b"A"),
        (b"a\x00", b"A\x00"),
        (b"aa", b"new"),
        (b"ab", b"AB"),
    ]
    assert store.prefix_scan(b"\xff") == [(b"\xff", b"\xff")]
    assert store.prefix_scan(b"z") == []
    assert len(store) == 6


def test_a_full_cache_spills_to_the_file_before_the_commit(stores: Stores) -> None:
    store = stores.key_value(cache_max_entries=3)
    for n in range(10):
        store.put(f"k{n}".encode(), b"v")
    assert [key for key, _ in store.prefix_scan(b"k")] == [f"k{n}".encode() for n in range(10)]
    stores.commit(store)
    assert len(store) == 10


def test_bad_input_is_refused_naming_it(stores: Stores) -> None:
    store = stores.key_value()
    with pytest.raises(
        InvalidStoreInput, match="invalid key for a state store: must be bytes, not str"
    ):
        store.put("a", b"1")  # type: ignore[arg-type]
    with pytest.raises(InvalidStoreInput, match="invalid value"):
        store.put(b"a", None)  # type: ignore[arg-type]
    assert store.all() == []


def test_a_closed_store_refuses_work(stores: Stores) -> None:
    store = stores.key_value()
    store.close()
    with pytest.raises(StoreClosed, match="state store 'totals' is closed; cannot put"):
        store.put(b"a", b"1")


def test_range_reads_match_a_plain_model_through_spills_deletes_and_an_abort(
    stores: Stores,
) -> None:
    """Every kind of range read gives what a plain dict says, whatever mix of committed,
    spilled and cached changes the store holds, and after an abort the committed state."""
    store = stores.key_value(cache_max_entries=5)
    keys = [b"", b"a", b"a\x00", b"ab", b"ab\xff", b"b", b"\xff", b"\xff\xff"]
    model: dict[bytes, bytes] = {}
    committed: dict[bytes, bytes] = {}

    def check(expected: dict[bytes, bytes]) -> None:
        ordered = sorted(expected.items())
        assert store.all() == ordered
        for low in [None, *keys]:
            for high in [None, *keys]:
                assert store.range(low, high) == [
                    (k, v)
                    for k, v in ordered
                    if (low is None or k >= low) and (high is None or k <= high)
                ]
        for prefix in [b"", b"a", b"ab", b"\xff"]:
            assert store.prefix_scan(prefix) == [(k, v) for k, v in ordered if k.startswith(prefix)]

    for n in range(30):
        key = keys[n * 3 % len(keys)]
        if n % 4 == 3:
            store.delete(key)
            model.pop(key, None)
        else:
            store.put(key, b"%d" % n)
            model[key] = b"%d" % n
        if n == 15:
            stores.commit(store)
            committed = dict(model)
        check(model)
    store.abort()
    check(committed)
