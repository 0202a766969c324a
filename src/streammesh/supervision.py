"""``Supervisor``: one thread per recorded item that should run in this process.

The stream host and the connector host of ``streammesh up`` work the same way: a supervisor
thread reads, every ``poll_s`` seconds, which items (applications, connectors) are placed on
the server and should run, and starts a thread for each that has none alive; each such thread
runs its item until the item's record says otherwise, and then ends by itself. What differs
between the two hosts — what is wanted and what a thread does — is given as two functions.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from streammesh.errors import MeshError
from streammesh.heartbeat import Heartbeat

__all__ = ["Backoff", "Supervisor"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long a thread waits before restarting a failed run: ``first_s`` after the first
    failure, doubled after each failure in a row, never more than ``longest_s``."""

    first_s: float = 1.0
    longest_s: float = 60.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failures in a row (``failures`` >= 1)."""
        return float(min(self.longest_s, self.first_s * 2.0 ** (failures - 1)))


class Supervisor:
    """Keeps a thread alive per wanted item (see the module); ``stop()`` it.

    Args:
        what: What the items are, for messages (``stream applications``, ``connectors``).
        wanted: The names of the items that should run here now (it reads the store; a
            :class:`~streammesh.errors.MeshError` is logged and retried next round).
        thread_for: A new (not started) thread that runs the named item until it should
            not run here any more; it must end soon once the given event is set.
        poll_s: Seconds between two rounds.
        heartbeat: The supervisor's heartbeat (a round that read the items progressed).
        logger: Where failed rounds and threads that outlive :meth:`stop` are reported.
    """

    def __init__(
        self,
        what: str,
        wanted: Callable[[], Iterable[str]],
        thread_for: Callable[[str, threading.Event], threading.Thread],
        *,
        poll_s: float,
        heartbeat: Heartbeat,
        logger: logging.Logger,
    ) -> None:
        self._what = what
        self._wanted = wanted
        self._thread_for = thread_for
        self._poll_s = poll_s
        self.heartbeat = heartbeat
        self._logger = logger
        self.stopping = threading.Event()
        """Set by :meth:`stop`: every item thread finishes and leaves."""
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._supervise, name=f"streammesh-{heartbeat.name}", daemon=True
        )

    def start(self) -> None:
        """Start supervising."""
        self._thread.start()

    def running(self) -> list[str]:
        """The items a thread runs now (alive), by name."""
        with self._lock:
            return sorted(name for name, thread in self._threads.items() if thread.is_alive())

    def stop(self, timeout_s: float) -> None:
        """Stop supervising and ask every item thread to finish; wait up to ``timeout_s``
        seconds for them all (one still busy then is left to die with the process)."""
        self.stopping.set()
        deadline = time.monotonic() + timeout_s
        self._thread.join(timeout_s)
        with self._lock:
            threads = dict(self._threads)
        for name, thread in threads.items():
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                self._logger.warning("%s: %s did not stop in time", self._what, name)

    def _supervise(self) -> None:
        while not self.stopping.is_set():
            try:
                self._round()
            except MeshError as exc:  # the store unreachable for a moment: try again later
                self._logger.warning("%s not read (will retry): %s", self._what, exc)
            except Exception:  # a bug must not end the supervision for good: say it, go on
                self._logger.exception("%s not read (will retry)", self._what)
            else:
                self.heartbeat.progressed()
            self.stopping.wait(self._poll_s)

    def _round(self) -> None:
        wanted = list(self._wanted())
        with self._lock:
            for name in [name for name, thread in self._threads.items() if not thread.is_alive()]:
                del self._threads[name]
            for name in wanted:
                if name not in self._threads and not self.stopping.is_set():
                    thread = self._thread_for(name, self.stopping)
                    self._threads[name] = thread
                    thread.start()
