"""The SLO rules: what a product's ``sla.freshness`` and ``sla.availability`` promise, judged
from what was measured. Pure functions; the checker measures and records.

Freshness — "the newest event is not older than ``sla.freshness``" — is judged only for
streams where silence means something is wrong: kinds ``measurement``, ``delta`` and
``notification`` with a retention that is not ``compacted``. A ``state`` stream (or any
compacted one) tells the current state of entities; when no entity changes it is quiet and
still current, so its freshness is not judged by the age of its newest event. A stream with
no event at all breaches once it has been published for longer than its freshness.

Availability — "the stream is readable ``sla.availability`` percent of the time" — is the
share of the checker's probes of the log (describe the topic and read its end) that
succeeded over a window (a day by default); it is judged once the window holds enough
probes (ten by default), so a freshly started checker does not breach on its first failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from streammesh.control import ProductRecord
from streammesh.durations import format_ms
from streammesh.products import EventKind, RetentionMode, Status

MONITORED = frozenset({Status.PUBLISHED, Status.DEPRECATED})
"""Statuses whose SLOs are checked: a draft promises nothing yet, a retired stream is gone."""
_QUIET_KINDS = frozenset({EventKind.STATE})


class SloKind(StrEnum):
    """Which promise of the descriptor's ``sla``."""

    FRESHNESS = "freshness"
    AVAILABILITY = "availability"


class SloStatus(StrEnum):
    """Whether a promise is kept."""

    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One SLO of one product version, judged at one moment.

    Attributes:
        product: ``<name>.v<N>``.
        target: The promise as the descriptor says it (``"15m"``, ``"99.9%"``).
        observed: What was measured (``"42m"``, ``"97.5% of 40 probes"``).
    """

    product: str
    name: str
    version: int
    slo: SloKind
    status: SloStatus
    target: str
    observed: str


def freshness_applies(record: ProductRecord) -> bool:
    """Whether the age of the newest event says anything about this product (see module)."""
    descriptor = record.descriptor
    return (
        descriptor.sla.freshness is not None
        and record.status in MONITORED
        and descriptor.kind not in _QUIET_KINDS
        and descriptor.retention.mode is not RetentionMode.COMPACTED
    )


def judge_freshness(
    record: ProductRecord, last_event_at: datetime | None, now: datetime
) -> Evaluation | None:
    """The freshness SLO of ``record`` given its newest event; ``None`` when not judged."""
    freshness = record.descriptor.sla.freshness
    if freshness is None or not freshness_applies(record):
        return None
    if last_event_at is None:
        age = now - record.status_since
        observed = f"no event yet, published {_text(age)} ago"
    else:
        age = now - last_event_at
        observed = f"newest event {_text(age)} old"
    status = SloStatus.BREACHED if age > freshness else SloStatus.MET
    return _evaluation(record, SloKind.FRESHNESS, status, _text(freshness), observed)


def judge_availability(
    record: ProductRecord, probes: int, failures: int, *, min_probes: int
) -> Evaluation | None:
    """The availability SLO of ``record`` given the probes of its window; ``None`` when not
    judged (no target, not monitored, or too few probes yet)."""
    target = record.descriptor.sla.availability
    if target is None or record.status not in MONITORED or probes < max(min_probes, 1):
        return None
    ratio = 100.0 * (probes - failures) / probes
    status = SloStatus.BREACHED if ratio < target else SloStatus.MET
    observed = f"{ratio:.3g}% of {probes} probes"
    return _evaluation(record, SloKind.AVAILABILITY, status, f"{target:g}%", observed)


def _evaluation(
    record: ProductRecord, slo: SloKind, status: SloStatus, target: str, observed: str
) -> Evaluation:
    return Evaluation(record.reference, record.name, record.version, slo, status, target, observed)


def _text(duration: timedelta) -> str:
    seconds = max(int(duration.total_seconds()), 0)
    return format_ms(seconds * 1000) if seconds else "0s"
