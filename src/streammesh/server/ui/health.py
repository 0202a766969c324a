"""Throughput and freshness of a product for its page: events/s over the last minute in
buckets, the newest event's time, end offsets, each registered consumer group's lag by
offsets, and the SLO states the checker recorded.

Everything is measured when the page is asked for (the server keeps no samples): the
buckets come from the offsets ``seek_to_timestamp`` finds at each bucket's start, read
without a consumer group, so looking at a page moves no application's offsets.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from streammesh.control import ApplicationRole, ProductRecord
from streammesh.log import ConsumerOptions, EventLog, LogError, TopicPartition
from streammesh.observe import GroupLag, ProductMetrics, SloState
from streammesh.server.context import ServerContext

BUCKETS = 6
BUCKET_WIDTH = timedelta(seconds=10)
"""Six buckets of ten seconds: the last minute."""
_OPTIONS = ConsumerOptions(auto_commit=False, client_id="streammesh-ui-throughput")


@dataclass(frozen=True, slots=True)
class RateBucket:
    """Events appended during one bucket of the last minute.

    Attributes:
        start: When the bucket begins.
        events: Events appended in ``[start, start + BUCKET_WIDTH)``.
    """

    start: datetime
    events: int

    @property
    def per_second(self) -> float:
        return self.events / BUCKET_WIDTH.total_seconds()


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart: a label, the value shown, and its length as a share of the
    longest bar (0..1), so the template draws it without arithmetic."""

    label: str
    value: str
    share: float


@dataclass(frozen=True, slots=True)
class ProductHealth:
    """The throughput and freshness panel of a product page."""

    metrics: ProductMetrics
    buckets: tuple[RateBucket, ...]
    lags: tuple[GroupLag, ...]
    slos: tuple[SloState, ...]

    @property
    def rate_bars(self) -> list[Bar]:
        """Events/s per bucket, oldest first, labelled by how long ago each ended."""
        top = max((bucket.events for bucket in self.buckets), default=0)
        count = len(self.buckets)
        return [
            Bar(
                f"-{(count - index - 1) * int(BUCKET_WIDTH.total_seconds())}s",
                f"{bucket.per_second:.1f}",
                bucket.events / top if top else 0.0,
            )
            for index, bucket in enumerate(self.buckets)
        ]

    @property
    def lag_bars(self) -> list[Bar]:
        """Each consumer group's total lag, longest first."""
        top = max((lag.total for lag in self.lags), default=0)
        return [
            Bar(lag.group, str(lag.total), lag.total / top if top else 0.0)
            for lag in sorted(self.lags, key=lambda lag: (-lag.total, lag.group))
        ]


def product_health(
    context: ServerContext, record: ProductRecord, *, now: datetime | None = None
) -> ProductHealth | None:
    """The panel for ``record``; ``None`` when the server has no log or the stream is gone."""
    moment = now or datetime.now(UTC)
    monitor = context.runtime.monitor
    try:
        # Sizing the window's records is not shown on the page; read none of them.
        metrics = monitor.product_metrics(record.reference, now=moment, max_read=0)
        buckets = rate_buckets(context.runtime.log, record.topic, metrics.end_offsets, now=moment)
    except LogError:
        return None
    groups = sorted(
        {
            app.group
            for app, _active in context.runtime.plane.applications(record.reference)
            if app.role is ApplicationRole.CONSUMER and app.group
        }
    )
    lags = []
    for group in groups:
        with contextlib.suppress(LogError):
            lags.extend(monitor.lag(group, record.reference))
    return ProductHealth(metrics, buckets, tuple(lags), tuple(monitor.slo_states(record.reference)))


def rate_buckets(
    log: EventLog, topic: str, ends: dict[int, int], *, now: datetime
) -> tuple[RateBucket, ...]:
    """Events appended to ``topic`` in each of the :data:`BUCKETS` buckets before ``now``
    (``ends``: the partitions' end offsets, measured at ``now``)."""
    starts = [now - BUCKET_WIDTH * (BUCKETS - index) for index in range(BUCKETS)]
    filled = [TopicPartition(topic, partition) for partition, end in ends.items() if end > 0]
    if not filled:
        return tuple(RateBucket(start, 0) for start in starts)
    positions: list[int] = []
    with log.consumer(_OPTIONS) as consumer:
        consumer.assign(filled)
        for start in starts:
            consumer.seek_to_timestamp(int(start.timestamp() * 1000), filled)
            positions.append(sum(consumer.position(tp) for tp in filled))
    positions.append(sum(ends.values()))
    return tuple(
        RateBucket(start, max(positions[index + 1] - positions[index], 0))
        for index, start in enumerate(starts)
    )
