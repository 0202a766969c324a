"""Table-table joins: on the primary key (:class:`TableTableJoin`) and on a foreign key
(:class:`ForeignKeyJoin`), with ksqlDB's (Kafka Streams') semantics.

Each side's table is kept in a key-value store (primary key → row and timestamp). A change
on either side outputs the new joined row of the affected key, or a tombstone when the key
no longer has a joined row, as a KTable join does — an update repeating the row a table
holds included, as ksqlDB outputs it again. A tombstone for a key the table does not hold
changes nothing and outputs nothing.
"""

from __future__ import annotations

from typing import cast

from streammesh.streams.engine.join_codec import decode, encode
from streammesh.streams.engine.join_errors import UnsupportedJoin
from streammesh.streams.engine.join_rows import (
    JoinColumn,
    JoinInput,
    JoinLayout,
    JoinOutput,
    JoinResult,
    Row,
    Side,
    reader,
)
from streammesh.streams.sql.statements import JoinKind
from streammesh.streams.state import KeyValueStore

__all__ = ["ForeignKeyJoin", "TableTableJoin"]

_Stored = tuple[Row, int]


def _get(store: KeyValueStore, key: bytes) -> _Stored | None:
    data = store.get(key)
    if data is None:
        return None
    row, timestamp = cast(tuple[Row, int], decode(data))
    return tuple(row), timestamp


def _apply(store: KeyValueStore, key: bytes, record: JoinInput) -> tuple[bool, _Stored | None]:
    """Apply a table change; return whether it changed anything (not for a tombstone of a
    missing key) and the row it replaced (``None``: none)."""
    old = _get(store, key)
    if record.row is None:
        if old is None:
            return False, None
        store.delete(key)
        return True, old
    store.put(key, encode((record.row, record.timestamp)))
    return True, old


class TableTableJoin:
    """A primary-key table-table join: ``L kind JOIN R ON L.key = R.key`` (INNER, LEFT,
    RIGHT, FULL).

    A change of either side's row for a key outputs, for that key:

    - the joined row, when the other side has the key — or, the changed row being deleted,
      the other side's row alone if the other side is preserved (RIGHT/FULL for a left
      change), else a tombstone; the timestamp is the later of the two rows';
    - when the other side lacks the key: the changed row alone if its side is preserved
      (LEFT/FULL for a left change), a tombstone if it was deleted, else nothing.

    The output key is the record key (both sides have it; in a FULL OUTER join it is
    ksqlDB's synthetic ``ROWKEY``, the non-NULL side's key).
    """

    def __init__(
        self, kind: JoinKind, *, left: KeyValueStore, right: KeyValueStore, layout: JoinLayout
    ) -> None:
        self.kind = kind
        self._stores = {Side.LEFT: left, Side.RIGHT: right}
        self._layout = layout
        preserved = {
            JoinKind.INNER: (),
            JoinKind.LEFT: (Side.LEFT,),
            JoinKind.RIGHT: (Side.RIGHT,),
            JoinKind.FULL: (Side.LEFT, Side.RIGHT),
        }[kind]
        self._preserved = frozenset(preserved)

    def process(self, side: Side, record: JoinInput) -> JoinResult:
        """Apply one change of ``side``'s table and output the joined key's new state."""
        key = encode(record.key)
        changed, _ = _apply(self._stores[side], key, record)
        if not changed:
            return JoinResult()
        other = _get(self._stores[side.other], key)
        new = record.row
        timestamp = record.timestamp
        if other is not None:
            timestamp = max(timestamp, other[1])
            if new is not None:
                return self._result(record.key, side, new, other[0], timestamp)
            if side.other in self._preserved:
                return self._result(record.key, side, None, other[0], timestamp)
            return self._tombstone(record.key, timestamp)
        if new is not None:
            if side in self._preserved:
                return self._result(record.key, side, new, None, timestamp)
            return JoinResult()
        if side in self._preserved:
            return self._tombstone(record.key, timestamp)
        return JoinResult()

    def _result(
        self, key: Row, side: Side, own: Row | None, other: Row | None, timestamp: int
    ) -> JoinResult:
        left, right = (own, other) if side is Side.LEFT else (other, own)
        row = self._layout.row(key, left, right)
        return JoinResult((JoinOutput(key, row, timestamp, left, right),))

    @staticmethod
    def _tombstone(key: Row, timestamp: int) -> JoinResult:
        return JoinResult((JoinOutput(key, None, timestamp),))


