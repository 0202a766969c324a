"""Opening the metadata store: URLs, SQLite settings, migrations, and clear errors."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from streammesh.store import (
    InvalidStoreUrl,
    StoreUnavailable,
    default_store_url,
    open_store,
)
from streammesh.store.migrate import VERSION_TABLE
from tests.support.processes import free_port

TABLES = {
    "identity_tokens",
    "registry_schema_references",
    "registry_schemas",
    "registry_settings",
    "registry_versions",
    VERSION_TABLE,
}


def test_default_url_is_meta_db_in_the_mesh_directory(tmp_path: Path) -> None:
    assert default_store_url(tmp_path) == f"sqlite:///{tmp_path}/meta.db"


def test_sqlite_store_is_created_migrated_and_configured(tmp_path: Path) -> None:
    store = open_store(default_store_url(tmp_path))
    try:
        assert (tmp_path / "meta.db").exists()
        assert store.backend == "sqlite"
        assert set(sa.inspect(store.engine).get_table_names()) >= TABLES
        with store.read() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        store.close()


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    url = default_store_url(tmp_path)
    with open_store(url) as store, store.write("test") as connection:
        connection.execute(
            sa.text("INSERT INTO registry_settings (subject, mode) VALUES ('s', 'READONLY')")
        )
    with open_store(url) as store, store.read() as connection:
        assert (
            connection.execute(sa.text("SELECT mode FROM registry_settings")).scalar() == "READONLY"
        )
        assert connection.execute(sa.text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 1


def test_postgres_store_is_migrated(postgres_url: str) -> None:
    with open_store(postgres_url) as store:
        assert store.backend == "postgresql"
        assert set(sa.inspect(store.engine).get_table_names()) >= TABLES
    with open_store(postgres_url.replace("postgresql+psycopg://", "postgresql://")) as store:
        assert store.backend == "postgresql"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("mysql://u@h/db", "database 'mysql' is not supported"),
        ("postgresql+psycopg2://u@h/db", "driver 'psycopg2' is not supported"),
        ("postgresql+psycopg://u@h", "names no database"),
    ],
)
def test_bad_url_is_refused_with_what_to_use(url: str, message: str) -> None:
    with pytest.raises(InvalidStoreUrl) as caught:
        open_store(url)
    assert message in str(caught.value)
    assert "sqlite:///" in str(caught.value)


def test_unreachable_postgres_is_a_store_error_without_the_password() -> None:
    url = f"postgresql+psycopg://mesh:s3cret@127.0.0.1:{free_port()}/meta"
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url)
    assert "Connection refused" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    assert "***" in str(caught.value)


def test_sqlite_file_in_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="unable to open database file"):
        open_store(f"sqlite:///{tmp_path}/missing/meta.db")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_write_transactions_run_one_at_a_time(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A second writer waits for the first one's commit instead of interleaving with it."""
    url = (
        default_store_url(tmp_path)
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    order: list[str] = []
    with open_store(url) as first, open_store(url) as second:
        entered = threading.Event()

        def hold_the_lock() -> None:
            with first.write("test"):
                order.append("first in")
                entered.set()
                time.sleep(0.3)
                order.append("first out")

        holder = threading.Thread(target=hold_the_lock)
        holder.start()
        assert entered.wait(5)
        with second.write("test"):
            order.append("second in")
        holder.join()
    assert order == ["first in", "first out", "second in"]
