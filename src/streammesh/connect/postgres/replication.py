"""The replication machinery the PostgreSQL sources share: publication, slot, snapshot, stream.

:class:`ChangeStream` turns a PostgreSQL database into an ordered sequence of
:class:`Change` objects — first the rows of a consistent snapshot, then every committed
insert, update and delete of the chosen tables in commit order — and hands each to the
source's ``convert`` function, which makes zero or more records of it. The stream then gives
every record its **position**, so that a restart resumes exactly after any record:

- ``{"lsn": E}``: the last record of the transaction whose commit ends at ``E``; resuming
  there streams the transactions that commit after it.
- ``{"lsn": P, "txn": F, "skip": i}``: the ``i``-th record (1-based) of the transaction whose
  commit record is at ``F``, not its last; ``P`` is where the transaction before it ended.
  Resuming there streams that transaction again and drops its first ``i`` records, so a batch
  that ended in the middle of a transaction is continued, never repeated.
- ``{"lsn": C, "snapshot": i}``: the ``i``-th snapshot row, not the last; ``{"lsn": C,
  "snapshot": "last"}``: the last one (``C`` is the slot's consistent point). A restart inside
  the snapshot takes a new one: an exported snapshot dies with its session.

A transaction's records are returned only once its Commit arrived (its end position is known
then). The slot is confirmed (``flush_lsn``) only through :meth:`ChangeStream.confirm`, which
the source calls from ``committed``: the server keeps the WAL of every change not yet on the
product.

Snapshot without locks: the slot is created with ``EXPORT_SNAPSHOT``; each table is read in a
REPEATABLE READ transaction that imports that snapshot (``SET TRANSACTION SNAPSHOT``), so it
sees exactly the transactions committed before the slot's consistent point, and the stream
starts at that point. Writers go on meanwhile; nothing is lost or doubled at the boundary.
"""

from __future__ import annotations

import contextlib
import json
import select
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from streammesh.connect.base import Position, SourceRecord
from streammesh.connect.columns import Column
from streammesh.connect.postgres import pgoutput
from streammesh.connect.postgres.errors import (
    ColumnMissing,
    PostgresSourceError,
    ReplicationUnavailable,
    SlotMissing,
    TableNotFound,
)
from streammesh.connect.postgres.inserts import InsertFunction, set_position

__all__ = ["Change", "ChangeStream", "Op", "StreamSettings", "position_order"]

Op = Literal["r", "c", "u", "d"]
"""Debezium's operation letters: read (snapshot), create, update, delete."""

_INSERT = ord("I")
_SESSION_OPTIONS = "-c DateStyle=ISO -c TimeZone=UTC -c extra_float_digits=3"
_STATUS_INTERVAL_S = 10
_SLOT_BUSY_WAIT_S = 15.0


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """What a :class:`ChangeStream` captures and how.

    Attributes:
        connector: The connector's name (for errors).
        dsn: The libpq URL or connection string (a secret: never shown).
        tables: The tables captured, ``schema.table``.
        slot: The replication slot's name.
        publication: The publication's name.
        snapshot: Whether the first start reads the tables' current rows first.
        snapshot_filters: Per table, an SQL condition the snapshot's rows must meet.
        rewind: Restart from the slot's confirmed point rather than the stored position,
            handing the records up to the position to ``already_written`` (the outbox
            removes rows that way after a crash between the product and the removal).
        batch_size: Records at most per poll.
        required_columns: Per table, columns the source needs (checked at start).
        state_dir: The connector's own directory, where a snapshot that gave no record
            notes that it is complete (no position says so then).
    """

    connector: str
    dsn: str
    tables: tuple[str, ...]
    slot: str
    publication: str
    snapshot: bool = True
    snapshot_filters: Mapping[str, str] = field(default_factory=dict)
    rewind: bool = False
    batch_size: int = 2000
    state_dir: Path | None = None
    required_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class Change(NamedTuple):
    """One row change (or snapshot row) of a captured table, values in PostgreSQL's text form
    (a named tuple rather than a dataclass: one is made per row, and tuples are made fast).

    Attributes:
        table: ``schema.table``.
        op: ``r`` snapshot row, ``c`` insert, ``u`` update, ``d`` delete.
        before: The old row as the server sent it (keys only unless REPLICA IDENTITY FULL),
            for updates and deletes; ``None`` otherwise.
        after: The new row, for snapshot rows, inserts and updates.
        columns: The table's columns when the change was made.
        commit_time_ms: The transaction's commit time (``None`` for snapshot rows).
        xid: The transaction id (``None`` for snapshot rows).
        lsn: The commit's LSN (the consistent point for snapshot rows).
        snapshot: ``"true"`` for a snapshot row, ``"last"`` for the last one, else
            ``"false"`` (Debezium's ``source.snapshot``).
    """

    table: str
    op: Op
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    columns: tuple[Column, ...]
    commit_time_ms: int | None
    xid: int | None
    lsn: int
    snapshot: Literal["true", "last", "false"] = "false"


