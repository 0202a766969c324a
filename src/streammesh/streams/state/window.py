"""``WindowStore``: a value per key and window start, kept for a retention period."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from streammesh.streams.state.changelog import split_window_key, window_key
from streammesh.streams.state.context import StoreContext, StoreKind
from streammesh.streams.state.errors import InvalidStoreInput
from streammesh.streams.state.store import ChangelogStore
from streammesh.streams.state.values import check_bytes, check_time

WindowKey = tuple[bytes, int]
"""A key and a window start (UTC ms)."""


class WindowStore(ChangelogStore[WindowKey]):
    """The windows of one task (see :class:`ChangelogStore` for its life).

    A window is expired once its start is at or before ``stream_time - retention_ms`` (Kafka
    Streams' rule): :meth:`expire` removes such windows (tombstones in the changelog), and a
    :meth:`put` into a window that expired is dropped.

    >>> store = WindowStore(context, "trades-per-minute", retention_ms=3_600_000)
    >>> store.put(b"ZTEST", 60_000, b"3")
    True
    >>> store.fetch_range(b"ZTEST", 0, 120_000)
    [(60000, b'3')]
    """

    kind: ClassVar[StoreKind] = StoreKind.WINDOW
    _TABLE: ClassVar[str] = "windows"
    _POINT_READS: ClassVar[bool] = True
    _DDL: ClassVar[str] = """
    CREATE TABLE IF NOT EXISTS windows (
        key   BLOB NOT NULL,
        start INTEGER NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (key, start)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS windows_by_start ON windows (start, key);
    """

    def __init__(self, context: StoreContext, name: str, *, retention_ms: int) -> None:
        if check_time("retention_ms", retention_ms) <= 0:
            raise InvalidStoreInput("retention_ms", f"must be positive, not {retention_ms}")
        self.retention_ms = retention_ms
        self._expired_up_to: int | None = None
        super().__init__(context, name)

    def fetch(self, key: bytes, start_ms: int) -> bytes | None:
        """The value of ``key``'s window starting at ``start_ms``, or ``None``."""
        self._check_open("fetch")
        wanted = (check_bytes("key", key), check_time("start_ms", start_ms))
        hit, value = self._cached(wanted)
        if hit:
            return value
        rows = self._db.rows(
            "SELECT value FROM windows WHERE key = ? AND start = ?", (wanted[0], wanted[1])
        )
        return bytes(rows[0][0]) if rows else None

    def put(self, key: bytes, start_ms: int, value: bytes) -> bool:
        """Set ``key``'s window starting at ``start_ms``; ``False`` (and nothing stored) if
        that window has expired already."""
        self._check_open("put")
        wanted = (check_bytes("key", key), check_time("start_ms", start_ms))
        check_bytes("value", value)
        if self._expired_up_to is not None and start_ms <= self._expired_up_to:
            return False
        self._stage(wanted, bytes(value))
        return True

    def delete(self, key: bytes, start_ms: int) -> None:
        """Remove ``key``'s window starting at ``start_ms``."""
        if self.fetch(key, start_ms) is not None:
            self._stage((bytes(key), start_ms), None)

    def fetch_range(self, key: bytes, time_from: int, time_to: int) -> list[tuple[int, bytes]]:
        """``key``'s windows whose start is in ``[time_from, time_to]``, by start."""
        self._check_open("fetch_range")
        key = check_bytes("key", key)
        low, high = check_time("time_from", time_from), check_time("time_to", time_to)
        rows = self._db.rows(
            "SELECT key, start, value FROM windows WHERE key = ? AND start BETWEEN ? AND ? "
            "ORDER BY start",
            (key, low, high),
        )
        merged = self._overlay_group(
            key,
            (((bytes(k), s), bytes(v)) for k, s, v in rows),
            lambda wk: low <= wk[1] <= high,
            lambda wk: wk[1],
        )
        return [(start, value) for (_key, start), value in merged]

    def fetch_all(self, time_from: int, time_to: int) -> list[tuple[bytes, int, bytes]]:
        """Every key's windows whose start is in ``[time_from, time_to]``, by start then key."""
        self._check_open("fetch_all")
        low, high = check_time("time_from", time_from), check_time("time_to", time_to)
        rows = self._db.rows(
            "SELECT key, start, value FROM windows WHERE start BETWEEN ? AND ? ORDER BY start, key",
            (low, high),
        )
        return self._listed(rows, lambda wk: low <= wk[1] <= high)

    def all(self) -> list[tuple[bytes, int, bytes]]:
        """Every window, by start then key."""
        self._check_open("all")
        rows = self._db.rows("SELECT key, start, value FROM windows ORDER BY start, key")
        return self._listed(rows, lambda wk: True)

    def expire(self, stream_time_ms: int) -> int:
        """Remove the windows that start at or before ``stream_time_ms - retention_ms``; return
        how many. Later puts into those windows are dropped."""
        self._check_open("expire")
        cutoff = check_time("stream_time_ms", stream_time_ms) - self.retention_ms
        if self._expired_up_to is not None and cutoff <= self._expired_up_to:
            return 0
        self._expired_up_to = cutoff
        rows = self._db.rows("SELECT key, start FROM windows WHERE start <= ?", (cutoff,))
        doomed = {(bytes(key), start) for key, start in rows}
        doomed |= {wk for wk, value in self._cache.items() if wk[1] <= cutoff}
        removed = 0
        for wk in sorted(doomed):
            hit, value = self._cached(wk)
            if not hit or value is not None:
                removed += 1
            self._stage(wk, None)
        return removed

    def _listed(
        self, rows: list[tuple[bytes, int, bytes]], selects: Callable[[WindowKey], bool]
    ) -> list[tuple[bytes, int, bytes]]:
        merged = self._overlay(
            (((bytes(k), s), bytes(v)) for k, s, v in rows), selects, lambda wk: (wk[1], wk[0])
        )
        return [(key, start, value) for (key, start), value in merged]

    def _group_of(self, key: WindowKey) -> bytes:
        return key[0]

    def _encode(self, key: WindowKey) -> bytes:
        return window_key(*key)

    def _decode(self, data: bytes) -> WindowKey:
        return split_window_key(data)

    def _write_rows(self, puts: list[tuple[WindowKey, bytes]], deletes: list[WindowKey]) -> None:
        self._db.write(
            "INSERT OR REPLACE INTO windows (key, start, value) VALUES (?, ?, ?)",
            [(key, start, value) for (key, start), value in puts],
        )
        self._db.write("DELETE FROM windows WHERE key = ? AND start = ?", deletes)
