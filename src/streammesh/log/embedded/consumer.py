"""The embedded consumer: reads batches from the log database, alone or in a group.

Both isolation levels read the same records: a transaction reaches the log only when it
commits, whole (see ``producer``), so there is never an open or aborted one to skip and the
last stable offset is the end offset.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from streammesh.log.base import (
    ConsumerOptions,
    GroupMetadata,
    OffsetReset,
    Record,
    TopicPartition,
)
from streammesh.log.consumer_rules import ConsumerRules, not_assigned
from streammesh.log.embedded.codec import decode_batch
from streammesh.log.embedded.database import connect, log_file, translating
from streammesh.log.embedded.groups import GroupMembership, offset_commits, write_offsets
from streammesh.log.embedded.topic_rows import TopicRow, load_topic
from streammesh.log.errors import (
    InvalidPartition,
    OffsetOutOfRange,
)
from streammesh.log.topics import validate_topic_name
from streammesh.sqlite_file import SqliteFile

# How long an idle poll sleeps between checks for new data (SQLite's data_version is cheap).
_IDLE_SLEEP_S = 0.001
_BATCHES_PER_FETCH = 2


@dataclass(slots=True)
class _PartitionState:
    topic_id: int
    position: int | None = None
    buffered: list[Record] = field(default_factory=list)


class EmbeddedConsumer:
    """A consumer of an embedded log; see :class:`streammesh.log.base.Consumer`."""

    def __init__(
        self,
        directory: Path,
        url: str,
        options: ConsumerOptions,
        file: SqliteFile | None = None,
    ) -> None:
        self._directory = directory
        self._url = url
        self._options = options
        self._file = file or log_file(directory, url)
        self._conn = connect(directory, url, self._file)
        self._membership: GroupMembership | None = None
        self._rules = ConsumerRules(options)
        self._partitions: dict[TopicPartition, _PartitionState] = {}
        self._topics: dict[str, TopicRow] = {}
        self._heartbeat_s = options.heartbeat_interval_ms / 1000
        self._next_sync = 0.0
        self._next_auto_commit = time.monotonic() + options.auto_commit_interval_ms / 1000
        self._turn = 0

    # -- assignment -------------------------------------------------------------------------

    @translating
    def subscribe(self, topics: Sequence[str]) -> None:
        names = self._rules.subscription(topics)
        for topic in names:
            self._topic(topic)
        group = self._rules.group("subscribe")
        if self._membership is None:
            self._membership = GroupMembership(
                self._conn,
                connect(self._directory, self._url, self._file),
                group,
                self._options.session_timeout_ms,
                self._options.heartbeat_interval_ms,
                self._options.group_instance_id,
                offset_commits(str(self._file.path)),
            )
        self._membership.join(names)
        self._rules.subscribed = True
        self._next_sync = 0.0

    @translating
    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        wanted = self._rules.assignment(partitions)
        for tp in wanted:
            self._check_partition(tp)
        self._rules.manual = True
        self._partitions = {
            tp: self._partitions.get(tp) or _PartitionState(self._topic(tp.topic).topic_id)
            for tp in wanted
        }

    def assignment(self) -> frozenset[TopicPartition]:
        return frozenset(self._partitions)

    # -- reading ----------------------------------------------------------------------------

    @translating
    def poll(self, timeout: float = 1.0, max_records: int | None = None) -> list[Record]:
        limit = self._rules.poll_limit(max_records)
        deadline = time.monotonic() + max(timeout, 0.0)
        version = -1
        while True:
            if self._maintain_group():
                version = -1  # new partitions to read, whatever other writers did
            current = self._data_version()
            if current != version:
                version = current
                records = self._collect(limit)
                if records:
                    return records
            now = time.monotonic()
            if now >= deadline:
                return []
            time.sleep(min(_IDLE_SLEEP_S, deadline - now))

    def _collect(self, limit: int) -> list[Record]:
        states = list(self._partitions.items())
        if not states:
            return []
        self._turn = (self._turn + 1) % len(states)
        records: list[Record] = []
        ordered = states[self._turn :] + states[: self._turn]
        # Rounds over the partitions (a fetch each) until the limit or nothing more: what is
        # there up to the limit, as a Kafka poll returns what its fetches hold, and fair.
        while len(records) < limit:
            before = len(records)
            for tp, state in ordered:
                if len(records) >= limit:
                    break
                if not state.buffered:
                    self._fetch(tp, state)
                if state.buffered:
                    taken = state.buffered[: limit - len(records)]
                    del state.buffered[: len(taken)]
                    records.extend(taken)
                    state.position = taken[-1].offset + 1
            if len(records) == before:
                break
        return records

    def _fetch(self, tp: TopicPartition, state: _PartitionState) -> None:
        position = self._resolve(tp, state)
        start, end = self._bounds(state.topic_id, tp.partition)
        if position < start or position > end:
            position = state.position = self._reset_target(start, end)
        if position >= end:
            return
        while not state.buffered:
            rows = self._conn.execute(
                "SELECT base_offset, last_offset, data FROM batches WHERE topic_id = ? "
                "AND partition = ? AND last_offset >= ? ORDER BY last_offset LIMIT ?",
                (state.topic_id, tp.partition, position, _BATCHES_PER_FETCH),
            ).fetchall()
            if not rows:
                return
            for base_offset, _, data in rows:
                batch = decode_batch(tp.topic, tp.partition, base_offset, data)
                if batch[0].offset < position:
                    batch = [r for r in batch if r.offset >= position]
                state.buffered.extend(batch)
            if not state.buffered:
                # Compaction removed every record at or after the position in these batches:
                # step over them (Kafka consumers skip such gaps the same way).
                position = state.position = rows[-1][1] + 1

    # -- positions --------------------------------------------------------------------------

    @translating
    def seek(self, partition: TopicPartition, offset: int) -> None:
        state = self._assigned(partition)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise OffsetOutOfRange(
                partition.topic, partition.partition, offset, "must be a non-negative int"
            )
        state.position = offset
        state.buffered.clear()

    @translating
    def seek_to_beginning(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        for tp, state in self._targets(partitions):
            self.seek(tp, self._bounds(state.topic_id, tp.partition)[0])

    @translating
    def seek_to_end(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        for tp, state in self._targets(partitions):
            self.seek(tp, self._bounds(state.topic_id, tp.partition)[1])

    @translating
    def seek_to_timestamp(
        self, timestamp_ms: int, partitions: Sequence[TopicPartition] | None = None
    ) -> None:
        for tp, state in self._targets(partitions):
            self.seek(tp, self._offset_for_time(tp, state, timestamp_ms))

    @translating
    def position(self, partition: TopicPartition) -> int:
        state = self._assigned(partition)
        return self._resolve(partition, state)

    @translating
    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        result: dict[TopicPartition, int] = {}
        for tp in partitions:
            row = self._check_partition(TopicPartition(*tp))
            result[TopicPartition(*tp)] = self._bounds(row.topic_id, tp.partition)[1]
        return result

    @translating
    def lag(self) -> dict[TopicPartition, int]:
        return {
            tp: max(self._bounds(state.topic_id, tp.partition)[1] - self._resolve(tp, state), 0)
            for tp, state in self._partitions.items()
        }

    def group_metadata(self) -> GroupMetadata:
        self._rules.check_open()
        group = self._rules.group("group_metadata")
        member = self._membership.member_id if self._membership is not None else ""
        return GroupMetadata(group, member_id=member)

    # -- committing -------------------------------------------------------------------------

    @translating
    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        group = self._rules.group("commit")
        if offsets is None:
            offsets = self._positions()
        for tp, offset in offsets.items():
            self._check_partition(tp)
            if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
                raise OffsetOutOfRange(tp.topic, tp.partition, offset, "cannot be committed")
        if self._membership is not None:
            self._membership.commit(offsets, strict=True)
        else:
            write_offsets(self._conn, group, offsets, _now_ms())

    @translating
    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        group = self._rules.group("committed")
        result: dict[TopicPartition, int | None] = {}
        for tp in partitions:
            found = self._conn.execute(
                "SELECT committed FROM group_offsets WHERE group_id = ? AND topic = ? "
                "AND partition = ?",
                (group, tp.topic, tp.partition),
            ).fetchone()
            result[TopicPartition(*tp)] = None if found is None else found[0]
        return result

    @translating
    def close(self) -> None:
        if self._rules.closed:
            return
        try:
            if self._membership is not None:
                final = self._positions() if self._options.auto_commit else {}
                self._membership.leave(final)
            elif self._options.group is not None and self._options.auto_commit:
                write_offsets(self._conn, self._options.group, self._positions(), _now_ms())
        finally:
            self._rules.closed = True
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------

    def _maintain_group(self) -> bool:
        """Heartbeat-time group work: rebalance and auto-commit. True if partitions changed."""
        now = time.monotonic()
        membership = self._membership
        auto_commit_due = self._options.auto_commit and now >= self._next_auto_commit
        if membership is None:
            if auto_commit_due and self._options.group is not None:
                write_offsets(self._conn, self._options.group, self._positions(), _now_ms())
                self._next_auto_commit = now + self._options.auto_commit_interval_ms / 1000
            return False
        if now < self._next_sync and not auto_commit_due:
            return False
        offsets = self._positions() if self._options.auto_commit else {}
        result = membership.sync(offsets)
        self._next_sync = now + self._heartbeat_s
        if auto_commit_due:
            self._next_auto_commit = now + self._options.auto_commit_interval_ms / 1000
        for tp in result.lost:
            self._partitions.pop(tp, None)
        for tp in result.gained:
            self._partitions[tp] = _PartitionState(self._topic(tp.topic).topic_id)
        return bool(result.lost or result.gained)

    def _positions(self) -> dict[TopicPartition, int]:
        return {
            tp: state.position
            for tp, state in self._partitions.items()
            if state.position is not None
        }

    def _resolve(self, tp: TopicPartition, state: _PartitionState) -> int:
        """The partition's position, from the group's commit or the reset policy if unset."""
        if state.position is None:
            committed = None
            if self._options.group is not None:
                committed = self.committed([tp])[tp]
            start, end = self._bounds(state.topic_id, tp.partition)
            if committed is not None and start <= committed <= end:
                state.position = committed
            else:
                state.position = self._reset_target(start, end)
        return state.position

    def _reset_target(self, start: int, end: int) -> int:
        return start if self._options.auto_offset_reset is OffsetReset.EARLIEST else end

    def _offset_for_time(self, tp: TopicPartition, state: _PartitionState, ts: int) -> int:
        rows = self._conn.execute(
            "SELECT base_offset, data FROM batches WHERE topic_id = ? AND partition = ? "
            "AND max_ts >= ? ORDER BY last_offset LIMIT 1",
            (state.topic_id, tp.partition, ts),
        ).fetchall()
        for base_offset, data in rows:
            for record in decode_batch(tp.topic, tp.partition, base_offset, data):
                if record.timestamp_ms >= ts:
                    return record.offset
        return self._bounds(state.topic_id, tp.partition)[1]

    def _bounds(self, topic_id: int, partition: int) -> tuple[int, int]:
        found = self._conn.execute(
            "SELECT start_offset, end_offset FROM partitions WHERE topic_id = ? AND partition = ?",
            (topic_id, partition),
        ).fetchone()
        if found is None:
            return 0, 0  # the topic was deleted; nothing more to read
        return found[0], found[1]

    def _data_version(self) -> int:
        value: int = self._conn.execute("PRAGMA data_version").fetchone()[0]
        return value

    def _topic(self, name: str) -> TopicRow:
        row = self._topics.get(name)
        if row is None:
            row = self._topics[name] = load_topic(self._conn, name)
        return row

    def _check_partition(self, tp: TopicPartition) -> TopicRow:
        row = self._topic(validate_topic_name(tp.topic))
        if not 0 <= tp.partition < row.spec.partitions:
            raise InvalidPartition(tp.topic, tp.partition, row.spec.partitions)
        return row

    def _assigned(self, tp: TopicPartition) -> _PartitionState:
        state = self._partitions.get(TopicPartition(*tp))
        if state is None:
            raise not_assigned(TopicPartition(*tp))
        return state

    def _targets(
        self, partitions: Sequence[TopicPartition] | None
    ) -> list[tuple[TopicPartition, _PartitionState]]:
        if partitions is None:
            return list(self._partitions.items())
        return [(TopicPartition(*tp), self._assigned(tp)) for tp in partitions]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
