"""``AppStore``: stream applications and their instances in the metadata store.

Every change of an application (deploy, stop, start, reset, delete) is written with its audit
entry in one transaction holding the store lock :data:`APPS_LOCK`, so two callers (two CLI
processes, two server replicas) never interleave a check and a change. Heartbeats are not
audited: they are the processes' bookkeeping, not changes people make.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.store import MetadataStore
from streammesh.streams.apps.errors import ApplicationRunning, UnknownApplication
from streammesh.streams.apps.records import AppQuery, Desired, Instance, Placement, StreamApp
from streammesh.streams.apps.tables import apps, instances

__all__ = ["APPS_LOCK", "AppStore"]

APPS_LOCK = "streams-apps"
"""The store lock of every write to the application tables."""


class AppStore:
    """The stream applications of one mesh's store (see the module)."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store
        self._audit = AuditLog(store)

    # -- reading ---------------------------------------------------------------------------

    def apps(self) -> list[StreamApp]:
        """Every application, by name."""
        with self._store.read() as connection:
            rows = connection.execute(sa.select(apps).order_by(apps.c.name)).mappings()
            return [_app(row) for row in rows]

    def app(self, name: str) -> StreamApp:
        """The application ``name``.

        Raises:
            UnknownApplication: there is none (the nearest name is suggested).
        """
        with self._store.read() as connection:
            return self._app(connection, name)

    def instances(self, name: str | None = None) -> list[Instance]:
        """The instances that heartbeat for ``name`` (every application's: ``None``), alive
        or not, by application and instance."""
        query = sa.select(instances).order_by(instances.c.app, instances.c.instance)
        if name is not None:
            query = query.where(instances.c.app == name)
        with self._store.read() as connection:
            return [_instance(row) for row in connection.execute(query).mappings()]

    # -- changes ---------------------------------------------------------------------------

    def deploy(
        self,
        name: str,
        sql: str,
        *,
        descriptor: str | None,
        principal: str | None,
        placement: Placement,
        queries: Sequence[AppQuery],
        actor: str,
        at: datetime,
    ) -> StreamApp:
        """Record ``name`` (or replace its script, principal, placement and queries); it
        should run. Its epoch and creation are kept."""
        with self._store.write(APPS_LOCK) as connection:
            row = _row(connection, name)
            before = None if row is None else _app(row)
            values = {
                "sql": sql,
                "descriptor": descriptor,
                "principal": principal,
                "placement": placement.value,
                "desired": Desired.RUNNING.value,
                "queries": json.dumps([query.to_json() for query in queries]),
                "updated_at": at,
                "stopped_by": None,
            }
            if before is None:
                connection.execute(
                    apps.insert().values(
                        name=name, epoch=0, created_by=actor, created_at=at, **values
                    )
                )
            else:
                connection.execute(apps.update().where(apps.c.name == name).values(**values))
            after = self._app(connection, name)
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.STREAM_APP_DEPLOYED,
                    _subject(name),
                    actor,
                    before=None if before is None else _audited(before),
                    after=_audited(after),
                ),
                at=at,
            )
            return after

    def set_desired(self, name: str, desired: Desired, *, actor: str, at: datetime) -> StreamApp:
        """Ask ``name`` to run or to stop; already so, nothing changes (nor is audited).

        Raises:
            UnknownApplication: there is none.
        """
        with self._store.write(APPS_LOCK) as connection:
            before = self._app(connection, name)
            if before.desired is desired:
                return before
            stopped_by = actor if desired is Desired.STOPPED else None
            connection.execute(
                apps.update()
                .where(apps.c.name == name)
                .values(desired=desired.value, stopped_by=stopped_by, updated_at=at)
            )
            after = self._app(connection, name)
            action = (
                AuditAction.STREAM_APP_STOPPED
                if desired is Desired.STOPPED
                else AuditAction.STREAM_APP_STARTED
            )
            self._audit.record(
                connection,
                AuditEntry(
                    action, _subject(name), actor, before=_audited(before), after=_audited(after)
                ),
                at=at,
            )
            return after

    def next_epoch(self, name: str, *, actor: str, at: datetime, note: str) -> StreamApp:
        """Bump ``name``'s epoch (a reset), refusing while an instance is alive at ``at``.

        Raises:
            UnknownApplication: there is none.
            ApplicationRunning: an instance heartbeat within three of its intervals.
        """
        with self._store.write(APPS_LOCK) as connection:
            before = self._app(connection, name)
            _refuse_alive(connection, name, "reset", at)
            connection.execute(
                apps.update()
                .where(apps.c.name == name)
                .values(epoch=before.epoch + 1, updated_at=at)
            )
            connection.execute(instances.delete().where(instances.c.app == name))
            after = self._app(connection, name)
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.STREAM_APP_RESET,
                    _subject(name),
                    actor,
                    before=_audited(before),
                    after=_audited(after),
                    note=note,
                ),
                at=at,
            )
            return after

    def delete(self, name: str, *, actor: str, at: datetime, note: str) -> StreamApp:
        """Remove ``name`` and its instances' rows, refusing while an instance is alive.

        Raises:
            UnknownApplication: there is none.
            ApplicationRunning: an instance heartbeat within three of its intervals.
        """
        with self._store.write(APPS_LOCK) as connection:
            before = self._app(connection, name)
            _refuse_alive(connection, name, "delete", at)
            connection.execute(instances.delete().where(instances.c.app == name))
            connection.execute(apps.delete().where(apps.c.name == name))
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.STREAM_APP_DELETED,
                    _subject(name),
                    actor,
                    before=_audited(before),
                    note=note,
                ),
                at=at,
            )
            return before

    def check_idle(self, name: str, operation: str, at: datetime) -> StreamApp:
        """``name``'s record, refusing when an instance is alive at ``at``.

        Raises:
            UnknownApplication: there is none.
            ApplicationRunning: an instance is alive.
        """
        with self._store.read() as connection:
            app = self._app(connection, name)
            _refuse_alive(connection, name, operation, at)
            return app

    def heartbeat(
        self,
        name: str,
        instance: str,
        *,
        host: str,
        pid: int,
        interval_s: float,
        progress: Sequence[Mapping[str, Any]],
        error: str | None,
        at: datetime,
    ) -> StreamApp:
        """Record that ``instance`` of ``name`` is alive with this progress (and forget the
        instances of ``name`` that are no longer alive); the record.

        Raises:
            UnknownApplication: ``name`` was deleted (or never deployed).
        """
        where = (instances.c.app == name, instances.c.instance == instance)
        values = {
            "host": host,
            "pid": pid,
            "heartbeat_at": at,
            "interval_s": interval_s,
            "progress": json.dumps([dict(item) for item in progress]),
            "error": error,
        }
        with self._store.write(APPS_LOCK) as connection:
            app = self._app(connection, name)
            # Rows of processes that died without leaving (kill -9) go once they are no
            # longer alive: status never shows them, and restarts would pile them up.
            rows = connection.execute(
                sa.select(instances).where(
                    instances.c.app == name, instances.c.instance != instance
                )
            ).mappings()
            dead = [item.instance for item in map(_instance, rows) if not item.alive(at)]
            if dead:
                connection.execute(
                    instances.delete().where(
                        instances.c.app == name, instances.c.instance.in_(dead)
                    )
                )
            found = connection.execute(sa.select(instances.c.instance).where(*where)).first()
            if found is None:
                connection.execute(
                    instances.insert().values(app=name, instance=instance, started_at=at, **values)
                )
            else:
                connection.execute(instances.update().where(*where).values(**values))
            return app

    def leave(self, name: str, instance: str) -> None:
        """Forget ``instance`` of ``name``: its process exited (nothing when unknown)."""
        with self._store.write(APPS_LOCK) as connection:
            connection.execute(
                instances.delete().where(instances.c.app == name, instances.c.instance == instance)
            )

    # -- helpers -----------------------------------------------------------------------------

    def _app(self, connection: Connection, name: str) -> StreamApp:
        row = _row(connection, name)
        if row is None:
            known = connection.execute(sa.select(apps.c.name)).scalars().all()
            raise UnknownApplication(name, known)
        return _app(row)


