"""The store generation, and answers of store reads remembered at one generation.

Migration ``0016`` keeps one counter row, ``store_generation``, that database triggers bump
in every transaction that writes a row of :data:`WATCHED_TABLES`. Every writer — this
server, another replica, the CLI, the SDK, a worker, an operator's ``psql`` — bumps it in
its own transaction, so no code path can forget it, and the bump commits with the change.

A reader that reads the generation *before* the reads it remembers, and reuses their
answers only while the generation is still the same, never answers from a state older than
the one the store had when its request started: one statement (~50 us) instead of the reads.
What depends on the clock (a grant's or token's expiry) is not in the store's changes and
must still be judged per request by the caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import text

from streammesh.store.store import MetadataStore

T = TypeVar("T")

WATCHED_TABLES = frozenset(
    {
        "mesh_products",
        "mesh_teams",
        "mesh_domains",
        "identity_accounts",
        "identity_tokens",
        "governance_policies",
        "registry_schemas",
        "registry_schema_references",
        "registry_versions",
        "registry_settings",
        "access_requests",
    }
)
"""The tables whose writes bump the generation (triggers of migration ``0016``). A read whose
answer is remembered at a generation must read only these tables."""

_READ = text("SELECT generation FROM store_generation WHERE id = 1")

MAX_REMEMBERED = 4_096
"""Answers remembered at once; when full, they are all forgotten (and read again)."""


def store_generation(store: MetadataStore) -> int:
    """The store's generation now: it changes with every committed write of a watched table.

    Raises:
        StoreUnavailable: the store cannot be read.
    """
    with store.read() as connection:
        return int(connection.execute(_READ).scalar_one())


class Remembered:
    """The answers remembered at one generation (see :meth:`GenerationMemo.current`)."""

    __slots__ = ("_answers", "generation")

    def __init__(self, generation: int, answers: dict[Hashable, Any]) -> None:
        self.generation = generation
        self._answers = answers

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The answer remembered under ``key``, or ``read()``'s, remembered (an exception
        ``read`` raises is not)."""
        try:
            found: T = self._answers[key]
        except KeyError:
            found = read()
            if len(self._answers) >= MAX_REMEMBERED:
                self._answers.clear()
            self._answers[key] = found
        return found


class GenerationMemo:
    """Answers of store reads, trusted while the store's generation stays the one they were
    read at (see the module docstring).

    Example:
        >>> memo = GenerationMemo(store)  # doctest: +SKIP
        >>> now = memo.current()  # one statement: the generation
        >>> record = now.get(("product", name), lambda: plane.product(name))  # doctest: +SKIP
    """

    def __init__(self, store: MetadataStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._generation = -1
        self._answers: dict[Hashable, Any] = {}

    def current(self) -> Remembered:
        """Read the generation, and the answers remembered at it (none when it moved).

        A request that read an older generation than another one already did (it was
        overtaken) gets answers of its own that nobody else reuses.

        Raises:
            StoreUnavailable: the store cannot be read.
        """
        generation = store_generation(self._store)
        with self._lock:
            if generation == self._generation:
                return Remembered(generation, self._answers)
            if generation > self._generation:
                self._generation, self._answers = generation, {}
                return Remembered(generation, self._answers)
        return Remembered(generation, {})
