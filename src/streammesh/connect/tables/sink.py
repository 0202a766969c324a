"""``TableSink``: products landed in PostgreSQL or SQLite tables, exactly once.

A product's table is created from its schema when missing; a later schema that adds a field
(optional, or with a default) adds a nullable column, one that changes a column's type or
adds a required field stops the sink with :class:`IncompatibleTableChange`. A state product
(one with a key) is upserted by key and a tombstone deletes its row; other products are
appended to.

Exactly once: the rows of a batch and the offsets after it are written in ONE transaction
(table ``streammesh_sink_offsets``: connector, topic, partition, next_offset), which
:meth:`TableSink.open` reads back; records the worker replays from before them are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from streammesh.connect.base import ConnectorContext, SinkRecord
from streammesh.connect.tables.columns import Column, columns_of
from streammesh.connect.tables.config import Config, Mode, ProductTable
from streammesh.connect.tables.database import Adapt, Database, connect, quote
from streammesh.connect.tables.errors import IncompatibleTableChange, KeyMissing, RowRefused

OFFSETS_TABLE = "streammesh_sink_offsets"
"""Where the sink keeps, per connector and topic partition, the next offset to read."""

Partition = tuple[str, int]
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")
_VERSION = re.compile(r"\.v\d+$")


@dataclass(frozen=True, slots=True, eq=False)
class _Target:
    """One product's table as one schema version writes to it."""

    table: str
    upsert: bool
    key: str | None
    columns: tuple[tuple[str, Adapt | None], ...]
    key_adapter: Adapt | None
    write_sql: str
    delete_sql: str

    def row(self, value: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            value.get(name) if adapt is None else adapt(value.get(name))
            for name, adapt in self.columns
        )

    def key_of(self, record: SinkRecord) -> Any:
        key = record.key
        if isinstance(key, Mapping):
            key = key.get(self.key)
        if key is None and record.value is not None and self.key is not None:
            key = record.value.get(self.key)
        return key if self.key_adapter is None else self.key_adapter(key)


