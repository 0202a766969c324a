"""``KeyValueStore``: bytes keys to bytes values, scanned in key (byte) order."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from typing import ClassVar

from streammesh.streams.state.context import StoreContext, StoreKind
from streammesh.streams.state.store import ChangelogStore
from streammesh.streams.state.values import check_bytes


def _prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with ``prefix`` (``None``: none)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


class KeyValueStore(ChangelogStore[bytes]):
    """A key-value store of one task (see :class:`ChangelogStore` for its life).

    >>> store = KeyValueStore(context, "counts")
    >>> store.put(b"ZTEST", b"17")
    >>> store.get(b"ZTEST")
    b'17'
    """

    kind: ClassVar[StoreKind] = StoreKind.KEY_VALUE
    _TABLE: ClassVar[str] = "entries"
    _POINT_READS: ClassVar[bool] = True
    _DDL: ClassVar[str] = """
    CREATE TABLE IF NOT EXISTS entries (
        key   BLOB PRIMARY KEY,
        value BLOB NOT NULL
    ) WITHOUT ROWID;
    """

    def __init__(self, context: StoreContext, name: str) -> None:
        # The write cache's keys in order, so that a range read bisects to the cached changes
        # in its range instead of testing every cached key.
        self._sorted: list[bytes] = []
        super().__init__(context, name)

    def _stage(self, key: bytes, value: bytes | None) -> None:
        if key not in self._cache:
            insort(self._sorted, key)
        super()._stage(key, value)  # may flush, which empties the cache and self._sorted

    def flush(self) -> None:
        """See :meth:`ChangelogStore.flush`."""
        super().flush()
        if not self._cache:
            self._sorted.clear()

    def abort(self) -> None:
        """See :meth:`ChangelogStore.abort`."""
        super().abort()
        self._sorted.clear()

    def close(self) -> None:
        """See :meth:`ChangelogStore.close`."""
        super().close()
        self._sorted.clear()

    def get(self, key: bytes) -> bytes | None:
        """The value of ``key``, or ``None``."""
        self._check_open("get")
        check_bytes("key", key)
        hit, value = self._cached(key)
        if hit:
            return value
        rows = self._db.rows("SELECT value FROM entries WHERE key = ?", (key,))
        return bytes(rows[0][0]) if rows else None

    def put(self, key: bytes, value: bytes) -> None:
        """Set ``key`` to ``value``."""
        self._check_open("put")
        check_bytes("key", key)
        check_bytes("value", value)
        self._stage(bytes(key), bytes(value))

    def delete(self, key: bytes) -> bytes | None:
        """Remove ``key`` (a tombstone in the changelog); return the value it had."""
        old = self.get(key)
        if old is not None:
            self._stage(bytes(key), None)
        return old

    def range(
        self, low: bytes | None = None, high: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        """Entries with ``low <= key <= high`` (either bound may be left open), in key order,
        as Kafka Streams' ``range``."""
        self._check_open("range")
        conditions: list[str] = []
        parameters: list[bytes] = []
        if low is not None:
            conditions.append("key >= ?")
            parameters.append(check_bytes("low", low))
        if high is not None:
            conditions.append("key <= ?")
            parameters.append(check_bytes("high", high))
        return self._scan(conditions, parameters, low, high, inclusive_high=True)

    def prefix_scan(self, prefix: bytes) -> list[tuple[bytes, bytes]]:
        """Entries whose key starts with ``prefix``, in key order."""
        self._check_open("prefix_scan")
        check_bytes("prefix", prefix)
        end = _prefix_end(prefix)
        conditions = ["key >= ?"]
        parameters = [bytes(prefix)]
        if end is not None:
            conditions.append("key < ?")
            parameters.append(end)
        return self._scan(conditions, parameters, bytes(prefix), end, inclusive_high=False)

    def all(self) -> list[tuple[bytes, bytes]]:
        """Every entry, in key order."""
        self._check_open("all")
        return self._scan([], [], None, None, inclusive_high=True)

    def __len__(self) -> int:
        return len(self.all())

    def _scan(
        self,
        conditions: list[str],
        parameters: list[bytes],
        low: bytes | None,
        high: bytes | None,
        *,
        inclusive_high: bool,
    ) -> list[tuple[bytes, bytes]]:
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self._db.rows(f"SELECT key, value FROM entries {where} ORDER BY key", parameters)

        cached = self._sorted
        first = 0 if low is None else bisect_left(cached, low)
        if high is None:
            last = len(cached)
        else:
            last = bisect_right(cached, high) if inclusive_high else bisect_left(cached, high)
        cache = self._cache
        changes = {key: cache[key] for key in cached[first:last]}
        return self._merge(
            ((bytes(key), bytes(value)) for key, value in rows), changes, lambda key: key
        )

    def _encode(self, key: bytes) -> bytes:
        return key

    def _decode(self, data: bytes) -> bytes:
        return data

    def _write_rows(self, puts: list[tuple[bytes, bytes]], deletes: list[bytes]) -> None:
        self._db.write("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", puts)
        self._db.write("DELETE FROM entries WHERE key = ?", [(key,) for key in deletes])
