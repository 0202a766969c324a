"""Join operators over state stores, with ksqlDB's semantics (Kafka Streams' joins).

Each operator takes one input record of one side (:class:`JoinInput`: key, row or tombstone,
timestamp) and returns the output records it causes (:class:`JoinResult`). Its state lives
only in the stores it is given, so it is restored from their changelogs and is exactly-once
with everything else the task commits. The engine wires them:

- :class:`StreamStreamJoin` — ``JOIN ... WITHIN`` between two streams, over two
  :class:`~streammesh.streams.state.WindowStore` and a small key-value store of times;
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
    JoinInput,
    JoinLayout,
    JoinOutput,
    JoinResult,
    Row,
    Side,
)
from streammesh.streams.sql.statements import JoinKind, JoinWindow
from streammesh.streams.state import KeyValueStore, WindowStore

__all__ = ["LEGACY_GRACE_MS", "Joiner", "StreamStreamJoin", "StreamTableJoin"]

LEGACY_GRACE_MS = 24 * 60 * 60 * 1000
"""The grace period of a ``WITHIN`` without ``GRACE PERIOD``: Kafka Streams' old default of
24 hours, which ksqlDB keeps for such joins (with their eager left/outer results)."""

_FIRST = -(2**63)
_STREAM_TIME = b"stream-time"
_CLOSED = {Side.LEFT: b"left-closed", Side.RIGHT: b"right-closed"}

# A stored stream record: its row, and whether it found a partner (or was emitted alone).
_Entry = tuple[Row, bool]


def _outer_sides(kind: JoinKind) -> frozenset[Side]:
    """The sides whose unmatched records appear in the output."""
    return {
        JoinKind.INNER: frozenset(),
        JoinKind.LEFT: frozenset({Side.LEFT}),
        JoinKind.RIGHT: frozenset({Side.RIGHT}),
        JoinKind.FULL: frozenset({Side.LEFT, Side.RIGHT}),
    }[kind]


class StreamStreamJoin:
    """A stream-stream join: ``L kind JOIN R WITHIN (before, after) [GRACE PERIOD g] ON ...``.

    A left record at ``t`` joins the right records of the same join key at ``t - before``
    through ``t + after`` (both included), and a right record at ``t`` the left records at
    ``t - after`` through ``t + before``, in whichever order they arrive; each pair is output
    once, when its second record arrives, with the later of the two timestamps. Both sides
    share one stream time, the largest timestamp seen.

    - With ``GRACE PERIOD g``: a left record's window closes when the stream time passes
      ``t + after + g`` (a right record's at ``t + before + g``). A record arriving after its
      window closed is dropped (:attr:`DropReason.LATE`). An outer side's record that found
      no partner is output alone (the other side's columns NULL, its own timestamp) only
      when its window closes — ksqlDB 0.23's fix of spurious left/outer join results — just
      before the record that moved the stream time is processed.
    - Without: ksqlDB's legacy behaviour, a 24-hour grace period and an outer side's record
      without a partner output alone at once (and joined again when a partner arrives).

    Records without a value or with a NULL join key are dropped, as in ksqlDB.

    The engine opens the two window stores with
    ``retention_ms=StreamStreamJoin.retention_ms(window)`` (ksqlDB names them
    ``...-Join-this-join-store`` and ``...-Join-other-join-store``) and a key-value store for
    the stream time.

    >>> join = StreamStreamJoin(JoinKind.LEFT, JoinWindow(10, 10, 0), left_store=...,
    ...     right_store=..., times=..., left_column=1, right_column=1, layout=layout)
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
        times: KeyValueStore,
        left_column: int,
        right_column: int,
        layout: JoinLayout,
    ) -> None:
        self.kind = kind
        self.window = window
        self.eager = window.grace_ms is None
        self.grace_ms = LEGACY_GRACE_MS if window.grace_ms is None else window.grace_ms
        needed = self.retention_ms(window)
        for store in (left_store, right_store):
            if store.retention_ms < needed:
                raise JoinStoreTooShort(store.name, store.retention_ms, needed)
        self._stores = {Side.LEFT: left_store, Side.RIGHT: right_store}
        self._columns = {Side.LEFT: left_column, Side.RIGHT: right_column}
        self._times = times
        self._layout = layout
        self._outer = _outer_sides(kind)

    @staticmethod
    def retention_ms(window: JoinWindow) -> int:
        """How long each side's window store must keep records: until no record that could
        still arrive (not late) could join them."""
        grace = LEGACY_GRACE_MS if window.grace_ms is None else window.grace_ms
        return window.before_ms + window.after_ms + grace + 1

    def _closing_ms(self, side: Side) -> int:
        """How long after its timestamp a record of ``side`` may still find partners."""
        reach = self.window.after_ms if side is Side.LEFT else self.window.before_ms
        return reach + self.grace_ms

    def _time(self, name: bytes) -> int | None:
        stored = self._times.get(name)
        return None if stored is None else cast(int, decode(stored))

    def process(self, side: Side, record: JoinInput) -> JoinResult:
        """Join one record of ``side``; return the outputs in order, or why it was dropped."""
        row = record.row
        if row is None:
            return JoinResult(dropped=DropReason.NULL_VALUE)
        join_key = row[self._columns[side]]
        if join_key is None:
            return JoinResult(dropped=DropReason.NULL_KEY)
        timestamp = record.timestamp
        stream_time = self._time(_STREAM_TIME)
        if stream_time is not None and timestamp + self._closing_ms(side) < stream_time:
            return JoinResult(dropped=DropReason.LATE)
        outputs: list[JoinOutput] = []
        if stream_time is None or timestamp > stream_time:
            self._times.put(_STREAM_TIME, encode(timestamp))
            if not self.eager:
                outputs.extend(self._close_windows(timestamp))
            for store in self._stores.values():
                store.expire(timestamp)
        outputs.extend(self._join(side, join_key, row, timestamp))
        return JoinResult(tuple(outputs))

    def _join(self, side: Side, join_key: object, row: Row, timestamp: int) -> list[JoinOutput]:
        key = encode((join_key,))
        if side is Side.LEFT:
            low, high = timestamp - self.window.before_ms, timestamp + self.window.after_ms
        else:
            low, high = timestamp - self.window.after_ms, timestamp + self.window.before_ms
        other = self._stores[side.other]
        outputs: list[JoinOutput] = []
        for other_time, data in other.fetch_range(key, low, high):
            entries = _entries(data)
            for other_row, _ in entries:
                pair = (row, other_row) if side is Side.LEFT else (other_row, row)
                outputs.append(self._output(join_key, *pair, max(timestamp, other_time)))
            if not all(found for _, found in entries):
                other.put(key, other_time, encode([(r, True) for r, _ in entries]))
        found = bool(outputs)
        if not found and side in self._outer and self.eager:
            outputs.append(self._alone(side, join_key, row, timestamp))
            found = True
        own = self._stores[side]
        stored = own.fetch(key, timestamp)
        entries = [] if stored is None else _entries(stored)
        own.put(key, timestamp, encode([*entries, (row, found)]))
        return outputs

    def _close_windows(self, stream_time: int) -> list[JoinOutput]:
        """Output alone the outer sides' records whose window closed without a partner."""
        closed: list[tuple[int, int, bytes, JoinOutput]] = []
        for order, side in enumerate((Side.LEFT, Side.RIGHT)):
            if side not in self._outer:
                continue
            up_to = stream_time - self._closing_ms(side) - 1
            done = self._time(_CLOSED[side])
            if done is not None and up_to <= done:
                continue
            store = self._stores[side]
            low = _FIRST if done is None else done + 1
            for key, timestamp, data in store.fetch_all(low, up_to):
                entries = _entries(data)
                if all(found for _, found in entries):
                    continue
                join_key = cast(Row, decode(key))[0]
                for row, found in entries:
                    if not found:
                        output = self._alone(side, join_key, row, timestamp)
                        closed.append((timestamp, order, key, output))
                store.put(key, timestamp, encode([(r, True) for r, _ in entries]))
            self._times.put(_CLOSED[side], encode(up_to))
        closed.sort(key=lambda item: item[:3])
        return [output for *_, output in closed]

    def _output(self, join_key: object, left: Row | None, right: Row | None, ts: int) -> JoinOutput:
        key = (join_key,)
        return JoinOutput(key, self._layout.row(key, left, right), ts, left, right)

    def _alone(self, side: Side, join_key: object, row: Row, timestamp: int) -> JoinOutput:
        if side is Side.LEFT:
            return self._output(join_key, row, None, timestamp)
        return self._output(join_key, None, row, timestamp)


def _entries(data: bytes) -> list[_Entry]:
    stored = cast(list[tuple[Row, bool]], decode(data))
    return [(tuple(row), bool(found)) for row, found in stored]


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
        self, kind: JoinKind, *, table: KeyValueStore, stream_column: int, layout: JoinLayout
    ) -> None:
        if kind not in (JoinKind.INNER, JoinKind.LEFT):
            raise UnsupportedJoin("stream-table", kind.value, ("INNER", "LEFT"))
        self.kind = kind
        self._table = table
        self._column = stream_column
        self._layout = layout

    def process(self, side: Side, record: JoinInput) -> JoinResult:
        """A stream record (``Side.LEFT``) or a table record (``Side.RIGHT``)."""
        return self.stream(record) if side is Side.LEFT else self.table(record)

    def stream(self, record: JoinInput) -> JoinResult:
        """Join a stream record with the table's current row."""
        row = record.row
        if row is None:
            return JoinResult(dropped=DropReason.NULL_VALUE)
        join_key = row[self._column]
        if join_key is None:
            return JoinResult(dropped=DropReason.NULL_KEY)
        key = (join_key,)
        stored = self._table.get(encode(key))
        match = None if stored is None else _stored_row(stored)
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
        return JoinResult()


def _stored_row(data: bytes) -> Row:
    row, _ = cast(tuple[Row, int], decode(data))
    return tuple(row)


Joiner = Callable[[Side, JoinInput], JoinResult]
"""What every join operator's ``process`` is."""
