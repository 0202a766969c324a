"""Background workers recover from outages by themselves: the notifier delivers after its
PostgreSQL was restarted (events read while the database was down are not skipped) and after
its Kafka broker stopped answering for longer than the group's session timeout.

The mesh's Kafka clients get the tests' short group sessions through ``kafka_overrides`` (the
notifier's own 6 s session makes tansu hold each join ~3 s and needs a pause of over 6 s): the
same expiry and rejoin, in a third of the time."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.audit import AuditAction
from streammesh.log import LogConfig
from streammesh.notify import NotificationService, ScopeKind, start_notifier
from tests.support.postgres import EmbeddedPostgres
from tests.support.tansu import GROUP_SESSION_TIMEOUT_MS, SHORT_GROUP_SESSIONS, TansuBroker
from tests.unit.notify.servers import (
    TRADES,
    WebhookReceiver,
    open_mesh,
    run_receiver,
    settings_for,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SHORT_SESSIONS = LogConfig(kafka_overrides=SHORT_GROUP_SESSIONS)
BROKER_PAUSE_S = 3 * GROUP_SESSION_TIMEOUT_MS / 1000
"""Well over the group's session timeout: the broker drops the member, which must rejoin."""
READ_WITHIN_S = 60.0
"""How long the notifier may take to join its group and read the event (~3 s)."""
DELIVERED_WITHIN_S = 90.0


class _FailedRecording(logging.Handler):
    """Notes the notifier's failed rounds whose traceback shows it was recording an event it
    read (``Notifier._record``): the proof that the event was read while the store was down,
    instead of waiting a fixed time for it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[2] is not None:
            frames = traceback.extract_tb(record.exc_info[2])
            if any(frame.name == "_record" for frame in frames):
                self.seen.set()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    yield from run_receiver(WebhookReceiver())


def test_the_notifier_delivers_after_a_database_restart_and_a_broker_pause(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    # A broker and a database of their own: this test stops them.
    with TansuBroker() as broker, EmbeddedPostgres() as postgres:
        mesh = open_mesh(
            tmp_path / "mesh",
            log_url=f"kafka://{broker.bootstrap}",
            store_url=postgres.create_database(),
            log_config=SHORT_SESSIONS,
        )
        try:
            service = NotificationService(mesh.store, mesh.plane, settings_for(None))
            service.subscribe(
                "ops",
                ScopeKind.MESH,
                webhook_url=receiver.url,
                actor="admin",
                events=[AuditAction.INCIDENT_DECLARED],
            )
            service.declare_incident(TRADES, message="first", actor="ada")  # on the log now
            postgres.shut_down()
            failed = _FailedRecording()
            worker_log = logging.getLogger("streammesh.notify.worker")
            worker_log.addHandler(failed)
            notifier = start_notifier(mesh, settings_for(None), interval_s=0.2)
            try:
                # The notifier joins its group and reads the event, but cannot record its
                # delivery.
                assert failed.seen.wait(READ_WITHIN_S), "the notifier never read the event"
                worker_log.removeHandler(failed)
                postgres.start_again()
                wait_for(lambda: len(receiver.received) == 1, timeout=DELIVERED_WITHIN_S)

                broker.pause()
                try:
                    time.sleep(BROKER_PAUSE_S)
                finally:
                    broker.resume()
                service.declare_incident(TRADES, message="second", actor="ada")
                wait_for(lambda: len(receiver.received) == 2, timeout=DELIVERED_WITHIN_S)
            finally:
                worker_log.removeHandler(failed)
                notifier.stop()
        finally:
            mesh.close()
    messages = [hook.json()["notification"]["body"] for hook in receiver.received]
    assert ["first" in messages[0], "second" in messages[1]] == [True, True], messages
