"""``ChangelogStore``: what every state store shares — a write cache in front of a local SQLite
file, a changelog every change goes to, commits with a checkpoint, and restore on open.

The life of a store, as the engine drives it::

    store = KeyValueStore(context, "counts")   # changelog created if missing; restored
    store.put(b"k", b"1")                      # held in the write cache
    store.flush()                              # cache -> changelog (producer.send) + local file
    # the engine makes the changelog records durable with its own commit: producer.flush() and
    # the input offsets (at-least-once), or send_offsets_to_transaction + commit_transaction
    store.commit()                             # local file + checkpoint, in one SQLite commit
    store.abort()                              # or, after an aborted transaction: back to the
                                               # last commit
    store.close()

Because the local file commits only after the engine's commit, and together with the
changelog offset it reflects, a crash at any moment leaves a file that is at most as new as
the last commit; the restore then replays the changelog from that offset. Replaying a
suffix of the changelog over a state that already holds part of it gives the same state
(each record sets or deletes one key), so the checkpoint may lag behind, never lead.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, Self, TypeVar

from streammesh.log import Record, TopicPartition
from streammesh.streams.state.changelog import ensure_changelog
from streammesh.streams.state.context import (
    RestoreProgress,
    StoreContext,
    StoreKind,
    changelog_topic,
    check_name,
    store_path,
)
from streammesh.streams.state.database import StoreFile, StoreIdentity
from streammesh.streams.state.errors import InvalidStoreName, RestoreTimeout, StoreClosed

K = TypeVar("K")

_log = logging.getLogger(__name__)
_RESTORE_BATCH = 5_000
_RESYNC_S = 30.0
"""At most this long between real lookups of a changelog's end at commits (see commit)."""
_FILE_KEYS_MAX = 100_000
"""How many keys a store remembers its local file holds (see ``_file_keys``); past that it
forgets them and asks the file again."""


