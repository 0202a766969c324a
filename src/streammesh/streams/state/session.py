"""``SessionStore``: a value per key and session (start and end), kept for a retention period."""

from __future__ import annotations

from typing import ClassVar

from streammesh.streams.state.changelog import session_key, split_session_key
from streammesh.streams.state.context import StoreContext, StoreKind
from streammesh.streams.state.errors import InvalidStoreInput
from streammesh.streams.state.store import ChangelogStore
from streammesh.streams.state.values import check_bytes, check_time

SessionKey = tuple[bytes, int, int]
"""A key, a session start and a session end (UTC ms, both inclusive)."""


class SessionStore(ChangelogStore[SessionKey]):
    """The sessions of one task (see :class:`ChangelogStore` for its life).

    A session window aggregation looks up the sessions a new event merges with
    (:meth:`find_sessions` with ``earliest_end = ts - gap`` and ``latest_start = ts + gap``),
    removes them and puts the merged one. A session is expired once its end is at or before
    ``stream_time - retention_ms``.

    >>> store = SessionStore(context, "visits", retention_ms=86_400_000)
    >>> store.put(b"alice", 1_000, 5_000, b"2")
    True
    >>> store.find_sessions(b"alice", 4_000, 9_000)
    [(1000, 5000, b'2')]
    """

    kind: ClassVar[StoreKind] = StoreKind.SESSION
    _TABLE: ClassVar[str] = "sessions"
    _DDL: ClassVar[str] = """
    CREATE TABLE IF NOT EXISTS sessions (
        key   BLOB NOT NULL,
        start INTEGER NOT NULL,
        end   INTEGER NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (key, start, end)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS sessions_by_end ON sessions (end);
    """

    def __init__(self, context: StoreContext, name: str, *, retention_ms: int) -> None:
        if check_time("retention_ms", retention_ms) <= 0:
            raise InvalidStoreInput("retention_ms", f"must be positive, not {retention_ms}")
        self.retention_ms = retention_ms
        self._expired_up_to: int | None = None
        super().__init__(context, name)

    def fetch_session(self, key: bytes, start_ms: int, end_ms: int) -> bytes | None:
        """The value of ``key``'s session from ``start_ms`` to ``end_ms``, or ``None``."""
        self._check_open("fetch_session")
        wanted = self._session("fetch", key, start_ms, end_ms)
        hit, value = self._cached(wanted)
        if hit:
            return value
        rows = self._db.rows(
            "SELECT value FROM sessions WHERE key = ? AND start = ? AND end = ?", wanted
        )
        return bytes(rows[0][0]) if rows else None

    def put(self, key: bytes, start_ms: int, end_ms: int, value: bytes) -> bool:
        """Set ``key``'s session from ``start_ms`` to ``end_ms``; ``False`` (and nothing stored)
        if that session has expired already."""
        self._check_open("put")
        wanted = self._session("put", key, start_ms, end_ms)
        check_bytes("value", value)
        if self._expired_up_to is not None and end_ms <= self._expired_up_to:
            return False
        self._stage(wanted, bytes(value))
        return True

    def remove(self, key: bytes, start_ms: int, end_ms: int) -> None:
        """Remove ``key``'s session from ``start_ms`` to ``end_ms`` (e.g. merged into another)."""
        if self.fetch_session(key, start_ms, end_ms) is not None:
            self._stage(self._session("remove", key, start_ms, end_ms), None)

    def find_sessions(
        self, key: bytes, earliest_end: int, latest_start: int
    ) -> list[tuple[int, int, bytes]]:
        """``key``'s sessions that end at or after ``earliest_end`` and start at or before
        ``latest_start`` (Kafka Streams' ``findSessions``), by start then end."""
        self._check_open("find_sessions")
        key = check_bytes("key", key)
        low = check_time("earliest_end", earliest_end)
        high = check_time("latest_start", latest_start)
        rows = self._db.rows(
            "SELECT key, start, end, value FROM sessions "
            "WHERE key = ? AND end >= ? AND start <= ? ORDER BY start, end",
            (key, low, high),
        )
        merged = self._overlay_group(
            key,
            (((bytes(k), s, e), bytes(v)) for k, s, e, v in rows),
            lambda sk: sk[2] >= low and sk[1] <= high,
            lambda sk: (sk[1], sk[2]),
        )
        return [(start, end, value) for (_key, start, end), value in merged]

    def fetch_ended(self, time_from: int, time_to: int) -> list[tuple[bytes, int, int, bytes]]:
        """Every key's sessions whose end is in ``[time_from, time_to]``, by end, key and
        start (the sessions an ``EMIT FINAL`` aggregation closes as stream time advances)."""
        self._check_open("fetch_ended")
        low, high = check_time("time_from", time_from), check_time("time_to", time_to)
        rows = self._db.rows(
            "SELECT key, start, end, value FROM sessions WHERE end BETWEEN ? AND ? "
            "ORDER BY end, key, start",
            (low, high),
        )
        merged = self._overlay(
            (((bytes(k), s, e), bytes(v)) for k, s, e, v in rows),
            lambda sk: low <= sk[2] <= high,
            lambda sk: (sk[2], sk[0], sk[1]),
        )
        return [(key, start, end, value) for (key, start, end), value in merged]

    def all(self) -> list[tuple[bytes, int, int, bytes]]:
        """Every session, by key, start and end."""
        self._check_open("all")
        rows = self._db.rows("SELECT key, start, end, value FROM sessions ORDER BY key, start, end")
        merged = self._overlay(
            (((bytes(k), s, e), bytes(v)) for k, s, e, v in rows), lambda sk: True, lambda sk: sk
        )
        return [(key, start, end, value) for (key, start, end), value in merged]

    def expire(self, stream_time_ms: int) -> int:
        """Remove the sessions that end at or before ``stream_time_ms - retention_ms``; return
        how many. Later puts of such sessions are dropped."""
        self._check_open("expire")
        cutoff = check_time("stream_time_ms", stream_time_ms) - self.retention_ms
        if self._expired_up_to is not None and cutoff <= self._expired_up_to:
            return 0
        self._expired_up_to = cutoff
        rows = self._db.rows("SELECT key, start, end FROM sessions WHERE end <= ?", (cutoff,))
        doomed = {(bytes(key), start, end) for key, start, end in rows}
        doomed |= {sk for sk in self._cache if sk[2] <= cutoff}
        removed = 0
        for sk in sorted(doomed):
            hit, value = self._cached(sk)
            if not hit or value is not None:
                removed += 1
            self._stage(sk, None)
        return removed

    @staticmethod
    def _session(operation: str, key: bytes, start_ms: int, end_ms: int) -> SessionKey:
        wanted = (
            check_bytes("key", key),
            check_time("start_ms", start_ms),
            check_time("end_ms", end_ms),
        )
        if end_ms < start_ms:
            raise InvalidStoreInput(
                "session",
                f"cannot {operation} a session that ends ({end_ms}) before it starts ({start_ms})",
            )
        return wanted

    def _group_of(self, key: SessionKey) -> bytes:
        return key[0]

    def _encode(self, key: SessionKey) -> bytes:
        return session_key(*key)

    def _decode(self, data: bytes) -> SessionKey:
        return split_session_key(data)

    def _write_rows(self, puts: list[tuple[SessionKey, bytes]], deletes: list[SessionKey]) -> None:
        self._db.write(
            "INSERT OR REPLACE INTO sessions (key, start, end, value) VALUES (?, ?, ?, ?)",
            [(key, start, end, value) for (key, start, end), value in puts],
        )
        self._db.write("DELETE FROM sessions WHERE key = ? AND start = ? AND end = ?", deletes)
