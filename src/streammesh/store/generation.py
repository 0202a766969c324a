"""``Generation``: a process-wide counter that voids reads remembered from the store.

A server remembers some store reads for a few seconds (verified tokens, schemas by id). A
change that must be seen at once in this process — a revoked token, a permanently deleted
schema — bumps the generation of its kind; a remembered read is trusted only while the
generation is what it was before the read, whichever object of the process made the change.
"""

from __future__ import annotations

import threading


class Generation:
    """How many voiding changes of one kind this process has made."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        """The current generation; read it before the store read it guards."""
        return self._count

    def bump(self) -> None:
        """Record a change: every read remembered before it is no longer trusted."""
        with self._lock:
            self._count += 1
