"""Rates, last event time and end offsets of a product, measured from the embedded log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streammesh.observe import measure_product
from streammesh.runtime import MeshRuntime
from tests.unit.observe.meshes import TRADES, Clock, produce

TOPIC = TRADES  # a product version's topic is its reference


def test_rates_count_only_the_window_and_size_the_records(mesh: MeshRuntime, clock: Clock) -> None:
    produce(mesh, TOPIC, 0, 30, at_ms=clock.ms - 10_000)
    produce(mesh, TOPIC, 2, 12, at_ms=clock.ms - 20_000)
    produce(mesh, TOPIC, 1, 50, at_ms=clock.ms - 5 * 60_000)  # before the window

    metrics = measure_product(mesh.log, TRADES, TOPIC, now=clock.now)

    assert metrics.events_in_window == 42
    assert metrics.bytes_in_window == 42 * (100 + 2)  # value + key
    assert metrics.events_per_second == 42 / 60
    assert metrics.bytes_per_second == 42 * 102 / 60
    assert metrics.end_offsets == {0: 30, 1: 50, 2: 12, 3: 0}
    assert metrics.last_event_at == datetime.fromtimestamp((clock.ms - 10_000) / 1000, UTC)


def test_a_wider_window_takes_older_events_in(mesh: MeshRuntime, clock: Clock) -> None:
    produce(mesh, TOPIC, 1, 50, at_ms=clock.ms - 5 * 60_000)

    assert measure_product(mesh.log, TRADES, TOPIC, now=clock.now).events_in_window == 0
    wide = measure_product(mesh.log, TRADES, TOPIC, now=clock.now, window=timedelta(minutes=10))
    assert wide.events_in_window == 50
    assert wide.events_per_second == 50 / 600


def test_bytes_beyond_the_read_limit_are_estimated_from_the_records_read(
    mesh: MeshRuntime, clock: Clock
) -> None:
    produce(mesh, TOPIC, 0, 40, at_ms=clock.ms - 1_000, size=48)

    metrics = measure_product(mesh.log, TRADES, TOPIC, now=clock.now, max_read=10)

    assert metrics.bytes_sampled == 10
    assert metrics.events_in_window == 40
    assert metrics.bytes_in_window == 40 * 50


def test_an_empty_stream_has_no_last_event_and_no_rate(mesh: MeshRuntime, clock: Clock) -> None:
    metrics = measure_product(mesh.log, TRADES, TOPIC, now=clock.now)

    assert metrics.last_event_at is None
    assert metrics.events_in_window == metrics.bytes_in_window == 0
    assert metrics.document()["partitions"][0] == {
        "partition": 0,
        "beginning_offset": 0,
        "end_offset": 0,
    }
