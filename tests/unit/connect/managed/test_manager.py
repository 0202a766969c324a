"""Connectors recorded by the mesh (``ConnectorManager``) on SQLite and PostgreSQL stores:
create, replace, list, status from heartbeats, pause, resume, restart, delete, audited; the
definition kept as written (``${VAR}`` never substituted) and a password in clear refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streammesh.audit import AuditAction, AuditLog
from streammesh.connect import (
    ConnectorConfigInvalid,
    ConnectorDesired,
    ConnectorExists,
    ConnectorManager,
    ConnectorPlacement,
    DefinitionInvalid,
    SecretInClear,
    UnknownConnector,
)
from streammesh.identity import AccountKind, AccountNotFound, AccountStore
from streammesh.store import MetadataStore, open_store

SECRET = "s3cr3t-pw-9931"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2027, 1, 4, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    url = (
        f"sqlite:///{tmp_path / 'meta.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("migrated_postgres_url")
    )
    with open_store(url) as opened:
        yield opened


def _accounts(store: MetadataStore) -> None:
    AccountStore(store).create("files-sa", AccountKind.USER, actor="admin")


FILES = """\
name: drops
kind: files
principal: files-sa
config:
  folder: /tmp/drops
  product: sales.orders
  format: csv
"""

POLL = """\
name: orders-poll
kind: jdbc-poll
principal: files-sa
config:
  url: ${ORDERS_URL}
  tables: {orders: sales.orders}
  mode: incrementing
  incrementing_column: id
