"""Stopping long-running commands at a clean point when the user presses Ctrl-C.

A ``KeyboardInterrupt`` can land anywhere: between printing a record and noting its offset, or
inside a driver call. :class:`GracefulInterrupt` turns the first Ctrl-C into a flag that the
command's loop checks between batches, so it can commit exactly what it printed and close; a
second Ctrl-C interrupts at once, for a command that is stuck.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any, Self

EXIT_INTERRUPTED = 130
"""What shells report for a process stopped by SIGINT (128 + 2)."""


class GracefulInterrupt:
    """Context manager: while active, the first SIGINT sets :attr:`requested` instead of raising.

    Signal handlers can only be installed from the main thread; elsewhere (a command run from a
    worker thread) it changes nothing and Ctrl-C raises ``KeyboardInterrupt`` as usual.

    Args:
        signals: The signals that ask for the clean stop (default: SIGINT only); a long-running
            service also passes SIGTERM, what ``kill``, systemd and Kubernetes send.
    """

    def __init__(self, *signals: signal.Signals) -> None:
        self.requested = False
        self._signals = signals or (signal.SIGINT,)
        self._previous: dict[int, Any] = {}
        self._installed = False

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            for signum in self._signals:
                self._previous[signum] = signal.signal(signum, self._handle)
            self._installed = True
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        # The next one gets the handler that was there before: usually KeyboardInterrupt for
        # Ctrl-C, ending the process for SIGTERM.
        signal.signal(signum, self._previous[signum])

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._installed:
            for signum, previous in self._previous.items():
                signal.signal(signum, previous)
            self._installed = False