def _row(connection: Connection, name: str) -> RowMapping | None:
    return connection.execute(sa.select(apps).where(apps.c.name == name)).mappings().first()


def _refuse_alive(connection: Connection, name: str, operation: str, at: datetime) -> None:
    rows = connection.execute(
        sa.select(instances).where(instances.c.app == name).order_by(instances.c.instance)
    ).mappings()
    alive = [item.instance for item in map(_instance, rows) if item.alive(at)]
    if alive:
        raise ApplicationRunning(name, operation, alive)


def _subject(name: str) -> str:
    return f"stream-app:{name}"


def _audited(app: StreamApp) -> dict[str, Any]:
    """What the audit entry keeps of a record (the script by size, not whole)."""
    return {
        "principal": app.principal,
        "placement": app.placement.value,
        "desired": app.desired.value,
        "epoch": app.epoch,
        "stopped_by": app.stopped_by,
        "queries": [query.id for query in app.queries],
        "sql_chars": len(app.sql),
    }


def _app(row: RowMapping) -> StreamApp:
    return StreamApp(
        name=row["name"],
        sql=row["sql"],
        principal=row["principal"],
        placement=Placement(row["placement"]),
        desired=Desired(row["desired"]),
        epoch=row["epoch"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        stopped_by=row["stopped_by"],
        queries=tuple(AppQuery.from_json(item) for item in json.loads(row["queries"])),
        descriptor=row["descriptor"],
    )


def _instance(row: RowMapping) -> Instance:
    return Instance(
        app=row["app"],
        instance=row["instance"],
        host=row["host"],
        pid=row["pid"],
        started_at=row["started_at"],
        heartbeat_at=row["heartbeat_at"],
        interval_s=row["interval_s"],
        progress=tuple(json.loads(row["progress"])),
        error=row["error"],
    )
