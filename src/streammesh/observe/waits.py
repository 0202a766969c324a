"""``WaitSlots``: how many caught-up questions may wait at once, per token and in total.

A waiting caught-up question costs the server little (it sleeps between cheap checks), but
each check reads the log and the metadata store; without a bound, one token could make the
server check for thousands of waiters. A question that is answered at once (caught up
already, or asked without ``wait``) takes no slot.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from streammesh.observe.errors import TooManyWaits
from streammesh.observe.lag import MAX_WAIT_S

DEFAULT_WAITS_PER_TOKEN = 4
DEFAULT_WAITS_TOTAL = 64


@dataclass(frozen=True, slots=True)
class WaitLimits:
    """The most caught-up waits one token, and the whole server process, may hold at once."""

    per_token: int = DEFAULT_WAITS_PER_TOKEN
    total: int = DEFAULT_WAITS_TOTAL


class WaitSlots:
    """Counts the waits in progress by holder (a token id) and refuses those over the limits.

    Thread-safe, so the same slots serve an event loop and worker threads.
    """

    def __init__(self, limits: WaitLimits | None = None) -> None:
        self.limits = limits or WaitLimits()
        self._lock = threading.Lock()
        self._ends: dict[str, list[float]] = {}  # holder -> when each of its waits ends
        self._total = 0

    @contextmanager
    def hold(self, holder: str, wait_s: float) -> Iterator[None]:
        """Hold one of ``holder``'s slots for the ``with`` block, a wait of up to ``wait_s``.

        Raises:
            TooManyWaits: ``holder`` already holds ``limits.per_token`` slots, or the server
                ``limits.total``; ``retry_after_s`` says when the first of them ends.
        """
        now = time.monotonic()
        end = now + min(max(wait_s, 0.0), MAX_WAIT_S)
        with self._lock:
            ends = self._ends.get(holder, [])
            if len(ends) >= self.limits.per_token:
                raise TooManyWaits("token", self.limits.per_token, _seconds_until(min(ends), now))
            if self._total >= self.limits.total:
                first = min(e for held in self._ends.values() for e in held)
                raise TooManyWaits("server", self.limits.total, _seconds_until(first, now))
            ends = self._ends.setdefault(holder, ends)
            ends.append(end)
            self._total += 1
        try:
            yield
        finally:
            with self._lock:
                ends.remove(end)
                if not ends:
                    self._ends.pop(holder, None)
                self._total -= 1

    @property
    def in_use(self) -> int:
        """Slots held right now, over all holders."""
        with self._lock:
            return self._total


def _seconds_until(end: float, now: float) -> int:
    return max(math.ceil(end - now), 1)
