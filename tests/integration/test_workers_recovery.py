"""Background workers recover from outages by themselves: the notifier delivers after its
PostgreSQL was restarted (events read while the database was down are not skipped) and after
its Kafka broker stopped answering for longer than the group's session timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.audit import AuditAction
from streammesh.notify import NotificationService, ScopeKind, start_notifier
from tests.support.postgres import EmbeddedPostgres
from tests.support.tansu import TansuBroker
from tests.unit.notify.servers import (
    TRADES,
    WebhookReceiver,
    open_mesh,
    run_receiver,
    settings_for,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

OUTAGE_S = 10.0
"""Longer than a group join (~3 s) and than the group's session timeout (6 s)."""
DELIVERED_WITHIN_S = 90.0


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
            notifier = start_notifier(mesh, settings_for(None), interval_s=0.2)
            try:
                # Meanwhile the notifier joins its group and reads the event, but cannot
                # record its delivery.
                time.sleep(OUTAGE_S)
                postgres.start_again()
                wait_for(lambda: len(receiver.received) == 1, timeout=DELIVERED_WITHIN_S)

                broker.pause()
                try:
                    time.sleep(OUTAGE_S)
                finally:
                    broker.resume()
                service.declare_incident(TRADES, message="second", actor="ada")
                wait_for(lambda: len(receiver.received) == 2, timeout=DELIVERED_WITHIN_S)
            finally:
                notifier.stop()
        finally:
            mesh.close()
    messages = [hook.json()["notification"]["body"] for hook in receiver.received]
    assert ["first" in messages[0], "second" in messages[1]] == [True, True], messages
