"""Throughput and freshness of a product for its page: events/s over the last hour in
five-minute buckets (drawn as a chart with axes, units and values), the newest event's time,
end offsets, each registered consumer group's lag by offsets now and over the last hour, and
each objective of the contract's SLA with the state the checker recorded or why it is not
checked.

Throughput is measured when the page is asked for: the buckets come from the offsets
``seek_to_timestamp`` finds at each bucket's start, read without a consumer group, so looking
at a page moves no application's offsets. Lag over time cannot be measured after the fact
(a group's past commits are not kept), so it is what the SLO checker sampled, once a minute,
into the metadata store (the server itself still keeps nothing).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from streammesh.control import ApplicationRole, ProductRecord
from streammesh.durations import format_ms
from streammesh.log import ConsumerOptions, EventLog, LogError, TopicPartition
from streammesh.observe import (
    CheckerSettings,
    GroupLag,
    ProductMetrics,
    SloKind,
    SloState,
    freshness_applies,
)
from streammesh.products import EventKind, RetentionMode, Status
from streammesh.server.context import ServerContext

BUCKETS = 12
BUCKET_WIDTH = timedelta(minutes=5)
"""Twelve buckets of five minutes: the last hour."""
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
class Objective:
    """One objective of the contract's SLA on the page.

    Attributes:
        slo: Which objective.
        target: The promise as the contract says it (``15m``, ``99.9%``); ``None``: none.
        state: The state the checker recorded; ``None`` when it is not checked (yet).
        reason: Why there is no state, in words; ``None`` when there is one.
    """

    slo: SloKind
    target: str | None
    state: SloState | None
    reason: str | None


def objectives(
    record: ProductRecord, states: tuple[SloState, ...], settings: CheckerSettings | None = None
) -> tuple[Objective, ...]:
    """Freshness and availability of ``record``: each one's recorded state, or why the
    checker does not judge it (no target, not monitored, a quiet stream, too few probes)."""
    sla = record.descriptor.sla
    recorded = {state.slo: state for state in states}
    unmonitored = (
        f"a {record.status.value} product is not monitored"
        if record.status in (Status.DRAFT, Status.RETIRED)
        else None
    )
    freshness = sla.freshness
    fresh_reason: str | None
    if freshness is None:
        fresh_reason = "the contract sets no freshness target"
    elif unmonitored:
        fresh_reason = unmonitored
    elif not freshness_applies(record) and record.descriptor.kind is EventKind.STATE:
        fresh_reason = (
            "not checked on a state stream: it is quiet while no entity changes, so the age "
            "of its newest event says nothing"
        )
    elif not freshness_applies(record) and (
        record.descriptor.retention.mode is RetentionMode.COMPACTED
    ):
        fresh_reason = (
            "not checked on a compacted stream: it keeps the latest event per key, so a "
            "quiet stream is still current"
        )
    else:
        fresh_reason = "not checked yet: the SLO checker judges it on its next pass"
    availability = sla.availability
    min_probes = (settings or CheckerSettings()).min_probes
    if availability is None:
        available_reason = "the contract sets no availability target"
    elif unmonitored:
        available_reason = unmonitored
    else:
        available_reason = (
            f"not checked yet: judged once the SLO checker has probed the stream {min_probes} times"
        )
    found = [
        (
            SloKind.FRESHNESS,
            None if freshness is None else format_ms(int(freshness.total_seconds() * 1000)),
            fresh_reason,
        ),
        (
            SloKind.AVAILABILITY,
            None if availability is None else f"{availability:g}%",
            available_reason,
        ),
    ]
    return tuple(
        Objective(slo, target, recorded.get(slo), None if slo in recorded else reason)
        for slo, target, reason in found
    )


LAG_WINDOW = timedelta(hours=1)
"""How far back the lag-over-time chart looks."""


@dataclass(frozen=True, slots=True)
class LagPoint:
    """One lag sample on the chart: where it sits (shares of the axes, 0..1) and its value."""

    x: float
    y: float
    lag: int
    at: datetime


@dataclass(frozen=True, slots=True)
class LagLine:
    """One consumer group's lag over the last hour, oldest sample first."""

    group: str
    points: tuple[LagPoint, ...]


@dataclass(frozen=True, slots=True)
class ProductHealth:
    """The throughput and freshness panel of a product page."""

    metrics: ProductMetrics
    buckets: tuple[RateBucket, ...]
    lags: tuple[GroupLag, ...]
    slos: tuple[SloState, ...]
    objectives: tuple[Objective, ...] = ()
    lag_history: Mapping[str, Sequence[tuple[datetime, int]]] = field(default_factory=dict)
    """Each group's lag samples of the last hour (see :data:`LAG_WINDOW`), oldest first."""

    @property
    def lag_axis(self) -> float:
        """The top of the lag-over-time axis: a round number at or above the largest lag."""
        return nice_ceiling(
            max((lag for samples in self.lag_history.values() for _at, lag in samples), default=0)
        )

    @property
    def lag_lines(self) -> list[LagLine]:
        """A line per group, placed on the last hour ending when the metrics were measured."""
        start = self.metrics.measured_at - LAG_WINDOW
        top = self.lag_axis
        return [
            LagLine(
                group,
                tuple(
                    LagPoint(min(max((at - start) / LAG_WINDOW, 0.0), 1.0), lag / top, lag, at)
                    for at, lag in samples
                ),
            )
            for group, samples in sorted(self.lag_history.items())
        ]

    @property
    def rate_axis(self) -> float:
        """The top of the events/s axis: a round number at or above the highest bar."""
        return nice_ceiling(max((bucket.per_second for bucket in self.buckets), default=0.0))

    @property
    def rate_bars(self) -> list[Bar]:
        """Events/s per bucket, oldest first, labelled by how long ago each ended, each bar's
        length a share of the axis."""
        top = self.rate_axis
        count = len(self.buckets)
        minutes = int(BUCKET_WIDTH.total_seconds() // 60)
        return [
            Bar(
                f"-{(count - index - 1) * minutes} min" if index < count - 1 else "now",
                _rate(bucket.per_second),
                bucket.per_second / top,
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


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2 or 5 times a power of ten that is at least ``value`` (1 for 0), so
    an axis ends on a round number."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value * (1 - 1e-9))


def _rate(per_second: float) -> str:
    """Events/s as people read it: two significant figures below 10, whole numbers above."""
    return f"{per_second:.0f}" if per_second >= 10 else f"{per_second:.2g}"


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
    states = tuple(monitor.slo_states(record.reference))
    history = monitor.lag_history(record.reference, since=moment - LAG_WINDOW)
    return ProductHealth(metrics, buckets, tuple(lags), states, objectives(record, states), history)


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
