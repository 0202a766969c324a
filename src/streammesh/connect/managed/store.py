"""``ConnectorStore``: connectors and their instances in the metadata store (SQLite or
PostgreSQL).

Every change people make (create, update, pause, resume, restart, delete) is written with its
audit entry in one transaction holding the store lock :data:`CONNECTORS_LOCK`, so two callers
never interleave a check and a change. Heartbeats are the workers' bookkeeping: not audited.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.connect.managed.errors import ConnectorExists, UnknownConnector
from streammesh.connect.managed.records import (
    Connector,
    ConnectorInstance,
    Desired,
    Placement,
)
from streammesh.connect.managed.tables import connectors, instances
from streammesh.store import MetadataStore

__all__ = ["CONNECTORS_LOCK", "ConnectorStore"]

CONNECTORS_LOCK = "connect-connectors"
"""The store lock of every write to the connector tables."""


class ConnectorStore:
    """The connectors of one mesh's store (see the module)."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store
        self._audit = AuditLog(store)

    # -- reading ---------------------------------------------------------------------------

    def connectors(self) -> list[Connector]:
        """Every connector, by name."""
        with self._store.read() as connection:
            rows = connection.execute(sa.select(connectors).order_by(connectors.c.name))
            return [_connector(row) for row in rows.mappings()]

    def connector(self, name: str) -> Connector:
        """The connector ``name``.

        Raises:
            UnknownConnector: there is none (the nearest name is suggested).
        """
        with self._store.read() as connection:
            return _get(connection, name)

    def find(self, name: str) -> Connector | None:
        """The connector ``name``, or ``None``."""
        with self._store.read() as connection:
            row = _row(connection, name)
            return None if row is None else _connector(row)

    def instances(self, name: str | None = None) -> list[ConnectorInstance]:
        """The instances that heartbeat for ``name`` (every connector's: ``None``), alive or
        not, by connector and instance."""
        query = sa.select(instances).order_by(instances.c.connector, instances.c.instance)
        if name is not None:
            query = query.where(instances.c.connector == name)
        with self._store.read() as connection:
            return [_instance(row) for row in connection.execute(query).mappings()]

    # -- changes ---------------------------------------------------------------------------

    def save(
        self,
        name: str,
        *,
        kind: str,
        role: str,
        principal: str,
        definition: str,
        placement: Placement,
        actor: str,
        at: datetime,
        create_only: bool = False,
    ) -> tuple[Connector, bool]:
        """Record ``name`` or replace its definition; the record and whether it was created.

        A new connector should run; a replaced one keeps its desired state, and its
        generation is bumped when its definition, principal or placement changed (its
        workers start over with the new one). Saving the same again changes nothing.

        Raises:
            ConnectorExists: ``create_only`` and ``name`` is recorded.
        """
        with self._store.write(CONNECTORS_LOCK) as connection:
            row = _row(connection, name)
            before = None if row is None else _connector(row)
            if before is not None and create_only:
                raise ConnectorExists(name)
            if before is None:
                connection.execute(
                    connectors.insert().values(
                        name=name,
                        kind=kind,
                        role=role,
                        principal=principal,
                        definition=definition,
                        placement=placement.value,
                        desired=Desired.RUNNING.value,
                        generation=0,
                        created_by=actor,
                        created_at=at,
                        updated_at=at,
                        paused_by=None,
                    )
                )
                action = AuditAction.CONNECTOR_CREATED
            else:
                same = (before.kind, before.principal, before.definition, before.placement) == (
                    kind,
                    principal,
                    definition,
                    placement,
                )
                if same:
                    return before, False
                connection.execute(
                    connectors.update()
                    .where(connectors.c.name == name)
                    .values(
                        kind=kind,
                        role=role,
                        principal=principal,
                        definition=definition,
                        placement=placement.value,
                        generation=before.generation + 1,
                        updated_at=at,
                    )
                )
                action = AuditAction.CONNECTOR_UPDATED
            after = _get(connection, name)
            self._audit.record(
                connection,
                AuditEntry(
                    action,
                    _subject(name),
                    actor,
                    before=None if before is None else _audited(before),
                    after=_audited(after),
                ),
                at=at,
            )
            return after, before is None

    def set_desired(self, name: str, desired: Desired, *, actor: str, at: datetime) -> Connector:
        """Ask ``name`` to run or to pause; already so, nothing changes (nor is audited).

        Raises:
            UnknownConnector: there is none.
        """
        with self._store.write(CONNECTORS_LOCK) as connection:
            before = _get(connection, name)
            if before.desired is desired:
                return before
            paused_by = actor if desired is Desired.PAUSED else None
            connection.execute(
                connectors.update()
                .where(connectors.c.name == name)
                .values(desired=desired.value, paused_by=paused_by, updated_at=at)
            )
            after = _get(connection, name)
            action = (
                AuditAction.CONNECTOR_PAUSED
                if desired is Desired.PAUSED
                else AuditAction.CONNECTOR_RESUMED
            )
            self._audit.record(
                connection,
                AuditEntry(
                    action, _subject(name), actor, before=_audited(before), after=_audited(after)
                ),
                at=at,
            )
            return after

    def restart(self, name: str, *, actor: str, at: datetime, note: str) -> Connector:
        """Bump ``name``'s generation: its workers close and start again.

        Raises:
            UnknownConnector: there is none.
        """
        with self._store.write(CONNECTORS_LOCK) as connection:
            before = _get(connection, name)
            connection.execute(
                connectors.update()
                .where(connectors.c.name == name)
                .values(generation=before.generation + 1, updated_at=at)
            )
            after = _get(connection, name)
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.CONNECTOR_RESTARTED,
                    _subject(name),
                    actor,
                    before=_audited(before),
                    after=_audited(after),
                    note=note,
                ),
                at=at,
            )
            return after

    def delete(self, name: str, *, actor: str, at: datetime) -> Connector:
        """Remove ``name`` and its instances' rows; the record it had. Its workers stop at
        their next heartbeat.

        Raises:
            UnknownConnector: there is none.
        """
        with self._store.write(CONNECTORS_LOCK) as connection:
            before = _get(connection, name)
            connection.execute(instances.delete().where(instances.c.connector == name))
            connection.execute(connectors.delete().where(connectors.c.name == name))
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.CONNECTOR_DELETED,
                    _subject(name),
                    actor,
                    before=_audited(before),
                    note="its products, offsets topic and dead-letter topic are kept",
                ),
                at=at,
            )
            return before

    def heartbeat(
        self,
        name: str,
        instance: str,
        *,
        host: str,
        pid: int,
        placement: Placement,
        state: str,
        interval_s: float,
        progress: Mapping[str, Any],
        error: str | None,
        at: datetime,
    ) -> Connector:
        """Record that ``instance`` of ``name`` is alive in this state (and forget the
        instances of ``name`` no longer alive); the record.

        Raises:
            UnknownConnector: ``name`` was deleted (or never created).
        """
        where = (instances.c.connector == name, instances.c.instance == instance)
        values = {
            "host": host,
            "pid": pid,
            "placement": placement.value,
            "state": state,
            "heartbeat_at": at,
            "interval_s": interval_s,
            "progress": json.dumps(dict(progress), default=str, sort_keys=True),
            "error": error,
        }
        with self._store.write(CONNECTORS_LOCK) as connection:
            record = _get(connection, name)
            rows = connection.execute(
                sa.select(instances).where(
                    instances.c.connector == name, instances.c.instance != instance
                )
            ).mappings()
            # Rows of workers that died without leaving (kill -9) go once no longer alive.
            dead = [item.instance for item in map(_instance, rows) if not item.alive(at)]
            if dead:
                connection.execute(
                    instances.delete().where(
                        instances.c.connector == name, instances.c.instance.in_(dead)
                    )
                )
            found = connection.execute(sa.select(instances.c.instance).where(*where)).first()
            if found is None:
                connection.execute(
                    instances.insert().values(
                        connector=name, instance=instance, started_at=at, **values
                    )
                )
            else:
                connection.execute(instances.update().where(*where).values(**values))
            return record

    def leave(self, name: str, instance: str) -> None:
        """Forget ``instance`` of ``name``: it stopped (nothing when unknown)."""
        with self._store.write(CONNECTORS_LOCK) as connection:
            connection.execute(
                instances.delete().where(
                    instances.c.connector == name, instances.c.instance == instance
                )
            )