class ForeignKeyJoin:
    """A foreign-key table-table join: ``L [INNER | LEFT] JOIN R ON L.fk = R.key``.

    Every left row joins the right row its foreign-key column names; the output key is the
    left row's primary key. Besides the two tables, a *subscription* store remembers which
    left keys point at each right key (its keys are the foreign key's bytes followed by the
    left key's, so one prefix scan finds a right key's subscribers) — what ksqlDB's
    subscription store does across partitions, here inside the task.

    - A left change outputs the left key's new joined row: with the right row, or alone
      (LEFT) when the right table lacks the foreign key or it is NULL; INNER then outputs a
      tombstone if the left key had a row before (its old result may exist: a changed foreign
      key retracts it), else nothing. A deleted left row outputs a tombstone.
    - A right change outputs the new joined row of every left row pointing at it; a deleted
      right row gives them their left row alone (LEFT) or tombstones (INNER).

    Timestamps are the later of the two rows' (a left row alone keeps its own).

    Raises:
        UnsupportedJoin: ``kind`` is RIGHT or FULL (ksqlDB's foreign-key joins are INNER or
            LEFT).
    """

    def __init__(
        self,
        kind: JoinKind,
        *,
        left: KeyValueStore,
        right: KeyValueStore,
        subscriptions: KeyValueStore,
        foreign_key_column: JoinColumn,
        layout: JoinLayout,
    ) -> None:
        if kind not in (JoinKind.INNER, JoinKind.LEFT):
            raise UnsupportedJoin("foreign-key table-table", kind.value, ("INNER", "LEFT"))
        self.kind = kind
        self._left = left
        self._right = right
        self._subscriptions = subscriptions
        self._column = reader(foreign_key_column)
        self._layout = layout

    def process(self, side: Side, record: JoinInput) -> JoinResult:
        """A left-table change (``Side.LEFT``) or a right-table change."""
        return self.left(record) if side is Side.LEFT else self.right(record)

    def left(self, record: JoinInput) -> JoinResult:
        """Apply a change of the left table; output its key's new joined row or tombstone."""
        left_key = encode(record.key)
        changed, old = _apply(self._left, left_key, record)
        if not changed:
            return JoinResult()
        new = record.row
        old_fk = None if old is None else self._column(old[0])
        new_fk = None if new is None else self._column(new)
        if old_fk is not None and (new is None or new_fk != old_fk):
            self._subscriptions.delete(encode((old_fk,)) + left_key)
        if new_fk is not None and (old is None or new_fk != old_fk):
            self._subscriptions.put(encode((new_fk,)) + left_key, b"")
        if new is None:
            return _tombstone(record.key, record.timestamp)
        match = None if new_fk is None else _get(self._right, encode((new_fk,)))
        if match is not None:
            timestamp = max(record.timestamp, match[1])
            return self._joined(record.key, new, match[0], timestamp)
        if self.kind is JoinKind.LEFT:
            return self._joined(record.key, new, None, record.timestamp)
        if old is not None:
            return _tombstone(record.key, record.timestamp)
        return JoinResult()

    def right(self, record: JoinInput) -> JoinResult:
        """Apply a change of the right table; output the new state of every left key that
        points at it."""
        right_key = encode(record.key)
        if not _apply(self._right, right_key, record)[0]:
            return JoinResult()
        outputs: list[JoinOutput] = []
        for subscription, _ in self._subscriptions.prefix_scan(right_key):
            left_key = subscription[len(right_key) :]
            stored = _get(self._left, left_key)
            if stored is None:
                continue
            key = tuple(cast(Row, decode(left_key)))
            timestamp = max(record.timestamp, stored[1])
            if record.row is not None or self.kind is JoinKind.LEFT:
                outputs.extend(self._joined(key, stored[0], record.row, timestamp).outputs)
            else:
                outputs.append(JoinOutput(key, None, timestamp))
        return JoinResult(tuple(outputs))

    def _joined(self, key: Row, left: Row, right: Row | None, timestamp: int) -> JoinResult:
        row = self._layout.row(key, left, right)
        return JoinResult((JoinOutput(key, row, timestamp, left, right),))


def _tombstone(key: Row, timestamp: int) -> JoinResult:
    return JoinResult((JoinOutput(key, None, timestamp),))
