"""The aggregate operator: ``GROUP BY`` over a stream or a table, with or without a window.

One :class:`AggregateTask` per input partition keeps the groups in state stores of that task
(:mod:`streammesh.streams.state`), so its state is logged to changelog topics and committed
with the outputs and input offsets. Semantics follow ksqlDB (on Kafka Streams):

- Stream aggregation adds each row to its group (and to each window the row falls in);
  ``EMIT CHANGES`` emits the group's new row per input, ``EMIT FINAL`` emits a window's row
  once, when stream time (the largest timestamp the task has seen) reaches the window's end
  plus the grace period — a session's once stream time passes its end plus the gap plus the
  grace period, when no row can merge into it any more; sessions merged meanwhile emit
  nothing.
- Table aggregation takes a row's earlier contribution back with ``undo`` when the row is
  replaced or deleted (a tombstone), then adds the new one: an update emits the old group's
  row, then the new group's, as Kafka Streams' table aggregation does.
- A row is late for a window when the window's end plus the grace period is at or before
  stream time; late rows are dropped and counted. The default grace is 24 hours (ksqlDB's).
- An output's timestamp is the largest timestamp of the rows aggregated into it.
- A session window (``SESSION (gap)``) is merged with every session of its key that ends
  within ``gap`` before it or starts within ``gap`` after it; the sessions merged away are
  emitted as tombstones of their windowed keys, as ksqlDB does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from streammesh.streams.engine.codec import decode_state, encode_state
from streammesh.streams.engine.errors import InvalidWindow
from streammesh.streams.evaluation.compiler import (
    compile_aggregate,
    compile_expression,
    compile_predicate,
)
from streammesh.streams.functions.errors import AggregateNotForTables
from streammesh.streams.functions.registry import FunctionRegistry
from streammesh.streams.plan.nodes import Aggregate
from streammesh.streams.sql.statements import (
    HoppingWindow,
    SessionWindow,
    TumblingWindow,
    Window,
)
from streammesh.streams.state import (
    KeyValueStore,
    SessionStore,
    StoreContext,
    WindowStore,
)
from streammesh.streams.state.store import ChangelogStore

Row = tuple[Any, ...]

DEFAULT_GRACE_MS = 24 * 60 * 60 * 1000
"""ksqlDB's grace period when a window does not give one (Kafka Streams' old default)."""

_STREAM_TIME = b"stream-time"
_DECODED_MAX = 100_000
"""Decoded group states kept between commits before they are dropped (re-read on demand)."""


@dataclass(frozen=True, slots=True)
class WindowSpan:
    """A window an output belongs to: ``[start, end)`` for time windows; a session's
    ``end`` is its last row's timestamp."""

    start: int
    end: int
    session: bool = False


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one input row does to a group: its aggregate arguments, added (or taken back,
    ``retract``, when a table row changes), at the row's timestamp. Without a repartition it
    is applied in the task; with one it travels through the repartition topic
    (:meth:`encode`) to the task owning the group."""

    group: Row
    values: Sequence[Any]
    retract: bool
    timestamp: int

    def encode(self) -> tuple[bytes, bytes]:
        """The repartition record's key (the group, as the stores key it) and value."""
        return encode_state(list(self.group)), encode_state([self.retract, list(self.values)])

    @staticmethod
    def decode(key: bytes, value: bytes, timestamp: int) -> Contribution:
        """The contribution a repartition record carries.

        Raises:
            ValueError: the bytes are not a contribution's.
        """
        group, (retract, values) = decode_state(key), decode_state(value)
        return Contribution(tuple(group), values, bool(retract), timestamp)


@dataclass(frozen=True, slots=True)
class Update:
    """One output of the operator: a group's aggregate row (``None``: a tombstone of the
    group), its window and its timestamp."""

    group: Row
    row: Row | None
    window: WindowSpan | None
    timestamp: int


def grace_of(window: Window) -> int:
    """The window's grace period in milliseconds (ksqlDB's default when not given)."""
    return DEFAULT_GRACE_MS if window.grace_ms is None else window.grace_ms


