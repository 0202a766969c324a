"""The product page's throughput panel: events per five-minute bucket of the last hour, and
the bars the template draws from it, scaled to a round axis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streammesh.log import EventLog, LogConfig, TopicSpec, open_log
from streammesh.observe import GroupLag, PartitionLag, ProductMetrics
from streammesh.server.ui.health import (
    BUCKET_WIDTH,
    BUCKETS,
    ProductHealth,
    RateBucket,
    nice_ceiling,
    rate_buckets,
)

TOPIC = "shop.orders.v1"
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    opened = open_log(f"embedded://{tmp_path / 'log'}", LogConfig())
    opened.create_topic(TopicSpec(TOPIC, partitions=2))
    try:
        yield opened
    finally:
        opened.close()


def _produce(log: EventLog, partition: int, count: int, seconds_ago: float) -> None:
    moment = int((NOW - timedelta(seconds=seconds_ago)).timestamp() * 1000)
    with log.producer() as producer:
        for _ in range(count):
            producer.send(TOPIC, b"{}", partition=partition, timestamp_ms=moment)
        producer.flush()


def _ends(log: EventLog) -> dict[int, int]:
    return dict(log.describe_topic(TOPIC).end_offsets)


def test_events_land_in_the_bucket_of_their_time_across_partitions(log: EventLog) -> None:
    _produce(log, 0, 7, seconds_ago=2 * 3600)  # before the hour: in no bucket
    _produce(log, 0, 4, seconds_ago=58 * 60)  # the oldest bucket
    _produce(log, 1, 3, seconds_ago=57 * 60)
    _produce(log, 1, 5, seconds_ago=27 * 60)  # -30 min..-25 min
    _produce(log, 0, 3, seconds_ago=1)  # the newest bucket

    buckets = rate_buckets(log, TOPIC, _ends(log), now=NOW)

    assert [bucket.events for bucket in buckets] == [7, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 3]
    assert buckets[0].start == NOW - timedelta(hours=1)
    assert buckets[-1].per_second == pytest.approx(0.01)


def test_an_empty_topic_has_twelve_empty_buckets(log: EventLog) -> None:
    buckets = rate_buckets(log, TOPIC, _ends(log), now=NOW)

    assert len(buckets) == BUCKETS
    assert all(bucket.events == 0 for bucket in buckets)


def _health(counts: list[int], lags: dict[str, int]) -> ProductHealth:
    metrics = ProductMetrics(
        product=TOPIC,
        topic=TOPIC,
        window=timedelta(minutes=1),
        partitions=(),
        events_in_window=sum(counts),
        bytes_in_window=0,
        bytes_sampled=0,
        last_event_at=None,
        measured_at=NOW,
    )
    buckets = tuple(
        RateBucket(NOW - BUCKET_WIDTH * (len(counts) - i), n) for i, n in enumerate(counts)
    )
    group_lags = tuple(
        GroupLag(group, TOPIC, TOPIC, (PartitionLag(0, 10 - lag, 10, lag),))
        for group, lag in lags.items()
    )
    return ProductHealth(metrics, buckets, group_lags, ())


def test_bars_are_scaled_to_a_round_axis_and_labelled_by_age() -> None:
    # Events per five minutes; the busiest bucket is 0.4 events/s, so the axis ends at 0.5.
    health = _health([0, 30, 60, 15, 0, 120], {"audit": 3, "billing": 12, "idle": 0})

    assert health.rate_axis == pytest.approx(0.5)
    rates = health.rate_bars
    assert [bar.label for bar in rates] == [
        "-25 min",
        "-20 min",
        "-15 min",
        "-10 min",
        "-5 min",
        "now",
    ]
    assert [bar.share for bar in rates] == pytest.approx([0.0, 0.2, 0.4, 0.1, 0.0, 0.8])
    assert [bar.value for bar in rates] == ["0", "0.1", "0.2", "0.05", "0", "0.4"]
    lags = health.lag_bars
    assert [(bar.label, bar.value, bar.share) for bar in lags] == [
        ("billing", "12", 1.0),
        ("audit", "3", 0.25),
        ("idle", "0", 0.0),
    ]


def test_no_traffic_and_no_lag_draw_empty_bars() -> None:
    health = _health([0] * BUCKETS, {"caught-up": 0})

    assert all(bar.share == 0.0 for bar in health.rate_bars + health.lag_bars)


def test_axes_end_on_one_two_or_five_times_a_power_of_ten() -> None:
    assert [nice_ceiling(v) for v in (0.0, 0.003, 0.05, 0.11, 3.2, 7.0, 12.0)] == pytest.approx(
        [1.0, 0.005, 0.05, 0.2, 5.0, 10.0, 20.0]
    )
