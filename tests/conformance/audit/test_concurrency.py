"""Relays and writers running at once, on every pairing of store and log backend."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from streammesh.audit import AuditLog, AuditRecord, EventRelay
from streammesh.store import MetadataStore
from tests.conformance.audit.conftest import T0, entry

RelayFactory = Callable[..., EventRelay]


def test_concurrent_writers_and_relays_put_every_row_once_in_commit_order(
    store: MetadataStore,
    audit: AuditLog,
    make_relay: RelayFactory,
    read_topic: Callable[[], list[AuditRecord]],
) -> None:
    relays = [make_relay(batch_size=7), make_relay(batch_size=7)]
    writers_done = threading.Event()
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for i in range(15):
                with store.write(f"writer-{writer}") as connection:
                    audit.record(connection, entry(f"p{writer}.v1", sequence=i), at=T0)
                    # One writer commits slowly, so (without the commit-order lock) a later id
                    # of the other writer could commit, and be relayed, before it.
                    time.sleep(0.01 * (1 - writer))
        except BaseException as exc:
            failures.append(exc)

    def relay(relay: EventRelay) -> None:
        try:
            while not writers_done.is_set():
                relay.relay()
            relay.relay()
        except BaseException as exc:
            failures.append(exc)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    relayers = [threading.Thread(target=relay, args=(r,)) for r in relays]
    for thread in writers + relayers:
        thread.start()
    for thread in writers:
        thread.join(60)
    writers_done.set()
    for thread in relayers:
        thread.join(60)

    assert failures == []
    ids = [event.id for event in read_topic()]
    assert len(ids) == 30
    assert ids == sorted(set(ids))  # once each, ascending: ids follow commit order
    assert ids == [record.id for record in audit.entries()]