Convert = Callable[[Change], Sequence[SourceRecord]]
AlreadyWritten = Callable[[Sequence[SourceRecord]], None]
FastInserts = Callable[[str, tuple[Column, ...]], InsertFunction | None]
"""A table and its columns (as its Relation message lists them) → the function making the
record of an insert into it straight from the payload (see
:mod:`streammesh.connect.postgres.inserts`), or ``None``: every change takes ``convert``."""


def position_order(position: Position) -> tuple[int, int, int]:
    """A key ordering positions as the records they follow (see the module)."""
    lsn = int(pgoutput.parse_lsn(str(position["lsn"])))
    snapshot = position.get("snapshot")
    if snapshot is not None:
        return (lsn, -1, 1 << 62) if snapshot == "last" else (lsn, -2, int(snapshot))
    if "txn" in position:
        return (pgoutput.parse_lsn(str(position["txn"])), 0, int(position["skip"]))
    # A transaction's end sorts before the records of the next one even when the next one's
    # commit record starts right there (its rows were logged earlier, alongside): (E, 0, 0)
    # < (E, 0, skip >= 1). With (E, 1, 0) a restart at E dropped all but that transaction's
    # last record as already written.
    return (lsn, 0, 0)


@dataclass(slots=True)
class _Transaction:
    begin: pgoutput.Begin
    records: list[SourceRecord] = field(default_factory=list)