"""


def _manager(store: MetadataStore, clock: Clock) -> ConnectorManager:
    _accounts(store)
    environ = {"ORDERS_URL": f"postgresql://u:{SECRET}@db.example/orders"}
    return ConnectorManager(store, environ=environ, clock=clock)


def test_create_records_the_definition_to_run_and_audits_it(store: MetadataStore) -> None:
    manager = _manager(store, Clock())

    record, created = manager.create(FILES, actor="cli:ada")

    assert created
    assert (record.name, record.kind, record.role, record.principal) == (
        "drops",
        "files",
        "source",
        "files-sa",
    )
    assert record.placement is ConnectorPlacement.SERVER
    assert record.desired is ConnectorDesired.RUNNING and record.generation == 0
    assert manager.names() == ["drops"]
    status = manager.status("drops")
    assert status.state == "UNASSIGNED" and status.instances == ()
    [entry] = AuditLog(store).entries(subject="connector:drops")
    assert entry.action is AuditAction.CONNECTOR_CREATED and entry.actor == "cli:ada"
    with pytest.raises(ConnectorExists, match="Connector drops already exists"):
        manager.create(FILES, actor="cli:ada")


def test_replacing_bumps_the_generation_only_when_the_definition_changed(
    store: MetadataStore,
) -> None:
    manager = _manager(store, Clock())
    manager.create(FILES, actor="ada")
    manager.pause("drops", actor="bob")

    same, created = manager.create(FILES, actor="ada", replace=True)
    assert not created and same.generation == 0
    changed, created = manager.create(
        FILES.replace("format: csv", "format: jsonl"), actor="cy", replace=True
    )

    assert not created and changed.generation == 1
    assert changed.desired is ConnectorDesired.PAUSED  # a new config does not resume it
    assert "format: jsonl" in changed.definition
    actions = [item.action for item in AuditLog(store).entries(subject="connector:drops")]
    assert AuditAction.CONNECTOR_UPDATED in actions


def test_references_are_kept_as_written_and_never_substituted(store: MetadataStore) -> None:
    manager = _manager(store, Clock())

    record, _ = manager.create(POLL, actor="ada")

    assert "${ORDERS_URL}" in record.definition and SECRET not in record.definition
    assert manager.config("orders-poll")["url"] == "${ORDERS_URL}"
    # The worker gets the value resolved where it runs.
    definition = manager.definition(record)
    assert SECRET in definition.config.url.get_secret_value()  # type: ignore[attr-defined]


def test_a_password_in_clear_is_refused_without_echoing_it(store: MetadataStore) -> None:
    manager = _manager(store, Clock())
    clear = POLL.replace("${ORDERS_URL}", f"postgresql://u:{SECRET}@db/orders")

    with pytest.raises(SecretInClear) as caught:
        manager.create(clear, actor="ada")

    assert "config.url" in str(caught.value) and SECRET not in str(caught.value)
    assert manager.names() == []
    # A URL without a password (a SQLite file) may be written as it is.
    manager.create(POLL.replace("${ORDERS_URL}", "sqlite:////tmp/orders.db"), actor="ada")


def test_an_unknown_principal_or_variable_is_refused_and_nothing_recorded(
    store: MetadataStore,
) -> None:
    manager = _manager(store, Clock())

    with pytest.raises(AccountNotFound):
        manager.create(FILES.replace("files-sa", "nobody-sa"), actor="ada")
    with pytest.raises(DefinitionInvalid, match="NOT_SET"):
        manager.create(POLL.replace("ORDERS_URL", "NOT_SET"), actor="ada")
    assert manager.names() == []


def test_heartbeats_pause_resume_restart_and_delete(store: MetadataStore) -> None:
    clock = Clock()
    manager = _manager(store, clock)
    manager.create(FILES, actor="ada")

    def beat(state: str, error: str | None = None) -> int:
        record = manager.heartbeat(
            "drops",
            "host-1-abc",
            host="host",
            pid=1,
            placement=ConnectorPlacement.SERVER,
            state=state,
            interval_s=2.0,
            progress={"records_in": 5, "records_out": 4, "dead_letters": 1},
            error=error,
        )
        return record.generation

    beat("running")
    status = manager.status("drops")
    assert status.state == "RUNNING" and (status.records_in, status.dead_letters) == (5, 1)
    document = status.connect_status()
    assert document["connector"] == {"state": "RUNNING", "worker_id": "host-1-abc"}
    assert document["tasks"] == [{"id": 0, "state": "RUNNING", "worker_id": "host-1-abc"}]
    assert document["type"] == "source"

    beat("failed", "OperationalError: no such table: orders")
    failed = manager.status("drops").connect_status()
    assert failed["connector"]["state"] == "FAILED"
    assert failed["tasks"][0]["trace"] == "OperationalError: no such table: orders"
    assert manager.restart("drops", actor="ada", only_failed=True)
    assert beat("running") == 1
    assert not manager.restart("drops", actor="ada", only_failed=True)  # not failed: nothing

    manager.pause("drops", actor="bob")
    assert manager.status("drops").state == "PAUSED"
    assert manager.connector("drops").paused_by == "bob"
    manager.resume("drops", actor="bob")
    assert manager.status("drops").state == "RUNNING"

    clock.now += timedelta(seconds=7)  # three intervals without a heartbeat: gone
    assert manager.status("drops").state == "UNASSIGNED"

    deleted = manager.delete("drops", actor="cy")
    assert deleted.name == "drops" and manager.names() == []
    with pytest.raises(UnknownConnector, match="Connector drop not found"):
        manager.heartbeat(
            "drop",
            "x",
            host="h",
            pid=1,
            placement=ConnectorPlacement.SERVER,
            state="running",
            interval_s=1,
            progress={},
            error=None,
        )
    actions = [item.action for item in AuditLog(store).entries(subject="connector:drops")]
    assert set(actions) >= {
        AuditAction.CONNECTOR_PAUSED,
        AuditAction.CONNECTOR_RESUMED,
        AuditAction.CONNECTOR_RESTARTED,
        AuditAction.CONNECTOR_DELETED,
    }


def test_a_connect_config_and_a_definition_are_the_same_connector(store: MetadataStore) -> None:
    manager = _manager(store, Clock())
    manager.create(POLL, actor="ada")
    config = manager.config("orders-poll")

    assert config == {
        "connector.class": "jdbc-poll",
        "name": "orders-poll",
        "principal": "files-sa",
        "tasks.max": "1",
        "placement": "server",
        "url": "${ORDERS_URL}",
        "tables": {"orders": "sales.orders"},
        "mode": "incrementing",
        "incrementing_column": "id",
    }
    manager.delete("orders-poll", actor="ada")
    record, created = manager.put_config("orders-poll", config, actor="ada")
    assert created
    assert manager.definition(record).config == manager.parse(POLL, origin="file").config
    assert manager.config("orders-poll") == config

    with pytest.raises(ConnectorConfigInvalid, match=r"tasks\.max"):
        manager.put_config("orders-poll", {**config, "tasks.max": "3"}, actor="ada")
    with pytest.raises(ConnectorConfigInvalid, match=r"connector\.class"):
        manager.put_config("x", {"principal": "files-sa"}, actor="ada")
