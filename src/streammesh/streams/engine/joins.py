"""Join operators over state stores, with ksqlDB's semantics (Kafka Streams' joins).

Each operator takes one input record of one side (:class:`JoinInput`: key, row or tombstone,
timestamp) and returns the output records it causes (:class:`JoinResult`). Its state lives
only in the stores it is given, so it is restored from their changelogs and is exactly-once
with everything else the task commits. The engine wires them:

- :class:`StreamStreamJoin` — ``JOIN ... WITHIN`` between two streams, over two
  :class:`~streammesh.streams.state.WindowStore` and a key-value store of shared state;
- :class:`StreamTableJoin` — a stream looking up a table's current row;
- :class:`~streammesh.streams.engine.join_tables.TableTableJoin` and
  :class:`~streammesh.streams.engine.join_tables.ForeignKeyJoin` — tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from streammesh.streams.engine.join_codec import decode, encode
from streammesh.streams.engine.join_errors import JoinStoreTooShort, UnsupportedJoin
from streammesh.streams.engine.join_rows import (
    DropReason,
    JoinColumn,
    JoinInput,
    JoinLayout,
    JoinOutput,
    JoinResult,
    Row,
    Side,
    reader,
)
from streammesh.streams.sql.statements import JoinKind, JoinWindow
from streammesh.streams.state import KeyValueStore, WindowStore

__all__ = ["LEGACY_GRACE_MS", "Joiner", "StreamStreamJoin", "StreamTableJoin"]

LEGACY_GRACE_MS = 24 * 60 * 60 * 1000
"""The grace period of a ``WITHIN`` without ``GRACE PERIOD``: Kafka Streams' old default of
24 hours, which ksqlDB keeps for such joins (with their eager left/outer results)."""

_MIN_SEGMENT_MS = 60_000
_DECODED_ROWS = 100_000
"""Decoded table rows a stream-table join keeps before it drops them (re-read on demand)."""
_STREAM_TIME = b"t:stream"
_OBSERVED = {Side.LEFT: b"t:left", Side.RIGHT: b"t:right"}
_PENDING = b"p:"
_OLDEST_PENDING = b"t:oldest-waiting"
# Kafka Streams orders waiting records by timestamp, then side (its boolean: right first).
_SIDE_BYTE = {Side.RIGHT: b"\x00", Side.LEFT: b"\x01"}
_SIDE_OF = {0: Side.RIGHT, 1: Side.LEFT}


def _outer_sides(kind: JoinKind) -> frozenset[Side]:
    """The sides whose unmatched records appear in the output."""
    return {
        JoinKind.INNER: frozenset(),
        JoinKind.LEFT: frozenset({Side.LEFT}),
        JoinKind.RIGHT: frozenset({Side.RIGHT}),
        JoinKind.FULL: frozenset({Side.LEFT, Side.RIGHT}),
    }[kind]


def _java_div(dividend: int, divisor: int) -> int:
    """Java's long division (towards zero), which segment ids use."""
    quotient = abs(dividend) // divisor
    return quotient if dividend >= 0 else -quotient


def _sortable(timestamp: int) -> bytes:
    """8 bytes whose byte order is the timestamps' order (negative ones included)."""
    return (timestamp + 2**63).to_bytes(8, "big")


