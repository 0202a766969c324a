"""Monitoring: throughput and freshness of products, consumer-group lag, SLO checks.

- :func:`measure_product` — events/s and bytes/s over a recent window, last event time and
  end offsets of a product version's stream (:mod:`streammesh.observe.throughput`).
- :func:`group_lag`, :func:`caught_up` — lag by offsets, and whether a group has read up to
  given offsets (:mod:`streammesh.observe.lag`).
- :class:`SloChecker` / :func:`start_slo_checker` — the descriptor's ``sla.freshness`` and
  ``sla.availability`` judged continuously; breaches and recoveries are audited once and
  relayed to ``_mesh.events`` (:mod:`streammesh.observe.slo`, :mod:`streammesh.observe.ledger`).
- :class:`MeshMonitor` — the same questions asked by product reference (API, CLI, metrics).
- :func:`await_caught_up`, :class:`WaitSlots` — waiting for a group on an event loop, and how
  many such waits a token and a server may hold at once (:mod:`streammesh.observe.waits`).

Errors::

    ObserveError
    ├── InvalidOffsets   caught-up targets that do not fit the topic
    ├── InvalidGroup     an empty or over-long consumer group name
    └── TooManyWaits     more concurrent caught-up waits than a token or the server may hold
"""

from __future__ import annotations

from streammesh.log import PartitionLag  # a GroupLag's parts, the log's one lag definition
from streammesh.observe.checker import (
    CheckerSettings,
    SloChecker,
    Stoppable,
    start_slo_checker,
)
from streammesh.observe.errors import InvalidGroup, InvalidOffsets, ObserveError, TooManyWaits
from streammesh.observe.lag import (
    MAX_WAIT_S,
    CaughtUp,
    GroupLag,
    await_caught_up,
    caught_up,
    group_lag,
    wait_caught_up,
)
from streammesh.observe.ledger import CHECKER_ACTOR, SloLedger, SloState
from streammesh.observe.monitor import MeshMonitor, RegisteredGroup
from streammesh.observe.slo import Evaluation, SloKind, SloStatus, freshness_applies
from streammesh.observe.throughput import (
    DEFAULT_WINDOW,
    PartitionOffsets,
    ProductMetrics,
    measure_product,
)
from streammesh.observe.waits import WaitLimits, WaitSlots

__all__ = [
    "CHECKER_ACTOR",
    "DEFAULT_WINDOW",
    "MAX_WAIT_S",
    "CaughtUp",
    "CheckerSettings",
    "Evaluation",
    "GroupLag",
    "InvalidGroup",
    "InvalidOffsets",
    "MeshMonitor",
    "ObserveError",
    "PartitionLag",
    "PartitionOffsets",
    "ProductMetrics",
    "RegisteredGroup",
    "SloChecker",
    "SloKind",
    "SloLedger",
    "SloState",
    "SloStatus",
    "Stoppable",
    "TooManyWaits",
    "WaitLimits",
    "WaitSlots",
    "await_caught_up",
    "caught_up",
    "freshness_applies",
    "group_lag",
    "measure_product",
    "start_slo_checker",
    "wait_caught_up",
]
