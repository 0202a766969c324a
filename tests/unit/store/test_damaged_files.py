"""The SQLite metadata store on damaged, emptied, deleted and full files: a named error with
the file's path, never a raw driver error, and nothing committed into a file that is gone."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from streammesh.store import StoreUnavailable, default_store_url, open_store
from streammesh.store.errors import StoreCorrupt, StoreDiskFull
from tests.support.tmpfs import small_tmpfs

_NOTES = sa.text("CREATE TABLE IF NOT EXISTS notes (body BLOB)")


def _made(home: Path) -> Path:
    with open_store(default_store_url(home)) as store, store.write("test") as connection:
        connection.execute(_NOTES)
        connection.execute(sa.text("INSERT INTO notes VALUES (x'00')"))
    return home / "meta.db"


def test_an_empty_database_file_is_refused_naming_it(tmp_path: Path) -> None:
    db = _made(tmp_path)
    db.write_bytes(b"")
    with pytest.raises(StoreCorrupt) as caught:
        open_store(default_store_url(tmp_path))
    assert str(db) in str(caught.value)
    assert "empty (0 bytes)" in str(caught.value) and "backup" in str(caught.value)
    assert db.stat().st_size == 0  # not migrated into a new, empty mesh


def test_a_deleted_database_with_its_wal_left_is_refused(tmp_path: Path) -> None:
    db = _made(tmp_path)
    wal = Path(f"{db}-wal")
    wal.write_bytes(b"\x37\x7f\x06\x82" + b"\x00" * 4000)  # what a WAL left behind looks like
    db.unlink()
    with pytest.raises(StoreCorrupt, match="write-ahead log") as caught:
        open_store(default_store_url(tmp_path))
    assert str(wal) in str(caught.value)
    assert not db.exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    db = _made(tmp_path)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 500)
    with pytest.raises(StoreCorrupt, match=r"meta\.db' is damaged"):
        open_store(default_store_url(tmp_path))


def test_a_damaged_page_is_a_named_error_and_stops_later_writes(tmp_path: Path) -> None:
    db = _made(tmp_path)
    conn = sqlite3.connect(db)
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'notes'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with db.open("r+b") as file:
        file.seek((page - 1) * size)
        file.write(b"\xa5" * size)
    with open_store(default_store_url(tmp_path)) as store:
        with pytest.raises(StoreCorrupt) as caught, store.read() as connection:
            connection.execute(sa.text("SELECT count(*) FROM notes")).scalar()
        assert str(db) in str(caught.value)
        assert isinstance(caught.value.__cause__, sa.exc.DatabaseError)
        with pytest.raises(StoreCorrupt), store.write("test") as connection:
            connection.execute(sa.text("SELECT 1"))


def test_a_database_deleted_while_open_commits_nothing(tmp_path: Path) -> None:
    db = _made(tmp_path)
    with open_store(default_store_url(tmp_path)) as store:
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        with pytest.raises(StoreUnavailable, match="deleted"), store.write("t") as connection:
            connection.execute(sa.text("INSERT INTO notes VALUES (x'01')"))
        with pytest.raises(StoreUnavailable, match="deleted"):
            store.check()


def test_a_new_database_is_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        (tmp_path / "mesh").mkdir()
        db = _made(tmp_path / "mesh")
    finally:
        os.umask(previous)
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (needs root, or CAP_SYS_ADMIN): a disk that really fills up."""
    with small_tmpfs(tmp_path / "small", "2m") as mount:
        yield mount


def test_a_full_disk_says_disk_full(small_disk: Path) -> None:
    # Simulated with a real full file system: a 2 MiB tmpfs.
    with open_store(default_store_url(small_disk)) as store:
        with store.write("test") as connection:
            connection.execute(_NOTES)
        with pytest.raises(StoreDiskFull) as caught:
            for _ in range(100):
                with store.write("test") as connection:
                    connection.execute(
                        sa.text("INSERT INTO notes VALUES (:body)"), {"body": os.urandom(100_000)}
                    )
        assert "disk full" in str(caught.value)
        assert "cannot rollback" not in str(caught.value)