class StreamStreamJoin:
    """A stream-stream join: ``L kind JOIN R WITHIN (before, after) [GRACE PERIOD g] ON ...``,
    as ksqlDB runs it on Kafka Streams.

    A left record at ``t`` joins the right records of the same join key at ``t - before``
    through ``t + after`` (both included; with ``WITHIN n``, ``before = after = n``), a right
    record at ``t`` the left records at ``t - after`` through ``t + before``. Each pair is
    output once, when its second record arrives, with the later of the two timestamps. Both
    sides share one stream time, the largest timestamp seen.

    Each side keeps its records in a window store for ``before + after + grace``, expired by
    whole segments as Kafka Streams' window stores are (segments of ``max(retention / 2,
    60 s)``, measured against the largest timestamp that store has seen). A record whose
    segment has expired is late: it is not kept (:attr:`DropReason.LATE` in the result), but
    it is still joined with what the other side keeps, and output alone if it is on an
    outer side.

    An outer side's record (LEFT: left, RIGHT: right, FULL: both) that finds no partner:

    - with ``GRACE PERIOD g`` (ksqlDB 0.23's fix of spurious left/outer join results), waits
      until its window closes — the stream time passes ``t + after + g`` for a left record,
      ``t + before + g`` for a right one — and is then output alone (the other side's columns
      NULL, its own timestamp), unless a partner arrived meanwhile. Closed windows are output
      when a record at the stream time arrives, before it is joined, oldest first. A record
      whose window end (``t + after``, ``t + before``) is already behind the stream time when
      it arrives is output alone at once;
    - without ``GRACE PERIOD`` (ksqlDB's legacy behaviour, 24 hours of grace), is output alone
      at once — and joined again when a partner arrives.

    Stream records without a value or with a NULL join key are dropped, as in ksqlDB.

    The engine opens each side's window store with
    ``retention_ms=StreamStreamJoin.retention_ms(window)`` (ksqlDB names them
    ``...-Join-this-join-store`` and ``...-Join-other-join-store``) and one key-value store
    for the times and the records waiting for their window to close (ksqlDB's
    ``...-outer-shared-join-store``).

    >>> join = StreamStreamJoin(JoinKind.LEFT, JoinWindow(10, 10, 0), left_store=...,
    ...     right_store=..., shared=..., left_column=1, right_column=1, layout=layout)
    >>> join.process(Side.LEFT, JoinInput(key=(), row=(7, "A"), timestamp=3)).outputs
    ()
    """

    def __init__(
        self,
        kind: JoinKind,
        window: JoinWindow,
        *,
        left_store: WindowStore,
        right_store: WindowStore,
        shared: KeyValueStore,
        left_column: JoinColumn,
        right_column: JoinColumn,
        layout: JoinLayout,
    ) -> None:
        self.kind = kind
        self.window = window
        self.eager = window.grace_ms is None
        self.grace_ms = LEGACY_GRACE_MS if window.grace_ms is None else window.grace_ms
        self.retention = self.retention_ms(window)
        self.segment_ms = max(self.retention // 2, _MIN_SEGMENT_MS)
        for store in (left_store, right_store):
            if store.retention_ms < self.retention:
                raise JoinStoreTooShort(store.name, store.retention_ms, self.retention)
        self._stores = {Side.LEFT: left_store, Side.RIGHT: right_store}
        self._columns = {Side.LEFT: reader(left_column), Side.RIGHT: reader(right_column)}
        self._shared = shared
        self._layout = layout
        self._outer = _outer_sides(kind)

    @staticmethod
    def retention_ms(window: JoinWindow) -> int:
        """How long each side's window store keeps records: ``before + after + grace``
        (Kafka Streams' join window size plus its grace period)."""
        grace = LEGACY_GRACE_MS if window.grace_ms is None else window.grace_ms
        return window.before_ms + window.after_ms + grace

    def _reach_ms(self, side: Side) -> int:
        """How far after its timestamp a record of ``side`` finds partners."""
        return self.window.after_ms if side is Side.LEFT else self.window.before_ms

    def _time(self, name: bytes) -> int | None:
        stored = self._shared.get(name)
        return None if stored is None else cast(int, decode(stored))

    def process(self, side: Side, record: JoinInput) -> JoinResult:
        """Join one record of ``side``; return the outputs in order, and ``LATE`` when the
        record was too late to be kept."""
        row = record.row
        if row is None:
            return JoinResult(dropped=DropReason.NULL_VALUE)
        join_key = self._columns[side](row)
        if join_key is None:
            return JoinResult(dropped=DropReason.NULL_KEY)
        timestamp = record.timestamp
        key = encode((join_key,))
        kept = self._keep(side, key, row, timestamp)
        stream_time = self._time(_STREAM_TIME)
        if stream_time is None or timestamp > stream_time:
            stream_time = timestamp
            self._shared.put(_STREAM_TIME, encode(timestamp))
        outputs: list[JoinOutput] = []
        if not self.eager and timestamp == stream_time:
            outputs.extend(self._close_windows(stream_time))
        outputs.extend(self._join(side, key, join_key, row, timestamp, stream_time))
        return JoinResult(tuple(outputs), None if kept else DropReason.LATE)

    def _keep(self, side: Side, key: bytes, row: Row, timestamp: int) -> bool:
        """Put the record into its side's window store, as a segmented store does: advance
        the store's time, drop the expired segments, refuse a record of one of them."""
        store = self._stores[side]
        observed = self._time(_OBSERVED[side])
        if observed is None or timestamp > observed:
            observed = timestamp
            self._shared.put(_OBSERVED[side], encode(observed))
        live_from = _java_div(observed - self.retention, self.segment_ms) * self.segment_ms
        store.expire(live_from - 1 + store.retention_ms)
        if _java_div(timestamp, self.segment_ms) * self.segment_ms < live_from:
            return False
        stored = store.fetch(key, timestamp)
        rows = [] if stored is None else _rows(stored)
        return store.put(key, timestamp, encode([*rows, row]))

    def _join(
        self, side: Side, key: bytes, join_key: object, row: Row, timestamp: int, stream_time: int
    ) -> list[JoinOutput]:
        if side is Side.LEFT:
            low, high = timestamp - self.window.before_ms, timestamp + self.window.after_ms
        else:
            low, high = timestamp - self.window.after_ms, timestamp + self.window.before_ms
        low, high = max(0, low), max(0, high)
        outputs: list[JoinOutput] = []
        for other_time, data in self._stores[side.other].fetch_range(key, low, high):
            for other_row in _rows(data):
                pair = (row, other_row) if side is Side.LEFT else (other_row, row)
                outputs.append(self._output(join_key, *pair, max(timestamp, other_time)))
            if not self.eager:
                self._shared.delete(self._pending_key(side.other, other_time, key))
        if outputs or side not in self._outer:
            return outputs
        if self.eager or high < stream_time:
            return [self._alone(side, join_key, row, timestamp)]
        pending = self._pending_key(side, timestamp, key)
        oldest = self._time(_OLDEST_PENDING)
        if oldest is None or timestamp < oldest:
            self._shared.put(_OLDEST_PENDING, encode(timestamp))
        stored = self._shared.get(pending)
        rows = [] if stored is None else _rows(stored)
        self._shared.put(pending, encode([*rows, row]))
        return []

    @staticmethod
    def _pending_key(side: Side, timestamp: int, key: bytes) -> bytes:
        return _PENDING + _sortable(timestamp) + _SIDE_BYTE[side] + key

    def _close_windows(self, stream_time: int) -> list[JoinOutput]:
        """Output alone, oldest first, the waiting records whose window has closed."""
        outputs: list[JoinOutput] = []
        # Only records older than this can have a closed window (the shorter reach's side);
        # the range read stops there instead of reading every waiting record.
        newest = stream_time - min(self._reach_ms(Side.LEFT), self._reach_ms(Side.RIGHT))
        newest -= self.grace_ms + 1
        oldest = self._time(_OLDEST_PENDING)  # a lower bound of the waiting records' times
        if newest < -(2**63) or oldest is None or oldest > newest:
            return outputs
        high = _PENDING + _sortable(newest) + b"\xff"
        still_waiting = newest + 1
        for pending, data in self._shared.range(_PENDING, high):
            at = len(_PENDING)
            timestamp = int.from_bytes(pending[at : at + 8], "big") - 2**63
            side = _SIDE_OF[pending[at + 8]]
            if timestamp + self._reach_ms(side) + self.grace_ms >= stream_time:
                still_waiting = min(still_waiting, timestamp)
                continue
            join_key = cast(Row, decode(pending[at + 9 :]))[0]
            outputs.extend(self._alone(side, join_key, row, timestamp) for row in _rows(data))
            self._shared.delete(pending)
        self._shared.put(_OLDEST_PENDING, encode(still_waiting))
        return outputs

    def _output(self, join_key: object, left: Row | None, right: Row | None, ts: int) -> JoinOutput:
        key = (join_key,)
        return JoinOutput(key, self._layout.row(key, left, right), ts, left, right)

    def _alone(self, side: Side, join_key: object, row: Row, timestamp: int) -> JoinOutput:
        if side is Side.LEFT:
            return self._output(join_key, row, None, timestamp)
        return self._output(join_key, None, row, timestamp)


def _rows(data: bytes) -> list[Row]:
    return [tuple(row) for row in cast(list[Row], decode(data))]


class StreamTableJoin:
    """A stream-table join: ``S [INNER | LEFT] JOIN T ON S.col = T.key``.

    A stream record looks up the table's row for its join key as the table stands when the
    record arrives; the output has the stream record's timestamp and the join key as its
    key. INNER outputs only when the table has the row, LEFT always (the table's columns
    NULL when it has none). A table record (``Side.RIGHT``) updates or (tombstone) deletes
    the table's row and outputs nothing. Stream records without a value or with a NULL join
    key are dropped.

    Raises:
        UnsupportedJoin: ``kind`` is RIGHT or FULL, which ksqlDB does not run here.
    """

    def __init__(
        self,
        kind: JoinKind,
        *,
        table: KeyValueStore,
        stream_column: JoinColumn,
        layout: JoinLayout,
    ) -> None:
        if kind not in (JoinKind.INNER, JoinKind.LEFT):
            raise UnsupportedJoin("stream-table", kind.value, ("INNER", "LEFT"))
        self.kind = kind
        self._table = table
        self._column = reader(stream_column)
        self._layout = layout
        # Decoded table rows by encoded key (None: no row), so a stream record looking up a
        # row read before skips the store and the decoding; updated with the table, dropped
        # by forget() when the store goes back to its last commit.
        self._rows: dict[bytes, Row | None] = {}

    def process(self, side: Side, record: JoinInput) -> JoinResult:
        """A stream record (``Side.LEFT``) or a table record (``Side.RIGHT``)."""
        return self.stream(record) if side is Side.LEFT else self.table(record)

    def stream(self, record: JoinInput) -> JoinResult:
        """Join a stream record with the table's current row."""
        row = record.row
        if row is None:
            return JoinResult(dropped=DropReason.NULL_VALUE)
        join_key = self._column(row)
        if join_key is None:
            return JoinResult(dropped=DropReason.NULL_KEY)
        key = (join_key,)
        encoded = encode(key)
        if encoded in self._rows:
            match = self._rows[encoded]
        else:
            stored = self._table.get(encoded)
            match = None if stored is None else _stored_row(stored)
            if len(self._rows) >= _DECODED_ROWS:
                self._rows.clear()
            self._rows[encoded] = match
        if match is None and self.kind is JoinKind.INNER:
            return JoinResult()
        output = JoinOutput(key, self._layout.row(key, row, match), record.timestamp, row, match)
        return JoinResult((output,))

    def table(self, record: JoinInput) -> JoinResult:
        """Update the table; a stream-table join outputs nothing for a table change."""
        key = encode(record.key)
        if record.row is None:
            self._table.delete(key)
        else:
            self._table.put(key, encode((record.row, record.timestamp)))
        self._rows.pop(key, None)
        return JoinResult()

    def forget(self) -> None:
        """Drop the decoded rows (the table's store went back to its last commit)."""
        self._rows.clear()


def _stored_row(data: bytes) -> Row:
    row, _ = cast(tuple[Row, int], decode(data))
    return tuple(row)


Joiner = Callable[[Side, JoinInput], JoinResult]
"""What every join operator's ``process`` is."""
