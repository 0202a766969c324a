"""``MeshMonitor``: the monitoring questions asked of a mesh, by product reference.

The REST API, the CLI and the Prometheus collector call it; it resolves references with the
control plane and measures with the log, keeping nothing of its own.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from streammesh.control import ApplicationRole, ControlPlane, ProductRecord
from streammesh.log import EventLog, TopicNotFound
from streammesh.observe.lag import CaughtUp, GroupLag, caught_up, check_group, group_lag
from streammesh.observe.lag import wait_caught_up as _wait
from streammesh.observe.ledger import SloLedger, SloState
from streammesh.observe.throughput import (
    DEFAULT_MAX_READ,
    DEFAULT_WINDOW,
    ProductMetrics,
    measure_product,
)
from streammesh.products import Status

_LIVE = frozenset({Status.DRAFT, Status.PUBLISHED, Status.DEPRECATED})
"""Product versions whose topic exists (a retired one's topic is deleted)."""


@dataclass(frozen=True, slots=True)
class RegisteredGroup:
    """A consumer group that an application registered with a product version."""

    group: str
    application: str
    product: ProductRecord


class MeshMonitor:
    """Throughput, lag, caught-up answers and SLO states of one mesh."""

    def __init__(self, plane: ControlPlane, log: EventLog, ledger: SloLedger) -> None:
        self._plane = plane
        self._log = log
        self._ledger = ledger

    def product_metrics(
        self,
        reference: str,
        *,
        window: timedelta = DEFAULT_WINDOW,
        now: datetime | None = None,
        max_read: int = DEFAULT_MAX_READ,
    ) -> ProductMetrics:
        """Rates over ``window``, last event time and end offsets of a product version
        (``max_read``: how many of the window's records are read to size them).

        Raises:
            ProductNotFound: No such product.
            TopicNotFound: Its topic is gone (a retired product).
        """
        record = self._plane.product(reference)
        return measure_product(
            self._log, record.reference, record.topic, window=window, now=now, max_read=max_read
        )

    def lag(self, group: str, reference: str | None = None) -> list[GroupLag]:
        """``group``'s lag on one product version, or on every live one it committed on or
        is registered with.

        Raises:
            InvalidGroup: The group name is blank or too long.
            ProductNotFound: ``reference`` names no product.
        """
        check_group(group)
        if reference is not None:
            record = self._plane.product(reference)
            return [group_lag(self._log, group, record.reference, record.topic)]
        registered = {g.product.reference for g in self.registered_groups() if g.group == group}
        found = []
        for record in self._plane.products(statuses=_LIVE):
            with contextlib.suppress(TopicNotFound):
                lag = group_lag(self._log, group, record.reference, record.topic)
                if lag.committed_any or record.reference in registered:
                    found.append(lag)
        return found

    def caught_up(
        self, group: str, reference: str, offsets: Mapping[int, int], *, wait_s: float = 0.0
    ) -> CaughtUp:
        """Whether ``group`` has read ``reference`` up to ``offsets`` (partition -> the next
        offset to read, as end offsets are), waiting up to ``wait_s`` seconds (max 30).

        Raises:
            InvalidGroup: The group name is blank or too long.
            InvalidOffsets: A partition the topic lacks, or a negative offset.
            ProductNotFound: No such product.
        """
        record = self._plane.product(reference)
        if wait_s <= 0:
            return caught_up(self._log, group, record.reference, record.topic, offsets)
        return _wait(self._log, group, record.reference, record.topic, offsets, wait_s=wait_s)

    def caught_up_check(
        self, group: str, reference: str, offsets: Mapping[int, int]
    ) -> Callable[[], CaughtUp]:
        """A function answering :meth:`caught_up` (without waiting) each time it is called,
        the product resolved once — for a caller that waits on its own terms (an event loop).

        Raises:
            InvalidGroup: The group name is blank or too long.
            ProductNotFound: No such product.
        """
        check_group(group)
        record = self._plane.product(reference)
        return functools.partial(
            caught_up, self._log, group, record.reference, record.topic, dict(offsets)
        )

    def slo_states(self, reference: str | None = None) -> list[SloState]:
        """The SLO states the checker recorded, of every product or of one version."""
        if reference is None:
            return self._ledger.states()
        record = self._plane.product(reference)
        return self._ledger.states(record.name, record.version)

    def lag_history(self, reference: str, since: datetime) -> dict[str, list[tuple[datetime, int]]]:
        """Each consumer group's lag on a product version as the SLO checker sampled it from
        ``since`` (one sample a minute, oldest first), by group.

        Raises:
            ProductNotFound: No such product.
        """
        record = self._plane.product(reference)
        return self._ledger.lag_history(record.name, record.version, since)

    def live_products(self) -> list[ProductRecord]:
        """Every product version whose stream exists (draft, published or deprecated)."""
        return self._plane.products(statuses=_LIVE)

    def registered_groups(self) -> list[RegisteredGroup]:
        """Every consumer group registered by an application of a live product version."""
        found = []
        for record in self._plane.products(statuses=_LIVE):
            for application, _active in self._plane.applications(record.reference):
                if application.role is ApplicationRole.CONSUMER and application.group:
                    found.append(RegisteredGroup(application.group, application.name, record))
        return found