def retention_of(query: str, window: Window) -> int:
    """How long the window's state is kept: ``RETENTION``, else its size (gap) plus grace.

    Raises:
        InvalidWindow: ``RETENTION`` is shorter than the size (gap) plus the grace period.
    """
    length = window.gap_ms if isinstance(window, SessionWindow) else window.size_ms
    needed = length + grace_of(window)
    if window.retention_ms is None:
        return max(needed, 1)
    if window.retention_ms < needed:
        raise InvalidWindow(
            query,
            f"RETENTION ({window.retention_ms} ms) must be at least the window's size plus its"
            f" grace period ({needed} ms)",
        )
    return window.retention_ms


def window_starts(window: TumblingWindow | HoppingWindow, timestamp: int) -> list[int]:
    """The starts of the time windows ``timestamp`` falls in, earliest first (windows are
    aligned to the epoch, as Kafka Streams' ``TimeWindows``)."""
    size = window.size_ms
    advance = window.advance_ms if isinstance(window, HoppingWindow) else size
    first = max(0, timestamp - size + advance) // advance * advance
    return list(range(first, timestamp + 1, advance))


class CompiledAggregate:
    """An ``Aggregate`` node compiled once per query: group keys, the aggregate calls'
    arguments and functions, ``HAVING`` (see :class:`AggregateTask`)."""

    def __init__(
        self, query: str, node: Aggregate, registry: FunctionRegistry, *, table: bool
    ) -> None:
        schema = node.input.schema.evaluation()
        keys = [column.name for column in node.input.schema.keys]
        self.query = query
        self.node = node
        self.table = table
        self.window = node.window
        self.final = node.emit.value == "FINAL"
        self.group_by = [
            compile_expression(item, schema, registry=registry, key_columns=keys)
            for item in node.group_by
        ]
        compiled = [compile_aggregate(call, schema, registry=registry) for call in node.aggregates]
        self.functions = [item.aggregate for item in compiled]
        self.arguments = [item.argument for item in compiled]
        self.having: Callable[[Row], bool] | None = (
            compile_predicate(node.having, node.schema.evaluation(), registry=registry)
            if node.having is not None
            else None
        )
        stream_only = [function.name for function in self.functions if not function.table_capable]
        if table and stream_only:
            raise AggregateNotForTables(stream_only)
        if table and node.window is not None:
            raise InvalidWindow(query, "windowing is not supported for table aggregations")
        self.grace = grace_of(node.window) if node.window is not None else 0
        # A session is final once no row can still merge into it: a row up to ``gap`` after
        # its end merges, and is not late until stream time passes it by the grace period.
        self.session_close = (
            node.window.gap_ms + self.grace if isinstance(node.window, SessionWindow) else 0
        )
        self.retention = retention_of(query, node.window) if node.window is not None else 0

    def store_names(self) -> list[str]:
        """The state stores a task of this query opens (each with a changelog topic)."""
        base = f"{self.query}-Aggregate-Materialize"
        if self.table:
            return [base, f"{self.query}-Aggregate-Source"]
        if self.window is not None:
            return [base, f"{self.query}-Aggregate-StreamTime"]
        return [base]


