"""The table sink's guarantees on a SQLite file: rows and offsets commit together or not at
all, a bad URL or configuration is a clear error that never repeats the URL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from streammesh.connect.base import ConnectorContext, SinkRecord
from streammesh.connect.tables import OFFSETS_TABLE, Config, TableSink, create
from streammesh.connect.tables.database import Database, connect
from streammesh.connect.tables.errors import KeyMissing, UnsupportedDatabaseUrl

SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "V",
        "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "long"}],
    }
)


class _Crash(Exception):
    """Stands for the process dying between the rows and the offsets."""


class _CrashBeforeOffsets:
    """The real SQLite database, except that writing the offsets fails."""

    def __init__(self, inner: Database) -> None:
        self._inner = inner
        self.placeholder = inner.placeholder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if OFFSETS_TABLE in sql:
            raise _Crash
        self._inner.executemany(sql, rows)


def _dead_letter(stream: str, reason: str, raw: Mapping[str, Any]) -> None:
    raise AssertionError(reason)


def _context() -> ConnectorContext:
    return ConnectorContext("views-db", Path("/nonexistent"), _dead_letter)


def _record(offset: int) -> SinkRecord:
    return SinkRecord(
        "web.views.v1",
        "web.views.v1",
        0,
        offset,
        None,
        {"id": f"v{offset}", "n": offset},
        0,
        1,
        SCHEMA,
    )


def test_rows_are_not_kept_when_their_offsets_are_not_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sink.db'}"
    crashing = TableSink(
        Config.model_validate({"url": url}),
        _context(),
        opener=lambda url, name: _CrashBeforeOffsets(connect(url, name)),  # type: ignore[arg-type, return-value]
    )
    crashing.open()
    crashing.put([_record(0), _record(1)])
    with pytest.raises(_Crash):
        crashing.flush()

    with sqlite3.connect(tmp_path / "sink.db") as connection:
        assert connection.execute("SELECT count(*) FROM web_views_v1").fetchall() == [(0,)]
    sink = create(Config.model_validate({"url": url}), _context())
    assert sink.open() == {}
    sink.put([_record(0), _record(1)])
    assert sink.flush() == {("web.views.v1", 0): 2}


def test_an_unknown_url_scheme_is_named_without_the_url() -> None:
    sink = TableSink(Config.model_validate({"url": "mysql://root:hunter2@db/shop"}), _context())
    with pytest.raises(UnsupportedDatabaseUrl, match="'mysql'") as caught:
        sink.open()
    assert "hunter2" not in str(caught.value)


def test_the_config_hides_the_url_and_checks_upsert_has_a_key() -> None:
    config = Config.model_validate({"url": "postgresql://u:hunter2@db/shop"})
    assert "hunter2" not in repr(config) and "hunter2" not in str(config.model_dump())
    with pytest.raises(
        ValidationError, match=r"products.shop.customers: mode 'upsert' needs 'key'"
    ):
        Config.model_validate(
            {"url": "sqlite:///x", "products": {"shop.customers": {"mode": "upsert"}}}
        )
    with pytest.raises(ValidationError, match="not a table name"):
        Config.model_validate({"url": "sqlite:///x", "products": {"a": {"table": "x; drop"}}})


def test_upsert_mode_for_a_product_without_a_key_is_a_clear_error(tmp_path: Path) -> None:
    sink = TableSink(
        Config.model_validate({"url": f"sqlite:///{tmp_path / 'x.db'}", "mode": "upsert"}),
        _context(),
    )
    sink.open()
    with pytest.raises(KeyMissing, match=r"products.web.views.v1.key"):
        sink.put([_record(0)])