def _row(connection: Connection, name: str) -> RowMapping | None:
    query = sa.select(connectors).where(connectors.c.name == name)
    return connection.execute(query).mappings().first()


def _get(connection: Connection, name: str) -> Connector:
    row = _row(connection, name)
    if row is None:
        known = connection.execute(sa.select(connectors.c.name)).scalars().all()
        raise UnknownConnector(name, known)
    return _connector(row)


def _subject(name: str) -> str:
    return f"connector:{name}"


def _audited(connector: Connector) -> dict[str, Any]:
    """What the audit entry keeps of a record (the definition by size: it is in the store)."""
    return {
        "kind": connector.kind,
        "principal": connector.principal,
        "placement": connector.placement.value,
        "desired": connector.desired.value,
        "generation": connector.generation,
        "paused_by": connector.paused_by,
        "definition_chars": len(connector.definition),
    }


def _connector(row: RowMapping) -> Connector:
    return Connector(
        name=row["name"],
        kind=row["kind"],
        role=row["role"],
        principal=row["principal"],
        definition=row["definition"],
        placement=Placement(row["placement"]),
        desired=Desired(row["desired"]),
        generation=row["generation"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        paused_by=row["paused_by"],
    )


def _instance(row: RowMapping) -> ConnectorInstance:
    return ConnectorInstance(
        connector=row["connector"],
        instance=row["instance"],
        host=row["host"],
        pid=row["pid"],
        placement=Placement(row["placement"]),
        state=row["state"],
        started_at=row["started_at"],
        heartbeat_at=row["heartbeat_at"],
        interval_s=row["interval_s"],
        progress=json.loads(row["progress"]),
        error=row["error"],
    )
