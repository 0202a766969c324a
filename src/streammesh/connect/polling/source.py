"""The polling source: queries that find a table's new and changed rows, as Kafka Connect's
JDBC source builds them, turned into events.

Per mode (``inc``: the incrementing column, ``ts``: the timestamp column, ``end``: the
database's clock minus ``timestamp_delay_interval``):

=========================  ==============================================================
bulk                       ``SELECT * FROM t`` — the whole table, every poll
incrementing               ``WHERE inc > :inc ORDER BY inc``
timestamp                  ``WHERE ts > :ts AND ts < end ORDER BY ts``
timestamp+incrementing     ``WHERE ts < end AND ((ts = :ts AND inc > :inc) OR ts > :ts)
                           ORDER BY ts, inc``
=========================  ==============================================================

The first poll runs the same query without the lower bound: that is the snapshot (the
table's current rows in the mode's order). The position is, per table, the watermark of the
last row read (``{"tables": {"orders": {"timestamp": ..., "incrementing": 41}}}``), so a
restart reads on after it: no gap and no duplicate, except in ``bulk`` (no watermark: the
whole table again) and, in ``timestamp`` mode, Kafka Connect's tie rule (a row written later
with the same timestamp as the last one read is not read).

A query reads at most ``batch_max_rows`` rows; in ``timestamp`` mode a batch is never cut
inside a group of equal timestamps (the position after it would skip the group's rest).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from streammesh.connect.base import ConnectorContext, Position, SourceRecord
from streammesh.connect.columns import (
    Column,
    ColumnConversionError,
    record_schema,
    to_avro_value,
)
from streammesh.connect.polling.config import Config, Mode
from streammesh.connect.polling.databases import Database, open_database, quote, row_as_text
from streammesh.connect.polling.errors import ColumnNotFound

__all__ = ["PollingSource"]

_TRUE = (True, 1, "1", "t", "true", "TRUE", "True", "y", "yes")


@dataclass(slots=True)
class _Table:
    name: str
    product: str
    columns: list[Column]
    watermark: dict[str, Any] | None = None
    by_name: dict[str, Column] = field(default_factory=dict)


class PollingSource:
    """A running ``jdbc-poll`` source (see the module)."""

    def __init__(self, config: Config, context: ConnectorContext) -> None:
        self._config = config
        self._context = context
        self._database: Database | None = None
        self._tables: list[_Table] = []
        self._next_query_at = 0.0

    def start(self, position: Position | None) -> None:
        """Open the database, check the configured columns, resume after ``position``."""
        self.close()
        database = open_database(self._context.name, self._config.url.get_secret_value())
        self._database = database
        saved = dict((position or {}).get("tables", {}))
        tables = []
        for name, product in self._config.tables.items():
            columns = database.columns(name)
            table = _Table(name, product, columns, saved.get(name))
            table.by_name = {column.name: column for column in columns}
            self._check_columns(table)
            tables.append(table)
        self._tables = tables
        self._next_query_at = 0.0

    def _check_columns(self, table: _Table) -> None:
        config = self._config
        named = [(column, "key") for column in config.key]
        if config.incrementing_column:
            named.append((config.incrementing_column, "incrementing_column"))
        if config.timestamp_column:
            named.append((config.timestamp_column, "timestamp_column"))
        if config.soft_delete:
            named.append((config.soft_delete.column, "soft_delete.column"))
        for column, setting in named:
            if column not in table.by_name:
                raise ColumnNotFound(self._context.name, table.name, column, setting)

    def poll(self, timeout: float) -> Sequence[SourceRecord]:
        """The next batch of new or changed rows of every table, once ``poll_interval`` has
        passed since the last query (at once while a table has more rows than a batch)."""
        wait = self._next_query_at - time.monotonic()
        if wait > 0:
            time.sleep(min(max(timeout, 0.0), wait))
            if time.monotonic() < self._next_query_at:
                return []
        records: list[SourceRecord] = []
        more = False
        for table in self._tables:
            rows, table_more = self._fetch(table)
            more = more or table_more
            records.extend(self._records(table, rows))
        interval = 0.0 if more else self._config.poll_interval / 1000
        self._next_query_at = time.monotonic() + interval
        return records

    def _fetch(self, table: _Table) -> tuple[list[dict[str, Any]], bool]:
        """One query's rows, and whether the table may have more right now."""
        database = self._require()
        config = self._config
        mark = database.placeholder
        limit = config.batch_max_rows
        conditions: list[str] = []
        parameters: list[Any] = []
        order: list[str] = [quote(column) for column in config.key]
        inc = quote(config.incrementing_column) if config.incrementing_column else ""
        ts = quote(config.timestamp_column) if config.timestamp_column else ""
        watermark = table.watermark or {}
        if config.mode is Mode.INCREMENTING:
            conditions.append(f"{inc} IS NOT NULL")
            if "incrementing" in watermark:
                conditions.append(f"{inc} > {mark}")
                parameters.append(watermark["incrementing"])
            order = [inc]
        elif config.mode is Mode.TIMESTAMP:
            conditions.append(database.before_now(ts))
            parameters.append(config.timestamp_delay_interval)
            if "timestamp" in watermark:
                conditions.append(f"{ts} > {mark}")
                parameters.append(database.parameter(watermark["timestamp"]))
            order = [ts, *order]
        elif config.mode is Mode.TIMESTAMP_INCREMENTING:
            conditions.append(database.before_now(ts))
            parameters.append(config.timestamp_delay_interval)
            if "timestamp" in watermark:
                conditions.append(f"(({ts} = {mark} AND {inc} > {mark}) OR {ts} > {mark})")
                last = database.parameter(watermark["timestamp"])
                parameters.extend([last, watermark["incrementing"], last])
            order = [ts, inc]
        sql = f"SELECT * FROM {quote(table.name)}"
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        if order:
            sql += " ORDER BY " + ", ".join(order)
        if config.mode is Mode.BULK:
            return database.rows(sql, parameters), False
        rows = database.rows(f"{sql} LIMIT {limit}", parameters)
        if len(rows) < limit:
            return rows, False
        if config.mode is Mode.TIMESTAMP:
            rows = self._whole_tie_groups(table, rows)
        return rows, True

    def _whole_tie_groups(self, table: _Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A full batch without its last group of equal timestamps — or, when the batch is
        one such group, the whole group (the next query starts after its timestamp)."""
        database = self._require()
        column = self._config.timestamp_column
        assert column is not None
        last = rows[-1][column]
        kept = [row for row in rows if row[column] != last]
        if kept:
            return kept
        order = "".join(f", {quote(key)}" for key in self._config.key)
        sql = (
            f"SELECT * FROM {quote(table.name)} WHERE {quote(column)} = {database.placeholder}"
            f" ORDER BY {quote(column)}{order}"
        )
        return database.rows(sql, [last])

    def _records(self, table: _Table, rows: list[dict[str, Any]]) -> list[SourceRecord]:
        config = self._config
        database = self._require()
        records = []
        for row in rows:
            watermark: dict[str, Any] | None = None
            if config.mode is not Mode.BULK:
                watermark = {}
                if config.timestamp_column:
                    watermark["timestamp"] = database.watermark(row[config.timestamp_column])
                if config.incrementing_column and config.mode is not Mode.TIMESTAMP:
                    watermark["incrementing"] = row[config.incrementing_column]
            table.watermark = watermark
            try:
                value = {
                    column.name: to_avro_value(row[column.name], column) for column in table.columns
                }
            except ColumnConversionError as exc:
                self._context.dead_letter(table.name, str(exc), row_as_text(row))
                continue
            key: Any = None
            if len(config.key) == 1:
                key = value[config.key[0]]
            elif config.key:
                key = {name: value[name] for name in config.key}
            records.append(
                SourceRecord(
                    product=table.product,
                    key=key,
                    value=None if self._deleted(row) else value,
                    position=self._position(),
                    timestamp_ms=_millis(value.get(config.timestamp_column or "")),
                    stream=table.name,
                )
            )
        return records

    def _deleted(self, row: Mapping[str, Any]) -> bool:
        soft = self._config.soft_delete
        if soft is None:
            return False
        marker = row[soft.column]
        return marker is not None if soft.when == "not-null" else marker in _TRUE

    def _position(self) -> dict[str, Any]:
        return {"tables": {table.name: table.watermark for table in self._tables}}

    def committed(self, position: Position) -> None:
        """Nothing to release: a polling source holds nothing in the database."""

    def schemas(self) -> Mapping[str, str]:
        """Per product, the record schema of its table's columns (see
        :mod:`streammesh.connect.columns`)."""
        return {
            table.product: json.dumps(record_schema(table.name, table.columns))
            for table in self._tables
        }

    def close(self) -> None:
        """Disconnect; idempotent."""
        if self._database is not None:
            self._database.close()
            self._database = None

    def _require(self) -> Database:
        if self._database is None:
            raise RuntimeError("the polling source is not started")
        return self._database


def _millis(value: Any) -> int | None:
    timestamp = getattr(value, "timestamp", None)
    return int(timestamp() * 1000) if callable(timestamp) else None
