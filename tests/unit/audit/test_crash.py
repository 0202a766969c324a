"""A relay process killed between the log's acknowledgement and the mark loses nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from streammesh.audit import AuditLog, EventRelay, read_mesh_events
from streammesh.log import open_log
from streammesh.store import MetadataStore

# Commits three changes, then relays them through a producer that kills its own process
# (SIGKILL: no cleanup, no rollback handler) as soon as the log acknowledged the batch.
CRASHING_RELAY = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime
    from streammesh.audit import AuditAction, AuditEntry, AuditLog, EventRelay
    from streammesh.log import open_log
    from streammesh.store import open_store

    store = open_store(sys.argv[1])
    log = open_log(sys.argv[2])
    audit = AuditLog(store)
    for n in range(3):
        with store.write("catalog") as connection:
            entry = AuditEntry(AuditAction.PRODUCT_PUBLISHED, f"d.p{n}.v1", "cli:alice")
            audit.record(connection, entry, at=datetime.now(UTC))

    class DyingProducer:
        def __init__(self, options):
            self.real = log.producer(options)
        def send(self, *args, **kwargs):
            self.real.send(*args, **kwargs)
        def flush(self, timeout=None):
            self.real.flush(timeout)
            os.kill(os.getpid(), signal.SIGKILL)  # after the flush, before the mark

    class DyingLog:
        def __getattr__(self, name):
            return getattr(log, name)
        def producer(self, options=None):
            return DyingProducer(options)

    EventRelay(store, DyingLog()).relay()
    """
)


def test_a_relay_killed_after_appending_is_finished_by_the_next_one(
    tmp_path: Path, store: MetadataStore, audit: AuditLog
) -> None:
    log_url = f"embedded://{tmp_path / 'log'}"
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_RELAY, f"sqlite:///{tmp_path / 'meta.db'}", log_url],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()

    ids = [record.id for record in audit.entries()]
    log = open_log(log_url)
    try:
        assert [event.id for event in read_mesh_events(log)] == ids  # appended, not marked
        with EventRelay(store, log) as relay:
            assert relay.relay() == 3
            assert relay.relay() == 0
        # At least once: the batch is there twice, whole and in order; nothing is missing.
        assert [event.id for event in read_mesh_events(log)] == ids + ids
    finally:
        log.close()
