"""Consumer-group lag by offsets, and caught-up answers (with and without waiting)."""

from __future__ import annotations

import threading
import time

import pytest

from streammesh.observe import InvalidGroup, InvalidOffsets, caught_up, group_lag, wait_caught_up
from streammesh.runtime import MeshRuntime
from tests.unit.observe.meshes import PROFILES, TRADES, Clock, commit, produce


def test_lag_is_the_distance_from_the_committed_offset_to_the_end(
    mesh: MeshRuntime, clock: Clock
) -> None:
    produce(mesh, TRADES, 0, 7, at_ms=clock.ms)
    produce(mesh, TRADES, 3, 2, at_ms=clock.ms)

    before = group_lag(mesh.log, "risk", TRADES, TRADES)
    assert (before.total, before.caught_up, before.committed_any) == (9, False, False)
    assert [p.lag for p in before.partitions] == [7, 0, 0, 2]

    commit(mesh, "risk", TRADES, {0: 5, 3: 2})
    after = group_lag(mesh.log, "risk", TRADES, TRADES)
    assert [(p.committed, p.end, p.lag) for p in after.partitions] == [
        (5, 7, 2),
        (None, 0, 0),
        (None, 0, 0),
        (2, 2, 0),
    ]
    commit(mesh, "risk", TRADES, {0: 7})
    assert group_lag(mesh.log, "risk", TRADES, TRADES).caught_up


def test_a_quiet_compacted_stream_read_to_its_end_is_caught_up(
    mesh: MeshRuntime, clock: Clock
) -> None:
    produce(mesh, PROFILES, 0, 3, at_ms=clock.ms - 30 * 24 * 3_600_000)  # a month ago
    commit(mesh, "crm", PROFILES, {0: 3})

    lag = group_lag(mesh.log, "crm", PROFILES, PROFILES)

    assert lag.caught_up and lag.total == 0


def test_caught_up_compares_committed_offsets_with_the_targets(
    mesh: MeshRuntime, clock: Clock
) -> None:
    produce(mesh, TRADES, 0, 12, at_ms=clock.ms)
    produce(mesh, TRADES, 1, 7, at_ms=clock.ms)
    commit(mesh, "risk", TRADES, {0: 12, 1: 4})

    answer = caught_up(mesh.log, "risk", TRADES, TRADES, {0: 12, 1: 7})
    assert not answer.caught_up
    assert answer.document()["behind"] == {"1": 3}
    assert answer.document()["committed"] == {"0": 12, "1": 4}

    assert caught_up(mesh.log, "risk", TRADES, TRADES, {0: 12, 1: 4}).caught_up
    never = caught_up(mesh.log, "new-group", TRADES, TRADES, {0: 1})
    assert never.behind == {0: 1} and never.committed == {0: None}


def test_caught_up_refuses_offsets_that_do_not_fit_the_topic(mesh: MeshRuntime) -> None:
    with pytest.raises(InvalidOffsets, match=r"partition\(s\) \[9\] the topic lacks"):
        caught_up(mesh.log, "risk", TRADES, TRADES, {9: 1})
    with pytest.raises(InvalidOffsets, match="negative offset"):
        caught_up(mesh.log, "risk", TRADES, TRADES, {0: -1})
    with pytest.raises(InvalidOffsets, match="no partition"):
        caught_up(mesh.log, "risk", TRADES, TRADES, {})
    with pytest.raises(InvalidGroup, match="is empty"):
        group_lag(mesh.log, " ", TRADES, TRADES)


def test_waiting_answers_as_soon_as_the_group_catches_up(mesh: MeshRuntime, clock: Clock) -> None:
    produce(mesh, TRADES, 0, 4, at_ms=clock.ms)
    later = threading.Timer(0.5, commit, (mesh, "risk", TRADES, {0: 4}))
    started = time.monotonic()
    later.start()
    try:
        answer = wait_caught_up(mesh.log, "risk", TRADES, TRADES, {0: 4}, wait_s=10)
    finally:
        later.join()

    assert answer.caught_up
    assert 0.4 < time.monotonic() - started < 5


def test_waiting_gives_up_after_the_wait_and_says_how_far_behind(
    mesh: MeshRuntime, clock: Clock
) -> None:
    produce(mesh, TRADES, 0, 4, at_ms=clock.ms)
    started = time.monotonic()

    answer = wait_caught_up(mesh.log, "risk", TRADES, TRADES, {0: 4}, wait_s=0.6)

    assert not answer.caught_up and answer.behind == {0: 4}
    assert 0.5 < time.monotonic() - started < 3