class ChangeStream:
    """Publication, slot, snapshot and replication stream of a set of tables (see the
    module); ``convert`` makes the records of each change, ``fast_inserts`` (optional)
    those of inserts straight from their payload where it can."""

    def __init__(
        self,
        settings: StreamSettings,
        convert: Convert,
        already_written: AlreadyWritten | None = None,
        fast_inserts: FastInserts | None = None,
    ) -> None:
        self._settings = settings
        self._convert = convert
        self._already_written = already_written
        self._fast_inserts = fast_inserts
        self._inserts: dict[bytes, InsertFunction] = {}
        """Per relation OID (its four bytes in an Insert message), the insert function."""
        self._sql: Any = None
        self._replication: Any = None
        self._cursor: Any = None
        self._snapshot_connection: Any = None
        self._snapshot_rows: Iterator[Change] | None = None
        self._ready: deque[SourceRecord] = deque()
        self._relations: dict[int, pgoutput.Relation] = {}
        self._names: dict[int, tuple[str, ...]] = {}
        self._captured: dict[int, str] = {}
        self._columns: dict[str, tuple[Column, ...]] = {}
        self._type_names: dict[int, str] = {}
        self._transaction: _Transaction | None = None
        self._resume_lsn = 0
        self._start_lsn = 0
        self._suppress: tuple[int, int, int] | None = None
        self._emitted_end = 0
        self._decoded_end = 0
        self._confirmed = 0
        self._streaming = False
        self._snapshot_count = 0
        self._held: SourceRecord | None = None
        self.database = ""

    # -- set up -------------------------------------------------------------------------

    def start(self, position: Position | None) -> None:
        """Connect, make sure the publication and slot exist, and position the stream
        after ``position`` (``None`` or a position inside the snapshot: snapshot first)."""
        settings = self._settings
        self._sql = self._connect()
        self._check_tables()
        self.database = str(self._query("SELECT current_database()")[0][0])
        self._ensure_publication()
        for table in settings.tables:
            self._columns[table] = self.catalog_columns(table)
            present = {column.name for column in self._columns[table]}
            for column in settings.required_columns.get(table, ()):
                if column not in present:
                    raise ColumnMissing(settings.connector, table, column)
        self._replication = self._connect(replication=True)
        self._cursor = self._replication.cursor()
        slot_exists = self._slot_exists()
        if position is None and slot_exists:
            position = self._empty_snapshot_position()
        complete = position is not None and position.get("snapshot") in (None, "last")
        if position is not None and complete:
            if not slot_exists:
                raise SlotMissing(settings.connector, settings.slot)
            self._suppress = position_order(position)
            lsn = pgoutput.parse_lsn(str(position["lsn"]))
            self._resume_lsn = lsn
            self._start_lsn = 0 if settings.rewind else lsn
            self._start_streaming()
            return
        if settings.snapshot:
            self._forget_empty_snapshot()
            if slot_exists:
                self._drop_slot()
            consistent_point, snapshot_name = self._create_slot(export=True)
            self._resume_lsn = self._start_lsn = consistent_point
            try:
                rows = self._read_snapshot(snapshot_name, consistent_point)
            except psycopg2.Error as exc:
                raise PostgresSourceError(
                    f"connector '{settings.connector}': reading the snapshot: {_reason(exc)}"
                ) from None
            # Wrapped once: the rows are read over several polls.
            self._snapshot_rows = self._guarded(rows)
            return
        if not slot_exists:
            self._create_slot(export=False)
        self._start_streaming()

    def _connect(self, *, replication: bool = False) -> Any:
        factory = psycopg2.extras.LogicalReplicationConnection if replication else None
        try:
            connection = psycopg2.connect(
                self._settings.dsn, options=_SESSION_OPTIONS, connection_factory=factory
            )
        except psycopg2.Error as exc:
            raise ReplicationUnavailable(self._settings.connector, _reason(exc)) from None
        if not replication:
            connection.autocommit = True
        return connection

    def _raw_query(self, statement: Any, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._sql.cursor() as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall()) if cursor.description else []

    def _query(self, statement: Any, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._raw_query(statement, params)
        except psycopg2.Error as exc:
            raise PostgresSourceError(
                f"connector '{self._settings.connector}': {_reason(exc)}"
            ) from None

    def execute(self, statement: Any, params: Sequence[Any] = ()) -> None:
        """Run one statement on the stream's ordinary connection (autocommit)."""
        self._query(statement, params)

    def _check_tables(self) -> None:
        (level,) = self._query("SHOW wal_level")[0]
        if level != "logical":
            raise ReplicationUnavailable(
                self._settings.connector, f"wal_level is '{level}', not 'logical'"
            )
        for table in self._settings.tables:
            if self._query("SELECT to_regclass(%s)", (table,))[0][0] is None:
                raise TableNotFound(self._settings.connector, table)

    def _ensure_publication(self) -> None:
        name = self._settings.publication
        exists = self._query("SELECT 1 FROM pg_publication WHERE pubname = %s", (name,))
        tables = [_table_identifier(table) for table in self._settings.tables]
        if not exists:
            self.execute(
                sql.SQL("CREATE PUBLICATION {} FOR TABLE {} WITH (publish = %s)").format(
                    sql.Identifier(name), sql.SQL(", ").join(tables)
                ),
                ("insert, update, delete",),
            )
            return
        published = {
            f"{schema}.{table}"
            for schema, table in self._query(
                "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = %s",
                (name,),
            )
        }
        for table, identifier in zip(self._settings.tables, tables, strict=True):
            if table not in published:
                self.execute(
                    sql.SQL("ALTER PUBLICATION {} ADD TABLE {}").format(
                        sql.Identifier(name), identifier
                    )
                )

    def _slot_exists(self) -> bool:
        return bool(
            self._query(
                "SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (self._settings.slot,)
            )
        )

    def _drop_slot(self) -> None:
        deadline = time.monotonic() + _SLOT_BUSY_WAIT_S
        while True:
            try:
                self._raw_query("SELECT pg_drop_replication_slot(%s)", (self._settings.slot,))
                return
            except psycopg2.errors.ObjectInUse as exc:
                if time.monotonic() > deadline:
                    raise ReplicationUnavailable(self._settings.connector, _reason(exc)) from None
                time.sleep(0.1)
            except psycopg2.Error as exc:
                raise ReplicationUnavailable(self._settings.connector, _reason(exc)) from None

    def _create_slot(self, *, export: bool) -> tuple[int, str | None]:
        mode = "EXPORT_SNAPSHOT" if export else "NOEXPORT_SNAPSHOT"
        statement = sql.SQL("CREATE_REPLICATION_SLOT {} LOGICAL pgoutput {}").format(
            sql.Identifier(self._settings.slot), sql.SQL(mode)
        )
        try:
            self._cursor.execute(statement)
            _, consistent_point, snapshot_name, _ = self._cursor.fetchone()
        except psycopg2.Error as exc:
            raise ReplicationUnavailable(self._settings.connector, _reason(exc)) from None
        return pgoutput.parse_lsn(consistent_point), snapshot_name

    def catalog_columns(self, table: str) -> tuple[Column, ...]:
        """A table's columns as the catalog has them now (names, types, NOT NULL, key)."""
        rows = self._query(
            """
            SELECT a.attname, t.typname, a.atttypmod, a.attnotnull,
                   coalesce(a.attnum = ANY (i.indkey), false)
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
            WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """,
            (table,),
        )
        return tuple(
            Column.postgres(
                name,
                type_name,
                type_modifier=modifier,
                nullable=not not_null,
                primary_key=bool(key),
            )
            for name, type_name, modifier, not_null, key in rows
        )

    def columns(self, table: str) -> tuple[Column, ...]:
        """The table's columns as the stream last saw them (a Relation message updates
        them when the table changed); none before :meth:`start`."""
        return self._columns.get(table, ())

    # -- snapshot -----------------------------------------------------------------------

    def _read_snapshot(self, snapshot_name: str | None, consistent_point: int) -> Iterator[Change]:
        connection = self._snapshot_connection = self._connect()
        connection.autocommit = False
        connection.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
        )
        cursor = connection.cursor()
        cursor.execute("SET TRANSACTION SNAPSHOT %s", (snapshot_name,))
        counts = []
        for table in self._settings.tables:
            cursor.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
                    _table_identifier(table), self._filter(table)
                )
            )
            counts.append(int(cursor.fetchone()[0]))
        return self._snapshot_changes(connection, counts, consistent_point)

    def _filter(self, table: str) -> sql.Composable:
        condition = self._settings.snapshot_filters.get(table)
        return sql.SQL(condition) if condition else sql.SQL("true")

    def _snapshot_changes(
        self, connection: Any, counts: Sequence[int], consistent_point: int
    ) -> Iterator[Change]:
        remaining = sum(counts)
        for index, table in enumerate(self._settings.tables):
            if not counts[index]:
                continue
            columns = self._columns[table]
            with connection.cursor(name=f"snapshot_{index}") as cursor:
                cursor.itersize = self._settings.batch_size
                cursor.execute(
                    sql.SQL("SELECT {} FROM {} WHERE {}").format(
                        sql.SQL(", ").join(
                            sql.SQL("{}::text").format(sql.Identifier(column.name))
                            for column in columns
                        ),
                        _table_identifier(table),
                        self._filter(table),
                    )
                )
                for row in cursor:
                    remaining -= 1
                    yield Change(
                        table,
                        "r",
                        None,
                        dict(zip((column.name for column in columns), row, strict=True)),
                        columns,
                        None,
                        None,
                        consistent_point,
                        "last" if remaining == 0 else "true",
                    )
        connection.commit()

    def _next_snapshot_batch(self) -> list[SourceRecord]:
        assert self._snapshot_rows is not None
        out: list[SourceRecord] = []
        point = pgoutput.format_lsn(self._start_lsn)
        # One record is held back: the last one is known only at the end, and its position
        # (`"snapshot": "last"`) is what says the snapshot is complete.
        for change in self._snapshot_rows:
            for record in self._convert(change):
                if self._held is not None:
                    self._snapshot_count += 1
                    position = {"lsn": point, "snapshot": self._snapshot_count}
                    out.append(_positioned(self._held, position))
                self._held = record
            if len(out) >= self._settings.batch_size:
                return out
        if self._held is not None:
            out.append(_positioned(self._held, {"lsn": point, "snapshot": "last"}))
            self._held = None
        else:
            self._note_empty_snapshot(point)
        self._snapshot_rows = None
        self._snapshot_connection.close()
        self._snapshot_connection = None
        self._start_streaming()
        return out

    def _guarded(self, rows: Iterator[Change]) -> Iterator[Change]:
        try:
            yield from rows
        except psycopg2.Error as exc:
            raise PostgresSourceError(
                f"connector '{self._settings.connector}': reading the snapshot: {_reason(exc)}"
            ) from None

    def _marker(self) -> Path | None:
        state = self._settings.state_dir
        return None if state is None else state / "postgres-snapshot.json"

    def _note_empty_snapshot(self, point: str) -> None:
        """A snapshot without records has no position to say it is complete: note it, so a
        restart before the first change streams from the slot instead of snapshotting anew."""
        marker = self._marker()
        if marker is None:
            return
        marker.parent.mkdir(parents=True, exist_ok=True)
        temporary = marker.with_suffix(".tmp")
        temporary.write_text(json.dumps({"slot": self._settings.slot, "lsn": point}))
        temporary.replace(marker)

    def _empty_snapshot_position(self) -> Position | None:
        marker = self._marker()
        if marker is None or not marker.exists():
            return None
        noted = json.loads(marker.read_text())
        if noted.get("slot") != self._settings.slot:
            return None
        return {"lsn": noted["lsn"], "snapshot": "last"}

    def _forget_empty_snapshot(self) -> None:
        marker = self._marker()
        if marker is not None:
            marker.unlink(missing_ok=True)

    # -- streaming ----------------------------------------------------------------------

    def _start_streaming(self) -> None:
        # After a crash the server may not have noticed yet that the slot's last reader is
        # gone ("replication slot ... is active for PID"): wait for it a while.
        deadline = time.monotonic() + _SLOT_BUSY_WAIT_S
        while True:
            try:
                self._cursor.start_replication(
                    slot_name=self._settings.slot,
                    decode=False,
                    start_lsn=self._start_lsn,
                    options={
                        "proto_version": "1",
                        "publication_names": self._settings.publication,
                    },
                    status_interval=_STATUS_INTERVAL_S,
                )
                break
            except psycopg2.errors.ObjectInUse as exc:
                if time.monotonic() > deadline:
                    raise ReplicationUnavailable(self._settings.connector, _reason(exc)) from None
                time.sleep(0.1)
            except psycopg2.Error as exc:
                raise ReplicationUnavailable(self._settings.connector, _reason(exc)) from None
        self._streaming = True

    def poll(self, timeout: float) -> list[SourceRecord]:
        """The next records in order: snapshot rows first, then committed transactions,
        at most ``batch_size``, waiting at most ``timeout`` seconds for the first."""
        if self._snapshot_rows is not None:
            return self._next_snapshot_batch()
        deadline = time.monotonic() + timeout
        limit = self._settings.batch_size
        ready, inserts, read = self._ready, self._inserts, self._cursor.read_message
        while len(ready) < limit:
            try:
                message = read()
            except psycopg2.Error as exc:
                raise ReplicationUnavailable(self._settings.connector, _reason(exc)) from None
            if message is not None:
                payload = message.payload
                if payload[0] == _INSERT:
                    # The hot path, inline: an insert into a captured table → its record.
                    transaction = self._transaction
                    fast = inserts.get(payload[1:5])  # the relation OID's bytes
                    if fast is not None and transaction is not None:
                        record = fast(payload, transaction.begin.commit_time_ms)
                        if record is not None:
                            transaction.records.append(record)
                            continue
                    if self._insert(payload):
                        continue
                self._handle(pgoutput.decode(payload))
                continue
            remaining = deadline - time.monotonic()
            if self._ready or remaining <= 0:
                break
            select.select([self._cursor], [], [], min(remaining, 1.0))
        if len(ready) <= limit:
            batch = list(ready)
            ready.clear()
            return batch
        return [ready.popleft() for _ in range(limit)]

    def _insert(self, payload: bytes) -> bool:
        """The common case, an insert into a captured table, without the general decoder;
        ``False`` when it is not that case."""
        transaction = self._transaction
        if transaction is None:
            return False
        oid, values = pgoutput.decode_insert(payload)
        table = self._captured.get(oid)
        if table is None:
            return False
        begin = transaction.begin
        change = Change(
            table,
            "c",
            None,
            dict(zip(self._names[oid], values, strict=True)),
            self._columns[table],
            begin.commit_time_ms,
            begin.xid,
            begin.final_lsn,
        )
        transaction.records.extend(self._convert(change))
        return True

    def _handle(self, message: pgoutput.Message) -> None:
        if isinstance(message, pgoutput.Begin):
            self._transaction = _Transaction(message)
        elif isinstance(message, pgoutput.Relation):
            self._relation(message)
        elif isinstance(message, pgoutput.Insert | pgoutput.Update | pgoutput.Delete):
            self._change(message)
        elif isinstance(message, pgoutput.Commit):
            self._commit(message)

    def _relation(self, relation: pgoutput.Relation) -> None:
        self._relations[relation.oid] = relation
        self._names[relation.oid] = tuple(column.name for column in relation.columns)
        self._inserts.pop(relation.oid.to_bytes(4, "big"), None)
        table = relation.qualified_name
        if table not in self._columns:
            return
        self._captured[relation.oid] = table
        # The message is the truth about names and types at this point of the WAL; NOT NULL
        # and primary keys come from the catalog (not sent), matched by name.
        known = {column.name: column for column in self.catalog_columns(table)}
        columns = []
        for column in relation.columns:
            catalog = known.get(column.name)
            columns.append(
                Column.postgres(
                    column.name,
                    self._type_name(column.type_oid),
                    type_modifier=column.type_modifier,
                    nullable=catalog.nullable if catalog else True,
                    primary_key=catalog.primary_key if catalog else column.key,
                )
            )
        self._columns[table] = tuple(columns)
        if self._fast_inserts is not None:
            fast = self._fast_inserts(table, self._columns[table])
            if fast is not None:
                self._inserts[relation.oid.to_bytes(4, "big")] = fast

    def _type_name(self, oid: int) -> str:
        name = self._type_names.get(oid)
        if name is None:
            rows = self._query("SELECT typname FROM pg_type WHERE oid = %s", (oid,))
            name = self._type_names[oid] = str(rows[0][0]) if rows else "unknown"
        return name

    def _change(self, message: pgoutput.Insert | pgoutput.Update | pgoutput.Delete) -> None:
        transaction = self._transaction
        relation = self._relations.get(message.relation_oid)
        if transaction is None or relation is None:
            return
        table = relation.qualified_name
        if table not in self._columns:
            return
        names = self._names[message.relation_oid]
        before = after = None
        if isinstance(message, pgoutput.Insert):
            op: Op = "c"
            after = _row(names, message.new)
        elif isinstance(message, pgoutput.Update):
            op = "u"
            before = _row(names, message.old) if message.old is not None else None
            after = _row(names, message.new)
            if before is not None:
                # A TOASTed value the update did not touch is not sent in the new row; the old
                # row has it when the table's REPLICA IDENTITY is FULL.
                after = {
                    name: before[name] if value is pgoutput.UNCHANGED_TOAST else value
                    for name, value in after.items()
                }
        else:
            op = "d"
            before = _row(names, message.old)
        begin = transaction.begin
        change = Change(
            table,
            op,
            before,
            after,
            self._columns[table],
            begin.commit_time_ms,
            begin.xid,
            begin.final_lsn,
        )
        transaction.records.extend(self._convert(change))

    def _commit(self, commit: pgoutput.Commit) -> None:
        transaction, self._transaction = self._transaction, None
        self._decoded_end = commit.end_lsn
        if transaction is None:
            return
        positioned = records = transaction.records
        if records:
            previous = pgoutput.format_lsn(self._resume_lsn)
            final = pgoutput.format_lsn(transaction.begin.final_lsn)
            for number in range(1, len(records)):
                set_position(records[number - 1], {"lsn": previous, "txn": final, "skip": number})
            set_position(records[-1], {"lsn": pgoutput.format_lsn(commit.end_lsn)})
        self._resume_lsn = commit.end_lsn
        suppress = self._suppress
        if suppress is not None:
            written = [r for r in positioned if position_order(r.position) <= suppress]
            positioned = positioned[len(written) :]
            if written and self._already_written is not None:
                self._already_written(written)
            if not positioned and (commit.end_lsn, 0, 0) <= suppress:
                return
            self._suppress = None
        if positioned:
            self._emitted_end = commit.end_lsn
            self._ready.extend(positioned)

    def confirm(self, position: Position) -> None:
        """Tell the slot that everything up to ``position`` is on the product, so the
        server may recycle that WAL (and a restart without a position starts there)."""
        if not self._streaming or ("snapshot" in position and position["snapshot"] != "last"):
            return
        lsn = pgoutput.parse_lsn(str(position["lsn"]))
        if "txn" not in position and lsn >= self._emitted_end and not self._ready:
            # Every record read so far is on the product: transactions without records
            # (other tables' changes) may be confirmed too.
            lsn = max(lsn, self._decoded_end)
        if lsn > self._confirmed:
            self._confirmed = lsn
            with contextlib.suppress(psycopg2.Error):  # the next poll reports a lost link
                self._cursor.send_feedback(flush_lsn=lsn, reply=True)

    def close(self) -> None:
        """Close the connections; idempotent."""
        for name in ("_snapshot_connection", "_replication", "_sql"):
            connection = getattr(self, name)
            setattr(self, name, None)
            if connection is not None:
                with contextlib.suppress(psycopg2.Error):
                    connection.close()
        self._cursor = None
        self._streaming = False


def _positioned(record: SourceRecord, position: Position) -> SourceRecord:
    """``record`` with its position: set in place, not copied — the record was just made by
    the stream's ``convert`` and nobody else holds it yet, and copying every record is a
    measurable share of the source's cost."""
    set_position(record, position)
    return record


def _row(names: Sequence[str], values: pgoutput.TupleValues) -> dict[str, Any]:
    return dict(zip(names, values, strict=True))


def _table_identifier(table: str) -> sql.Composable:
    schema, _, name = table.rpartition(".")
    return sql.Identifier(schema or "public", name)


def _reason(exc: psycopg2.Error) -> str:
    """The server's message without the connection string (it may hold a password)."""
    text = (getattr(exc, "pgerror", None) or str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__
