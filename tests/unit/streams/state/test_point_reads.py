"""Point reads (``get``, ``fetch``) give what a plain model says through any mix of puts,
deletes, spills of a full cache, commits and aborts: a store that remembers which keys its
file holds (to skip SQLite for keys it has never written) never misses one it holds."""

from __future__ import annotations

import random

import pytest

from tests.unit.streams.state.conftest import Stores

KEYS = [b"a", b"b", b"c", b"d"]
STARTS = [0, 60_000]


@pytest.mark.parametrize("seed", range(6))
def test_point_reads_match_a_model_through_spills_commits_and_aborts(
    stores: Stores, seed: int
) -> None:
    chance = random.Random(seed)
    # A cache of two entries spills to the file (and forgets what it wrote) all the time.
    values = stores.key_value(cache_max_entries=2)
    windows = stores.window(cache_max_entries=2)
    model: dict[object, bytes] = {}
    committed: dict[object, bytes] = {}
    for step in range(120):
        key, start = chance.choice(KEYS), chance.choice(STARTS)
        action = chance.random()
        if action < 0.45:
            value = b"%d" % step
            values.put(key, value)
            windows.put(key, start, value)
            model[key], model[(key, start)] = value, value
        elif action < 0.8:
            values.delete(key)
            windows.delete(key, start)
            model.pop(key, None)
            model.pop((key, start), None)
        elif action < 0.92:
            stores.commit(values, windows)
            committed = dict(model)
        else:
            values.flush()  # what the engine sent for a transaction it then aborts
            windows.flush()
            values.abort()
            windows.abort()
            model = dict(committed)
        for read in KEYS:
            assert values.get(read) == model.get(read), (step, read)
            for at in STARTS:
                assert windows.fetch(read, at) == model.get((read, at)), (step, read, at)


def test_a_reopened_store_reads_what_it_held(stores: Stores) -> None:
    store = stores.window()
    store.put(b"k", 0, b"1")
    stores.commit(store)
    store.close()
    again = stores.window()
    assert again.fetch(b"k", 0) == b"1"
    assert again.fetch(b"k", 60_000) is None
    again.put(b"j", 60_000, b"2")
    stores.commit(again)
    assert again.fetch(b"j", 60_000) == b"2"