class AggregateTask:
    """The aggregate state of one task, and what each input row does to it."""

    def __init__(self, compiled: CompiledAggregate, context: StoreContext) -> None:
        self.compiled = compiled
        self.late = 0
        names = compiled.store_names()
        window = compiled.window
        self.stores: list[ChangelogStore[Any]] = []
        self.groups: KeyValueStore | None = None
        self.windows: WindowStore | None = None
        self.sessions: SessionStore | None = None
        self.source: KeyValueStore | None = None
        self.clock: KeyValueStore | None = None
        try:
            if window is None:
                self.groups = self._open(KeyValueStore(context, names[0]))
            elif isinstance(window, SessionWindow):
                self.sessions = self._open(
                    SessionStore(context, names[0], retention_ms=compiled.retention)
                )
            else:
                self.windows = self._open(
                    WindowStore(context, names[0], retention_ms=compiled.retention)
                )
            if compiled.table:
                self.source = self._open(KeyValueStore(context, names[1]))
            elif window is not None:
                self.clock = self._open(KeyValueStore(context, names[1]))
        except BaseException:
            self.close()
            raise
        stored = self.clock.get(_STREAM_TIME) if self.clock is not None else None
        self.stream_time: int = decode_state(stored) if stored is not None else -1
        # Decoded group states, read or written since they were last dropped: most rows hit a
        # group seen in the last batches, so they skip the store and the decoding. Changes
        # (``_dirty``) are encoded into the stores once per commit, not once per row.
        self._decoded: dict[tuple[bytes, int], tuple[list[Any], int]] = {}
        self._dirty: set[tuple[bytes, int]] = set()
        self._group_keys: dict[Row, bytes] = {}

    def _open(self, store: Any) -> Any:
        self.stores.append(store)
        return store

    # -- what a row does --------------------------------------------------------------------

    def process(
        self, row: Row | None, source_key: bytes | None, timestamp: int
    ) -> list[Update] | None:
        """Aggregate one input row in the task (``None``: a table tombstone of
        ``source_key``): :meth:`contributions`, then :meth:`apply` each.

        Returns the updates to write, in order, or ``None`` when the row is dropped because
        a ``GROUP BY`` value is NULL (ksqlDB drops those rows).
        """
        found = self.contributions(row, source_key, timestamp)
        if found is None:
            return None
        return [update for item in found for update in self.apply(item)]

    def contributions(
        self, row: Row | None, source_key: bytes | None, timestamp: int
    ) -> list[Contribution] | None:
        """What one input row adds to (and, for a table, takes back from) its groups.

        ``row`` is the row after the ``WHERE``; over a table, ``None`` (a tombstone, or a row
        the ``WHERE`` drops) only takes the key's earlier contribution back. ``None`` is
        returned when a stream row is dropped because a ``GROUP BY`` value is NULL.
        """
        compiled = self.compiled
        # Lists, then a tuple: a tuple of a generator costs a generator frame per row.
        group = tuple([evaluate(row) for evaluate in compiled.group_by]) if row is not None else ()
        values = [argument(row) for argument in compiled.arguments] if row is not None else []
        if not compiled.table:
            if None in group:
                return None
            return [Contribution(group, values, False, timestamp)]
        assert self.source is not None
        key = source_key or b""
        found: list[Contribution] = []
        before = self.source.get(key)
        if before is not None:
            old_group, old_values = decode_state(before)
            found.append(Contribution(tuple(old_group), old_values, True, timestamp))
        if row is None or None in group:  # deleted, filtered, or no group: no contribution
            if before is not None:
                self.source.delete(key)
            return found
        self.source.put(key, encode_state([list(group), values]))
        found.append(Contribution(group, values, False, timestamp))
        return found

    def apply(self, contribution: Contribution) -> list[Update]:
        """Add a contribution to its group (its windows), or take it back; the updates to
        write, in order."""
        compiled = self.compiled
        group, values, timestamp = contribution.group, contribution.values, contribution.timestamp
        window = compiled.window
        if window is None:
            return self._add(group, values, timestamp, retract=contribution.retract)
        previous = self.stream_time
        self.stream_time = max(self.stream_time, timestamp)
        if isinstance(window, SessionWindow):
            updates = self._session(window, group, values, timestamp)
            if compiled.final and self.stream_time > previous:
                updates.extend(self._closed_sessions(previous, self.stream_time))
            return updates
        updates = self._windowed(window, group, values, timestamp)
        if compiled.final and self.stream_time > previous:
            updates.extend(self._closed(window, previous, self.stream_time))
        return updates

    def _add(
        self, group: Row, values: Sequence[Any], timestamp: int, *, retract: bool = False
    ) -> list[Update]:
        assert self.groups is not None
        key = encode_state(list(group))
        accumulators, latest = self._read((key, 0))
        functions = self.compiled.functions
        step = [f.undo if retract else f.aggregate for f in functions]
        accumulators = [
            apply(accumulator, value)
            for apply, accumulator, value in zip(step, accumulators, values, strict=True)
        ]
        latest = max(latest, timestamp)
        self._write((key, 0), accumulators, latest)
        return [self._update(group, accumulators, None, latest)]

    def _windowed(
        self,
        window: TumblingWindow | HoppingWindow,
        group: Row,
        values: Sequence[Any],
        timestamp: int,
    ) -> list[Update]:
        assert self.windows is not None
        key = self._group_key(group)
        compiled = self.compiled
        functions = compiled.functions
        close = self.stream_time - compiled.grace
        size = window.size_ms
        # A tumbling window holds each timestamp once: its start, without building the list.
        starts = (
            (timestamp - timestamp % size,)
            if type(window) is TumblingWindow and timestamp >= 0
            else window_starts(window, timestamp)
        )
        updates: list[Update] = []
        for start in starts:
            end = start + size
            if end <= close:
                self.late += 1  # Kafka Streams counts a dropped record per window
                continue
            where = (key, start)
            accumulators, latest = self._read(where)
            accumulators = [
                function.aggregate(accumulator, value)
                for function, accumulator, value in zip(
                    functions, accumulators, values, strict=True
                )
            ]
            if timestamp > latest:
                latest = timestamp
            self._decoded[where] = (accumulators, latest)
            self._dirty.add(where)
            if not compiled.final:
                updates.append(self._update(group, accumulators, WindowSpan(start, end), latest))
        return updates

    def _group_key(self, group: Row) -> bytes:
        """The group's state key (its encoded values), remembered while the group is active:
        most rows belong to a group seen shortly before."""
        try:
            found = self._group_keys.get(group)
        except TypeError:  # a group of unhashable values (an ARRAY, a MAP)
            return encode_state(list(group))
        if found is None:
            found = encode_state(list(group))
            if len(self._group_keys) >= _DECODED_MAX:
                self._group_keys.clear()
            self._group_keys[group] = found
        return found

    def _session(
        self, window: SessionWindow, group: Row, values: Sequence[Any], timestamp: int
    ) -> list[Update]:
        assert self.sessions is not None
        key = encode_state(list(group))
        gap = window.gap_ms
        found = self.sessions.find_sessions(key, timestamp - gap, timestamp + gap)
        if not self.compiled.final:
            # A session past its retention is gone, as in Kafka Streams' session store,
            # whether or not a commit has expired it from the store yet: otherwise a row
            # bridging it would merge it within a poll and not across one.
            horizon = self.stream_time - self.compiled.retention
            found = [item for item in found if item[1] > horizon]
        start = min([timestamp, *(item[0] for item in found)])
        end = max([timestamp, *(item[1] for item in found)])
        if end < self.stream_time - self.compiled.grace or (
            self.compiled.final and self._touches_closed(found)
        ):
            self.late += 1
            return []
        functions = self.compiled.functions
        accumulators = [function.init() for function in functions]
        latest = timestamp
        updates: list[Update] = []
        for old_start, old_end, data in found:
            old_accumulators, old_latest = decode_state(data)
            accumulators = [
                function.merge(accumulator, other)
                for function, accumulator, other in zip(
                    functions, accumulators, old_accumulators, strict=True
                )
            ]
            latest = max(latest, old_latest)
            self.sessions.remove(key, old_start, old_end)
            if (old_start, old_end) != (start, end) and not self.compiled.final:
                # The merged-away session leaves the table, stamped with its end as Kafka
                # Streams stamps session updates.
                span = WindowSpan(old_start, old_end, session=True)
                updates.append(Update(group, None, span, old_end))
        accumulators = [
            function.aggregate(accumulator, value)
            for function, accumulator, value in zip(functions, accumulators, values, strict=True)
        ]
        self.sessions.put(key, start, end, encode_state([accumulators, latest]))
        if not self.compiled.final:
            span = WindowSpan(start, end, session=True)
            updates.append(self._update(group, accumulators, span, latest))
        return updates

    def _touches_closed(self, found: list[tuple[int, int, bytes]]) -> bool:
        """``EMIT FINAL``: whether a row would merge into a session already closed (emitted):
        such a row is late, so that an emitted session is never revised. A row can reach one
        only by bridging it with a session still open (a row merging a closed session alone
        ends before stream time minus grace, late anyway)."""
        close = self.stream_time - self.compiled.session_close
        return any(end < close for _start, end, _data in found)

    def _closed_sessions(self, previous: int, now: int) -> list[Update]:
        """``EMIT FINAL`` on sessions: the sessions that closed as stream time went from
        ``previous`` to ``now`` — their end plus gap plus grace is before ``now`` and was not
        before ``previous`` — by end, key and start. Each key keeps its last closed session
        (and drops the earlier ones) to recognise a row that would merge into it."""
        assert self.sessions is not None
        lead = self.compiled.session_close
        low = previous - lead if previous >= 0 else -(2**62)
        high = now - lead - 1
        if high < low:
            return []
        updates = []
        for key, start, end, data in self.sessions.fetch_ended(low, high):
            for old_start, old_end, _data in self.sessions.find_sessions(key, -(2**62), start - 1):
                self.sessions.remove(key, old_start, old_end)
            accumulators, latest = decode_state(data)
            group = tuple(decode_state(key))
            span = WindowSpan(start, end, session=True)
            update = self._update(group, accumulators, span, latest)
            if update.row is not None:  # a session HAVING filters out was never written
                updates.append(update)
        return updates

    def _closed(
        self, window: TumblingWindow | HoppingWindow, previous: int, now: int
    ) -> list[Update]:
        """``EMIT FINAL``: the windows that closed as stream time went from ``previous`` to
        ``now`` (their end plus grace in ``(previous, now]``), by start then key."""
        assert self.windows is not None
        lead = window.size_ms + self.compiled.grace
        low = previous - lead + 1 if previous >= 0 else -(2**62)
        high = now - lead
        if high < low:
            return []
        updates = []
        self._push()
        for key, start, data in self.windows.fetch_all(low, high):
            accumulators, latest = decode_state(data)
            group = tuple(decode_state(key))
            span = WindowSpan(start, start + window.size_ms)
            update = self._update(group, accumulators, span, latest)
            if update.row is not None:  # final results drop tombstones, as ksqlDB's suppress
                updates.append(update)
        return updates

    def _read(self, where: tuple[bytes, int]) -> tuple[list[Any], int]:
        """A group's (window's) accumulators and latest timestamp; ``where`` is the encoded
        group and the window start (0 without a window)."""
        found = self._decoded.get(where)
        if found is not None:
            return found
        if self.windows is not None:
            stored = self.windows.fetch(where[0], where[1])
        else:
            assert self.groups is not None
            stored = self.groups.get(where[0])
        state = self._state(stored)
        self._decoded[where] = state
        return state

    def _write(self, where: tuple[bytes, int], accumulators: list[Any], latest: int) -> None:
        self._decoded[where] = (accumulators, latest)
        self._dirty.add(where)

    def _push(self) -> None:
        """Encode the changed groups into the stores (their write caches)."""
        for where in self._dirty:
            data = encode_state(list(self._decoded[where]))
            if self.windows is not None:
                # Never refused: a window still taking rows is within its retention.
                self.windows.put(where[0], where[1], data)
            else:
                assert self.groups is not None
                self.groups.put(where[0], data)
        self._dirty.clear()
        if len(self._decoded) > _DECODED_MAX:
            self._decoded.clear()

    def _state(self, stored: bytes | None) -> tuple[list[Any], int]:
        if stored is None:
            return [function.init() for function in self.compiled.functions], -1
        accumulators, latest = decode_state(stored)
        return list(accumulators), int(latest)

    def _update(
        self, group: Row, accumulators: Sequence[Any], window: WindowSpan | None, latest: int
    ) -> Update:
        compiled = self.compiled
        results = [
            function.result(accumulator)
            for function, accumulator in zip(compiled.functions, accumulators, strict=True)
        ]
        if window is not None:
            row = (*group, *results, window.start, window.end)
        else:
            row = (*group, *results)
        having = compiled.having
        if having is not None and not having(row):
            return Update(group, None, window, latest)  # the group leaves the table
        return Update(group, row, window, latest)

    # -- commits ----------------------------------------------------------------------------

    def flush(self) -> None:
        """Send the changes since the last commit to the changelogs (inside the engine's
        transaction); expire windows that stream time has moved past their retention."""
        self._push()
        if self.clock is not None and self.stream_time >= 0:
            if self.windows is not None:
                self.windows.expire(self.stream_time)
            if self.sessions is not None and not self.compiled.final:
                # With EMIT FINAL the closed sessions leave as later ones close (see
                # _closed_sessions), not by retention.
                self.sessions.expire(self.stream_time)
            self.clock.put(_STREAM_TIME, encode_state(self.stream_time))
        for store in self.stores:
            store.flush()

    def commit(self) -> None:
        """The engine committed: the local files commit too."""
        for store in self.stores:
            store.commit()

    def abort(self) -> None:
        """The engine's transaction aborted: back to the last commit."""
        for store in self.stores:
            store.abort()
        self._decoded.clear()
        self._dirty.clear()
        stored = self.clock.get(_STREAM_TIME) if self.clock is not None else None
        self.stream_time = decode_state(stored) if stored is not None else -1

    def close(self) -> None:
        """Close the stores (what was not committed is forgotten)."""
        for store in self.stores:
            store.close()