class ChangelogStore(ABC, Generic[K]):
    """The shared machinery of the key-value, window and session stores (see the module)."""

    kind: ClassVar[StoreKind]
    _DDL: ClassVar[str]
    _TABLE: ClassVar[str]
    _POINT_READS: ClassVar[bool] = False
    """Whether the store answers point reads of absent keys from ``_file_keys``."""

    def __init__(self, context: StoreContext, name: str) -> None:
        check_name("store", name)
        task = context.task
        if not 0 <= task.partition < context.source_partitions:
            raise InvalidStoreName(
                "task",
                str(task),
                f"its partition {task.partition} is outside the source's "
                f"{context.source_partitions} partitions",
            )
        self.name = name
        self._context = context
        self._topic = changelog_topic(context.application, name)
        self._partition = TopicPartition(self._topic, task.partition)
        description = ensure_changelog(context.log, self._topic, context.source_partitions)
        self._delete_retention_ms = description.spec.delete_retention_ms
        path = store_path(context.state_dir, context.application, task, name)
        self._db = StoreFile(
            path, StoreIdentity(self.kind.value, self._topic, task.partition), self._DDL
        )
        self._cache: dict[K, bytes | None] = {}
        # The cached keys per group (see _group_of), so that a range read within one group
        # looks at its own entries instead of the whole cache.
        self._groups: dict[bytes, set[K]] = {}
        # What the last flushes wrote, for point reads that would otherwise go to SQLite (the
        # same keys are usually read again in the next batch); only ever what the file holds.
        self._written: dict[K, bytes | None] = {}
        self._uncommitted = False
        self._closed = False
        # The changelog's end as last looked up (or as the restore left it), and how many
        # records this store sent since: their sum is the end after the engine's commit
        # without asking the log (see commit). None: unknown, look it up.
        self._known_end: int | None = None
        self._known_at = 0.0
        self._sent = 0
        # A superset of the keys the local file holds, or None (unknown): a point read of a
        # key outside it (a group or window not seen yet: most reads of a growing state)
        # needs no SQLite query. Known from an empty file on; a flush adds its puts at
        # once, its deletes leave at the commit (an abort brings them back).
        self._file_keys: set[K] | None = None
        self._deleted: set[K] = set()
        try:
            self.restored = self._restore()
        except BaseException:
            self._db.close()
            raise
        if self._POINT_READS and not self._db.rows(f"SELECT 1 FROM {self._TABLE} LIMIT 1"):
            self._file_keys = set()

    # -- what each kind of store defines --------------------------------------------------------

    @abstractmethod
    def _encode(self, key: K) -> bytes:
        """The changelog key of a store key."""

    @abstractmethod
    def _decode(self, data: bytes) -> K:
        """The store key of a changelog key (``ValueError`` if it is malformed)."""

    @abstractmethod
    def _write_rows(self, puts: list[tuple[K, bytes]], deletes: list[K]) -> None:
        """Write puts and deletes into the local file's open transaction."""

    # -- names ----------------------------------------------------------------------------------

    @property
    def changelog(self) -> TopicPartition:
        """The changelog partition this store writes to and restores from."""
        return self._partition

    @property
    def path(self) -> str:
        """The local SQLite file."""
        return str(self._db.path)

    # -- the write cache ------------------------------------------------------------------------

    def _check_open(self, operation: str) -> None:
        if self._closed:
            raise StoreClosed(self.name, operation)

    def _group_of(self, key: K) -> bytes | None:
        """The group a store key's range reads stay within (a window or session store: the
        record key), or ``None`` where reads do not stay within one."""
        return None

    def _stage(self, key: K, value: bytes | None) -> None:
        """Record a change in the write cache; spill the cache when it is full."""
        if key not in self._cache:
            group = self._group_of(key)
            if group is not None:
                members = self._groups.get(group)
                if members is None:
                    self._groups[group] = {key}
                else:
                    members.add(key)
        self._cache[key] = value
        if len(self._cache) >= self._context.cache_max_entries:
            self.flush()

    def _cached(self, key: K) -> tuple[bool, bytes | None]:
        """Whether ``key``'s value is known without reading the file, and that value."""
        if key in self._cache:
            return True, self._cache[key]
        if key in self._written:
            return True, self._written[key]
        file_keys = self._file_keys
        if file_keys is not None and key not in file_keys:
            return True, None
        return False, None

    def _overlay(
        self,
        rows: Iterable[tuple[K, bytes]],
        selects: Callable[[K], bool],
        order: Callable[[K], Any],
    ) -> list[tuple[K, bytes]]:
        """``rows`` read from the file with the cache's changes among ``selects`` applied, in
        ``order``."""
        changes = {key: value for key, value in self._cache.items() if selects(key)}
        return self._merge(rows, changes, order)

    def _overlay_group(
        self,
        group: bytes,
        rows: Iterable[tuple[K, bytes]],
        selects: Callable[[K], bool],
        order: Callable[[K], Any],
    ) -> list[tuple[K, bytes]]:
        """:meth:`_overlay` for a read within one group: only that group's cached changes are
        looked at."""
        cache = self._cache
        changes = {key: cache[key] for key in self._groups.get(group, ()) if selects(key)}
        return self._merge(rows, changes, order)

    @staticmethod
    def _merge(
        rows: Iterable[tuple[K, bytes]],
        changes: dict[K, bytes | None],
        order: Callable[[K], Any],
    ) -> list[tuple[K, bytes]]:
        if not changes:
            return list(rows)
        merged = {key: value for key, value in rows if key not in changes}
        merged.update({key: value for key, value in changes.items() if value is not None})
        return sorted(merged.items(), key=lambda item: order(item[0]))

    # -- commits --------------------------------------------------------------------------------

    def flush(self) -> None:
        """Send the cached changes to the changelog and write them into the local file's open
        transaction (not committed: see :meth:`commit`)."""
        self._check_open("flush")
        if not self._cache:
            return
        producer = self._context.producer
        topic, partition = self._partition
        puts: list[tuple[K, bytes]] = []
        deletes: list[K] = []
        for key, value in self._cache.items():
            producer.send(topic, value, key=self._encode(key), partition=partition)
            if value is None:
                deletes.append(key)
            else:
                puts.append((key, value))
        self._write_rows(puts, deletes)
        file_keys = self._file_keys
        if file_keys is not None:
            if len(file_keys) + len(puts) > _FILE_KEYS_MAX:
                self._file_keys = None
            else:
                written = [key for key, _value in puts]
                file_keys.update(written)
                self._deleted.difference_update(written)
                self._deleted.update(deletes)
        if len(self._written) + len(self._cache) > self._context.cache_max_entries:
            self._written.clear()
        self._written.update(self._cache)
        self._sent += len(self._cache)
        self._cache.clear()
        self._groups.clear()
        self._uncommitted = True

    def commit(self) -> None:
        """Commit what :meth:`flush` wrote, with the changelog's end offset as checkpoint.

        Call it only after the engine's own commit made the flushed changelog records
        durable (committed, with a transactional producer). Changes made after the last
        :meth:`flush` stay in the cache for the next commit.
        """
        self._check_open("commit")
        if not self._uncommitted:
            return
        end = self._changelog_end()
        self._db.commit(end)
        self._uncommitted = False
        if self._file_keys is not None:
            self._file_keys.difference_update(self._deleted)
        self._deleted.clear()

    def _changelog_end(self) -> int:
        """The changelog's end after the engine's commit of what :meth:`flush` sent.

        This store is the only writer of its changelog partition, and every record it sent
        was made durable by the engine's commit, so the end is the one last looked up plus the
        records sent since — no round trip to the log (on Kafka a lookup costs a consumer and
        a fetch, ~30 ms). Exact on the embedded log. On Kafka a transaction's commit marker
        also takes an offset, so this checkpoint may trail the real end by the markers since
        the last lookup: a restore then reads those few offsets again, which is harmless (see
        the module); it never leads. A real lookup every ``_RESYNC_S`` bounds that.
        """
        now = time.monotonic()
        if self._known_end is None or now - self._known_at >= _RESYNC_S:
            end = self._context.reader.end_offsets([self._partition])[self._partition]
            self._known_at = now
        else:
            end = self._known_end + self._sent
        self._known_end = end
        self._sent = 0
        return end

    def abort(self) -> None:
        """Forget every change since the last commit (after the engine aborted its
        transaction): the store holds the state of its last commit again."""
        self._check_open("abort")
        self._cache.clear()
        self._groups.clear()
        self._written.clear()
        self._db.rollback()
        self._deleted.clear()  # back in the file, and still in _file_keys
        self._uncommitted = False
        # Records sent before the abort may hold offsets (Kafka keeps aborted records; a
        # store without transactions sent them for good): look the end up at the next commit.
        self._known_end = None
        self._sent = 0

    def close(self) -> None:
        """Close the store; what was not committed is forgotten (commit first to keep it)."""
        if self._closed:
            return
        self._closed = True
        self._cache.clear()
        self._groups.clear()
        self._written.clear()
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- restore --------------------------------------------------------------------------------

    def _restore(self) -> RestoreProgress:
        reader = self._context.reader
        tp = self._partition
        reader.assign([tp])
        try:
            reader.seek_to_beginning([tp])
            beginning = reader.position(tp)
            end = reader.end_offsets([tp])[tp]
            start, rebuilt = self._restore_start(beginning, end)
            return self._replay(start, end, rebuilt)
        finally:
            reader.assign([])

    def _restore_start(self, beginning: int, end: int) -> tuple[int, bool]:
        """Where to replay from, and whether the local state had to be dropped first."""
        checkpoint = self._db.checkpoint()
        reason: str | None = None
        if checkpoint is None:
            reason = None if self._db.rebuilt else "no checkpoint"
        elif checkpoint.offset > end:
            reason = f"its checkpoint {checkpoint.offset} is past the changelog's end {end}"
        elif checkpoint.offset < beginning:
            reason = f"its checkpoint {checkpoint.offset} is before the changelog's start"
        elif time.time() * 1000 - checkpoint.written_ms >= self._delete_retention_ms:
            # Tombstones older than delete.retention.ms may be compacted away: a delete
            # after the checkpoint could be missed, so only a full replay is exact.
            reason = "its checkpoint is older than the changelog's delete retention"
        else:
            return checkpoint.offset, False
        if reason is not None:
            _log.info("state store %s: rebuilding from the changelog: %s", self.path, reason)
        self._db.wipe([self._TABLE])
        return beginning, True

    def _replay(self, start: int, end: int, rebuilt: bool) -> RestoreProgress:
        reader = self._context.reader
        tp = self._partition
        listener = self._context.on_restore
        restored = 0

        def progress(done: bool) -> RestoreProgress:
            report = RestoreProgress(
                self.name, tp.topic, tp.partition, start, end, restored, rebuilt, done
            )
            if listener is not None:
                listener(report)
            return report

        progress(False)
        reader.seek(tp, start)
        position = start
        last_progress = time.monotonic()
        while position < end:
            records = reader.poll(timeout=0.2, max_records=_RESTORE_BATCH)
            if records:
                self._apply(records)
                position = reader.position(tp)
                self._db.commit(position)
                restored += len(records)
                last_progress = time.monotonic()
                progress(False)
            else:
                position = reader.position(tp)
                waited = time.monotonic() - last_progress
                if position < end and waited > self._context.restore_timeout_s:
                    raise RestoreTimeout(tp.topic, tp.partition, position, end, waited)
        # Caught up: the file now reflects the changelog as of now, so the checkpoint's age
        # restarts (an idle store is not rebuilt for its age alone).
        self._db.commit(position)
        self._known_end = position
        self._known_at = time.monotonic()
        self._sent = 0
        return progress(True)

    def _apply(self, records: list[Record]) -> None:
        changes: dict[K, bytes | None] = {}
        for record in records:
            if record.key is None:
                continue
            try:
                key = self._decode(record.key)
            except ValueError as exc:
                _log.warning(
                    "state store %s: skipping changelog record at offset %d: %s",
                    self.path,
                    record.offset,
                    exc,
                )
                continue
            changes[key] = record.value
        puts = [(key, value) for key, value in changes.items() if value is not None]
        deletes = [key for key, value in changes.items() if value is None]
        self._write_rows(puts, deletes)
