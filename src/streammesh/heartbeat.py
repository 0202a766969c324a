"""``Heartbeat``: how a background worker says it is not stuck.

A worker (the notifier, the event relay, the SLO checker, the stream and connector hosts)
loops in a thread of its own. After each round that made progress, or found nothing to do,
it calls :meth:`Heartbeat.progressed`. A round that failed (the store or the log down), or
that found work it could not do (a consumer behind the log's end that reads nothing), does
not. So a worker is *stuck* when it has not progressed for :attr:`Heartbeat.stuck_after_s`
seconds: it has work and does none of it, or it hangs. A worker that is idle is never stuck.
``/readyz`` reports stuck workers by name; the worker itself goes on retrying.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["DEFAULT_STUCK_AFTER_S", "BackgroundWork", "Heartbeat", "WorkerHealth"]

DEFAULT_STUCK_AFTER_S = 60.0
"""A worker that has not progressed for this long is stuck (a minute: longer than a group
join, a broker's leader election or a PostgreSQL restart take)."""


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    """One worker's state as readiness sees it.

    Attributes:
        name: The worker (``notifier``, ``event-relay``, ``slo-checker``, ...).
        stuck: Whether it has not progressed for longer than it may.
        idle_s: Seconds since it last progressed.
    """

    name: str
    stuck: bool
    idle_s: float


class Heartbeat:
    """The last time one worker progressed; thread-safe.

    Example:
        >>> beat = Heartbeat("notifier", stuck_after_s=60)
        >>> beat.progressed()
        >>> beat.health().stuck
        False
    """

    def __init__(
        self,
        name: str,
        *,
        stuck_after_s: float = DEFAULT_STUCK_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.stuck_after_s = stuck_after_s
        self._clock = clock
        self._lock = threading.Lock()
        # Starting counts as progress: a worker gets its full grace period to do a first round.
        self._last = clock()

    def progressed(self) -> None:
        """Record that a round made progress or found nothing to do."""
        now = self._clock()
        with self._lock:
            self._last = now

    def health(self) -> WorkerHealth:
        """Whether the worker is stuck now, and for how long it has not progressed."""
        with self._lock:
            idle = max(0.0, self._clock() - self._last)
        return WorkerHealth(self.name, idle > self.stuck_after_s, idle)


class BackgroundWork(Protocol):
    """Background work a process starts and stops, with the heartbeats of its loops."""

    @property
    def heartbeats(self) -> Sequence[Heartbeat]:
        """One per loop, named after what it does."""
        ...

    def stop(self) -> None:
        """Stop after the round under way and wait for the work to end."""
        ...
