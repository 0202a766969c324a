"""The embedded log on damaged, emptied, deleted and full files: a named error, never a raw
``sqlite3`` one, never an empty start over lost data, and nothing acknowledged that is not
durable."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.log.base import ConsumerOptions, TopicPartition, TopicSpec
from streammesh.log.embedded.log import EmbeddedLog
from streammesh.log.errors import DeliveryFailed, LogCorrupt, LogDiskFull, LogUnavailable
from tests.support.tmpfs import small_tmpfs

TOPIC = "orders"


def _log(directory: Path) -> EmbeddedLog:
    return EmbeddedLog(directory, clean_interval_s=None)


def _filled(directory: Path, records: int = 20) -> None:
    log = _log(directory)
    try:
        log.create_topic(TopicSpec(name=TOPIC, partitions=1))
        with log.producer() as producer:
            for i in range(records):
                producer.send(TOPIC, f"event-{i}".encode() * 200)
    finally:
        log.close()


def _read_all(log: EmbeddedLog) -> int:
    consumer = log.consumer(ConsumerOptions())
    try:
        consumer.assign([TopicPartition(TOPIC, 0)])
        consumer.seek_to_beginning()
        total = 0
        while batch := consumer.poll(timeout=0.2):
            total += len(batch)
        return total
    finally:
        consumer.close()


def _damage_table(db: Path, table: str) -> None:
    """Overwrite the root page of ``table`` with garbage, as a bad sector or a stray write
    would."""
    conn = sqlite3.connect(db)
    try:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        page = root.fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    with db.open("r+b") as file:
        file.seek((page - 1) * page_size)
        file.write(b"\xa5" * page_size)


def test_an_empty_log_file_is_refused_not_started_afresh(tmp_path: Path) -> None:
    directory = tmp_path / "log"
    _filled(directory)
    (directory / "log.db").write_bytes(b"")  # truncated to 0 bytes
    with pytest.raises(LogCorrupt) as caught:
        _log(directory)
    message = str(caught.value)
    assert str(directory / "log.db") in message
    assert "empty (0 bytes)" in message and "restore" in message
    assert (directory / "log.db").stat().st_size == 0  # nothing was written over it


def test_a_new_log_directory_still_starts_empty(tmp_path: Path) -> None:
    log = _log(tmp_path / "fresh")
    try:
        assert log.list_topics() == []
    finally:
        log.close()
    assert (tmp_path / "fresh" / "log.db").stat().st_size > 0


def test_a_damaged_page_is_a_named_error_and_later_writes_are_refused(tmp_path: Path) -> None:
    directory = tmp_path / "log"
    _filled(directory)
    _damage_table(directory / "log.db", "batches")
    log = _log(directory)
    try:
        producer = log.producer()  # opened before anyone read the damaged page
        with pytest.raises(LogCorrupt) as caught:
            _read_all(log)
        assert str(directory / "log.db") in str(caught.value)
        assert "damaged" in str(caught.value)
        assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)

        producer.send(TOPIC, b"after the damage")
        with pytest.raises(DeliveryFailed, match="damaged"):
            producer.flush()
        producer.close()
        with pytest.raises(LogCorrupt):
            log.producer()  # a new producer is refused at once
        with pytest.raises(LogCorrupt):
            log.check()
    finally:
        log.close()


def test_a_log_deleted_under_a_producer_acknowledges_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "log"
    _filled(directory)
    log = _log(directory)
    try:
        producer = log.producer()
        producer.send(TOPIC, b"before")
        producer.flush()
        shutil.rmtree(directory)
        producer.send(TOPIC, b"into the void")
        with pytest.raises(DeliveryFailed, match="deleted"):
            producer.flush()
        with pytest.raises(LogUnavailable, match="deleted"):
            log.check()
        producer.close()
    finally:
        log.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs (needs root, or CAP_SYS_ADMIN): a disk that really fills up."""
    with small_tmpfs(tmp_path / "small", "4m") as mount:
        yield mount


def test_a_full_disk_says_disk_full_and_keeps_what_was_acknowledged(small_disk: Path) -> None:
    # Simulated with a real full file system: a 4 MiB tmpfs.
    log = _log(small_disk / "log")
    acknowledged = 0
    try:
        log.create_topic(TopicSpec(name=TOPIC, partitions=1))
        producer = log.producer()
        with pytest.raises(DeliveryFailed) as caught:
            for _ in range(200):
                for _ in range(4):
                    producer.send(TOPIC, os.urandom(8_000))
                producer.flush()
                acknowledged += 4
        producer.close()
        message = str(caught.value)
        assert "disk full" in message
        assert "cannot rollback" not in message
        assert isinstance(caught.value.__cause__, LogDiskFull)
        assert acknowledged > 0
        # Every acknowledged record is there; of the failed flush's four, those the background
        # writer committed before the disk filled may be too (they were never acknowledged).
        assert acknowledged <= _read_all(log) <= acknowledged + 4
    finally:
        log.close()