class TableSink:
    """A :class:`~streammesh.connect.base.SinkTask` writing database tables (see the module).

    Args:
        config: The connector's settings.
        context: The worker's context (its name keys the stored offsets).
        opener: Opens the database from the URL (tests may wrap it).
    """

    def __init__(
        self,
        config: Config,
        context: ConnectorContext,
        opener: Callable[[str, str], Database] = connect,
    ) -> None:
        self._config = config
        self._name = context.name
        self._dead_letter = context.dead_letter
        self._opener = opener
        self._db: Database | None = None
        self._targets: dict[tuple[str, int], _Target] = {}
        self._buffer: list[tuple[_Target, SinkRecord]] = []
        self._pending: dict[Partition, int] = {}
        self._next: dict[Partition, int] = {}
        self._durable: dict[Partition, int] = {}

    def open(self) -> Mapping[Partition, int]:
        """Connect, create the offsets table if missing, read this connector's offsets."""
        self.close()
        db = self._db = self._opener(self._config.url.get_secret_value(), self._name)
        with db.transaction():
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {OFFSETS_TABLE} (connector TEXT NOT NULL, "
                'topic TEXT NOT NULL, "partition" INTEGER NOT NULL, next_offset BIGINT NOT '
                'NULL, PRIMARY KEY (connector, topic, "partition"))'
            )
            rows = db.execute(
                f'SELECT topic, "partition", next_offset FROM {OFFSETS_TABLE} '
                f"WHERE connector = {db.placeholder}",
                [self._name],
            )
        found = {(str(topic), int(number)): int(offset) for topic, number, offset in rows}
        self._next, self._durable = dict(found), dict(found)
        self._targets.clear()
        self._buffer.clear()
        self._pending.clear()
        return found

    def put(self, records: Sequence[SinkRecord]) -> None:
        """Buffer records, writing a transaction each ``batch_size``; records already
        written (replayed after a restart) are skipped."""
        next_offsets = self._next
        for record in records:
            partition = (record.topic, record.partition)
            if record.offset < next_offsets.get(partition, 0):
                continue
            target = self._targets.get((record.product, record.schema_id))
            if target is None:
                target = self._prepare(record)  # may stop the sink: the offset stays unread
            next_offsets[partition] = self._pending[partition] = record.offset + 1
            self._buffer.append((target, record))
            if len(self._buffer) >= self._config.batch_size:
                self._write()

    def flush(self) -> Mapping[Partition, int]:
        """Write what is buffered with its offsets in one transaction."""
        self._write()
        return dict(self._durable)

    def close(self) -> None:
        """Write what is buffered and disconnect."""
        if self._db is not None:
            try:
                self._write()
            finally:
                self._db.close()
                self._db = None

    @property
    def _database(self) -> Database:
        assert self._db is not None, "open() the sink first"
        return self._db

    def _write(self) -> None:
        if not self._pending:
            return
        operations = self._operations()
        try:
            self._commit(operations, row_by_row=False)
        except RowRefused:
            # Find the rows the database refuses, one savepoint each; the others land.
            self._commit(operations, row_by_row=True)
        self._durable.update(self._pending)
        self._pending.clear()
        self._buffer.clear()

    def _operations(self) -> list[tuple[str, tuple[Any, ...], SinkRecord]]:
        """The statements of the buffered records: per key only the last event counts, so
        a batch holds at most one write per key."""
        latest: dict[tuple[str, Any], tuple[_Target, SinkRecord]] = {}
        operations: list[tuple[str, tuple[Any, ...], SinkRecord]] = []
        for target, record in self._buffer:
            if target.upsert:
                latest[(target.table, target.key_of(record))] = (target, record)
            elif record.value is not None:
                self._add(operations, target.write_sql, target.row, record)
        for (_, key), (target, record) in latest.items():
            if record.value is None:
                operations.append((target.delete_sql, (key,), record))
            else:
                self._add(operations, target.write_sql, target.row, record)
        return operations

    def _add(
        self,
        operations: list[tuple[str, tuple[Any, ...], SinkRecord]],
        sql: str,
        row: Callable[[Mapping[str, Any]], tuple[Any, ...]],
        record: SinkRecord,
    ) -> None:
        assert record.value is not None
        try:
            operations.append((sql, row(record.value), record))
        except (TypeError, ValueError, AttributeError) as exc:
            self._refused(record, f"a value does not convert to its column: {exc}")

    def _commit(
        self, operations: list[tuple[str, tuple[Any, ...], SinkRecord]], *, row_by_row: bool
    ) -> None:
        """The statements and the offsets after them, in one transaction."""
        db = self._database
        placeholder = db.placeholder
        with db.transaction():
            if row_by_row:
                for sql, params, record in operations:
                    try:
                        with db.savepoint():
                            db.execute(sql, params)
                    except RowRefused as exc:
                        self._refused(record, exc.reason)
            else:
                grouped: dict[str, list[tuple[Any, ...]]] = {}
                for sql, params, _ in operations:
                    grouped.setdefault(sql, []).append(params)
                for sql, rows in grouped.items():
                    db.executemany(sql, rows)
            db.executemany(
                f'INSERT INTO {OFFSETS_TABLE} (connector, topic, "partition", next_offset) '
                f"VALUES ({placeholder}, {placeholder}, {placeholder}, {placeholder}) "
                f'ON CONFLICT (connector, topic, "partition") '
                "DO UPDATE SET next_offset = excluded.next_offset",
                [
                    (self._name, topic, number, offset)
                    for (topic, number), offset in self._pending.items()
                ],
            )

    def _refused(self, record: SinkRecord, reason: str) -> None:
        self._dead_letter(
            record.product,
            f"{record.topic}[{record.partition}] offset {record.offset} cannot be written "
            f"to its table: {reason}",
            {"topic": record.topic, "partition": record.partition, "offset": record.offset},
        )

    def _settings(self, product: str) -> ProductTable:
        products = self._config.products
        return products.get(product) or products.get(_VERSION.sub("", product)) or ProductTable()

    def _prepare(self, record: SinkRecord) -> _Target:
        """The target of a schema version seen for the first time: its table created or
        evolved (in a transaction of its own), its statements built."""
        db = self._database
        settings = self._settings(record.product)
        table = settings.table or _NOT_NAME.sub("_", record.product)
        mode = settings.mode or self._config.mode
        upsert = mode is Mode.UPSERT or (mode is Mode.AUTO and settings.key is not None)
        if upsert and settings.key is None:
            raise KeyMissing(record.product)
        columns = columns_of(record.schema, subject=f"{record.product} schema {record.schema_id}")
        key_column = next((column for column in columns if column.name == settings.key), None)
        if upsert and key_column is None:
            raise IncompatibleTableChange(
                table, str(settings.key), "the product's key field is not in its schema"
            )
        with db.transaction():
            self._evolve(db, table, columns, settings.key if upsert else None)
        names = ", ".join(quote(column.name) for column in columns)
        marks = ", ".join(db.placeholder for _ in columns)
        write_sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"
        delete_sql = ""
        if upsert:
            assert settings.key is not None
            updates = ", ".join(
                f"{quote(column.name)} = excluded.{quote(column.name)}"
                for column in columns
                if column.name != settings.key
            )
            action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            write_sql += f" ON CONFLICT ({quote(settings.key)}) {action}"
            delete_sql = (
                f"DELETE FROM {quote(table)} WHERE {quote(settings.key)} = {db.placeholder}"
            )
        target = _Target(
            table=table,
            upsert=upsert,
            key=settings.key,
            columns=tuple((column.name, db.adapter(column)) for column in columns),
            key_adapter=db.adapter(key_column) if key_column is not None else None,
            write_sql=write_sql,
            delete_sql=delete_sql,
        )
        self._targets[(record.product, record.schema_id)] = target
        return target

    @staticmethod
    def _evolve(db: Database, table: str, columns: Sequence[Column], key: str | None) -> None:
        existing = db.columns(table)
        if existing is None:
            parts = [
                f"{quote(column.name)} {db.column_type(column)}"
                + (" NOT NULL PRIMARY KEY" if column.name == key else "")
                for column in columns
            ]
            db.execute(f"CREATE TABLE {quote(table)} ({', '.join(parts)})")
            return
        for column in columns:
            wanted = db.column_type(column)
            found = existing.get(column.name)
            if found is None:
                if not (column.nullable or column.has_default):
                    raise IncompatibleTableChange(
                        table,
                        column.name,
                        "a new field that is required (not nullable, no default) cannot be "
                        "added to the rows already there",
                    )
                db.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column.name)} {wanted}")
            elif found.lower() != wanted.lower():
                widening = db.widening(table, column.name, found, wanted)
                if widening is not None:
                    db.execute(widening)
                    continue
                raise IncompatibleTableChange(
                    table, column.name, f"the column is {found} but the schema now needs {wanted}"
                )
