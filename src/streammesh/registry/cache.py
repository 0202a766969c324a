"""``SchemaCache``: schemas by global id, kept in memory for the registry's hottest read.

Every client that deserializes asks for schemas by id. A schema's content never changes under
its id (ids follow the schema's identity and are never reused), but whether the id is still
answered does: a permanent delete of the last version holding it makes it 404. So an entry is
trusted for :data:`REMEMBER_S` seconds and then read from the store again, and a permanent
delete made in this process forgets every entry before it returns. Another process (a replica,
the CLI) that deletes permanently is seen here within :data:`REMEMBER_S` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from streammesh.registry.base import StoredSchema
from streammesh.store import Generation

REMEMBER_S = 5.0
"""How long a schema read by id is answered from memory before the store is asked again."""
_MAX_ENTRIES = 10_000
"""Schemas remembered at once per cache; when full, the oldest are forgotten first."""


# A permanent delete in any registry of this process (the server's, the control plane's)
# voids the entries of all of them.
_PERMANENT_DELETES = Generation()


class SchemaCache:
    """Schemas by id, each trusted for ``remember_s`` seconds.

    Args:
        remember_s: Seconds an entry is answered without asking the store.
        max_entries: Entries kept at once (the oldest go first).
        clock: Seconds from a monotonic clock (tests pass their own).
    """

    def __init__(
        self,
        remember_s: float = REMEMBER_S,
        max_entries: int = _MAX_ENTRIES,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._remember_s = remember_s
        self._max_entries = max_entries
        self._clock = clock
        # id -> (schema, trusted until, permanent deletes counted before it was read)
        self._entries: dict[int, tuple[StoredSchema, float, int]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def epoch() -> int:
        """Take this before reading a schema from the store and hand it to :meth:`put`."""
        return _PERMANENT_DELETES.count

    @staticmethod
    def forget_all() -> None:
        """Void every entry of every cache in this process (call after a permanent delete
        has committed)."""
        _PERMANENT_DELETES.bump()

    def get(self, schema_id: int) -> StoredSchema | None:
        """The schema ``schema_id`` if it is remembered and still trusted, else ``None``."""
        found = self._entries.get(schema_id)
        if found is None:
            return None
        stored, until, epoch = found
        if epoch != _PERMANENT_DELETES.count or until <= self._clock():
            with self._lock:
                self._entries.pop(schema_id, None)
            return None
        return stored

    def put(self, stored: StoredSchema, epoch: int) -> None:
        """Remember ``stored``, read from the store after :meth:`epoch` returned ``epoch``."""
        if self._remember_s <= 0:
            return
        with self._lock:
            self._entries.pop(stored.id, None)  # re-inserted last: the newest
            while len(self._entries) >= self._max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[stored.id] = (stored, self._clock() + self._remember_s, epoch)
