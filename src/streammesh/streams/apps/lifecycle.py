"""``AppLifecycle``: deploy, inspect, stop, start, reset and delete stream applications.

The records live in the metadata store (:class:`~streammesh.streams.apps.store.AppStore`);
what only the log knows — committed offsets, end offsets, internal topics — is read and
changed on the event log, the same way on the embedded log and on Kafka:

- ``status`` reads each query's committed offsets (its consumer group) and the end offsets of
  its input partitions;
- ``reset`` commits the beginning of every input partition for each group of the application
  (the log API has no "delete group"; on both backends a committed offset at the beginning
  is what makes the next run read everything again), then deletes its changelog and
  repartition topics, then bumps the epoch so a process's local state of an older epoch is
  wiped when it starts. The sinks (the output products) and the dead-letter topics stay.

Processes running an application heartbeat (``heartbeat``) every interval and stop when the
record says ``stopped``; they ``leave`` when they exit.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streammesh.log import (
    Consumer,
    ConsumerOptions,
    EventLog,
    LogError,
    TopicNotFound,
    TopicPartition,
)
from streammesh.products import check_segment
from streammesh.serde import SchemaResolver
from streammesh.streams.apps.errors import (
    InvalidApplicationName,
    PlacementConflict,
    UnknownApplication,
)
from streammesh.streams.apps.records import (
    AppQuery,
    AppStatus,
    Desired,
    Instance,
    PartitionLag,
    Placement,
    QueryStatus,
    StreamApp,
)
from streammesh.streams.apps.store import AppStore
from streammesh.streams.engine import DEAD_LETTER_SUFFIX
from streammesh.streams.plan import PlanNode, Source, children
from streammesh.streams.planner import PersistentQuery
from streammesh.streams.runner import QueryProgress, application_name, query_layouts

__all__ = [
    "STATE_MARKER",
    "AppLifecycle",
    "check_application_name",
    "describe_queries",
    "prepare_state_dir",
]

STATE_MARKER = ".streammesh-app"
"""The file in an application's local state directory naming the epoch its state is of."""

_KEPT = "the output topics and the dead-letter topics are kept"


def check_application_name(name: str) -> str:
    """``name`` if it can name a stream application, else raise.

    Raises:
        InvalidApplicationName: it is not a lowercase name of letters, digits and dashes
            (what the lineage graph and topic names accept).
    """
    problem = check_segment("stream application", name)
    if problem is not None:
        raise InvalidApplicationName(name, problem)
    return name


def prepare_state_dir(directory: Path, app: StreamApp) -> bool:
    """Make ``directory`` the local state of ``app``'s current epoch; whether state of
    another epoch was wiped.

    The directory holds a marker naming the epoch (and the record's creation) its state is
    of. State of another epoch — before a ``reset``, or of an application deleted and
    deployed again under the same name — is removed: its changelogs are gone, and restoring
    over it would resurrect what the reset dropped. A directory without a marker is adopted
    at epoch 0 (state written before applications were recorded).
    """
    marker = directory / STATE_MARKER
    wanted = {"epoch": app.epoch, "created_at": app.created_at.isoformat()}
    wiped = False
    if directory.exists():
        try:
            found = json.loads(marker.read_text(encoding="utf-8"))
        except FileNotFoundError:
            found = wanted if app.epoch == 0 else None
        except (OSError, ValueError):
            found = None
        if found != wanted:
            wiped = any(child.name != STATE_MARKER for child in directory.iterdir())
            shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(wanted), encoding="utf-8")
    return wiped


class AppLifecycle:
    """Stream applications of one mesh: records in ``store``, offsets and topics on ``log``.

    Args:
        store: Where the records are.
        log: The event log the applications read and write.
        clock: The current time (tests set it).
    """

    def __init__(
        self,
        store: AppStore,
        log: EventLog,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._log = log
        self._clock = clock

    def deploy(
        self,
        name: str,
        sql: str,
        queries: Sequence[PersistentQuery],
        *,
        descriptor: str | None,
        principal: str | None,
        placement: Placement,
        actor: str,
        resolver: SchemaResolver | None = None,
    ) -> StreamApp:
        """Record the planned ``queries`` of ``sql`` as application ``name``, to run.

        Raises:
            InvalidApplicationName: ``name`` cannot name an application.
            PlacementConflict: ``name`` is recorded with the other placement and should be
                running (stop it first to move it).
        """
        check_application_name(name)
        try:
            existing: StreamApp | None = self._store.app(name)
        except UnknownApplication:
            existing = None
        wanted = Placement(placement)
        if (
            existing is not None
            and existing.placement is not wanted
            and existing.desired is Desired.RUNNING
        ):
            raise PlacementConflict(name, existing.placement.value, wanted.value)
        return self._store.deploy(
            name,
            sql,
            descriptor=descriptor,
            principal=principal,
            placement=Placement(placement),
            queries=describe_queries(self._log, name, queries, resolver),
            actor=actor,
            at=self._clock(),
        )

    def app(self, name: str) -> StreamApp:
        """The record of ``name``.

        Raises:
            UnknownApplication: there is none.
        """
        return self._store.app(name)

    def applications(self) -> list[AppStatus]:
        """Every application's status, by name."""
        now = self._clock()
        by_app: dict[str, list[Instance]] = {}
        for instance in self._store.instances():
            if instance.alive(now):
                by_app.setdefault(instance.app, []).append(instance)
        apps = self._store.apps()
        if not apps:
            return []
        with _Offsets(self._log) as offsets:
            return [_status(app, by_app.get(app.name, []), offsets) for app in apps]

    def status(self, name: str) -> AppStatus:
        """``name``'s record, live instances, and per query counters and lag.

        Raises:
            UnknownApplication: there is none.
        """
        app = self._store.app(name)
        now = self._clock()
        live = [item for item in self._store.instances(name) if item.alive(now)]
        with _Offsets(self._log) as offsets:
            return _status(app, live, offsets)

    def set_desired(self, name: str, desired: Desired, *, actor: str) -> StreamApp:
        """Ask ``name`` to run or to stop (see :meth:`AppStore.set_desired`)."""
        return self._store.set_desired(name, desired, actor=actor, at=self._clock())

    def reset(self, name: str, *, actor: str) -> StreamApp:
        """Start ``name`` over from the beginning of its inputs (see the module).

        Raises:
            UnknownApplication: there is none.
            ApplicationRunning: an instance is alive.
        """
        app = self._store.check_idle(name, "reset", self._clock())
        dropped = self._drop_progress(app)
        note = _note("reset", dropped)
        return self._store.next_epoch(name, actor=actor, at=self._clock(), note=note)

    def delete(self, name: str, *, actor: str) -> StreamApp:
        """Remove ``name``: its record, committed offsets and internal topics; the record
        it had.

        Raises:
            UnknownApplication: there is none.
            ApplicationRunning: an instance is alive.
        """
        app = self._store.check_idle(name, "delete", self._clock())
        dropped = self._drop_progress(app)
        return self._store.delete(
            name, actor=actor, at=self._clock(), note=_note("delete", dropped)
        )

    def heartbeat(
        self,
        name: str,
        instance: str,
        progress: Sequence[QueryProgress],
        error: str | None,
        *,
        host: str,
        pid: int,
        interval_s: float,
    ) -> StreamApp:
        """Record that ``instance`` runs ``name`` with this progress; the record."""
        return self._store.heartbeat(
            name,
            instance,
            host=host,
            pid=pid,
            interval_s=interval_s,
            progress=[asdict(item) for item in progress],
            error=error,
            at=self._clock(),
        )

    def leave(self, name: str, instance: str) -> None:
        """Forget ``instance``: its process exited."""
        self._store.leave(name, instance)

    def _drop_progress(self, app: StreamApp) -> list[str]:
        """Commit the beginning of every input partition for each group of ``app`` and delete
        its internal topics; the topics deleted."""
        existing = {topic.name for topic in self._log.list_topics()}
        internal: list[str] = []
        with self._log.consumer(ConsumerOptions()) as probe:
            for query in app.queries:
                partitions = [
                    TopicPartition(topic, partition)
                    for topic in query.inputs
                    if topic in existing
                    for partition in range(self._log.describe_topic(topic).partitions)
                ]
                if partitions:
                    beginnings = _beginnings(probe, partitions)
                    options = ConsumerOptions(group=query.group, auto_commit=False)
                    with self._log.consumer(options) as group:
                        group.assign(partitions)
                        group.commit(beginnings)
                prefix = f"{query.group}-{query.id}-repartition"
                internal += [t for t in query.changelogs if t in existing]
                internal += sorted(
                    t for t in existing if t == prefix or t in (f"{prefix}-left", f"{prefix}-right")
                )
        for topic in dict.fromkeys(internal):
            with contextlib.suppress(TopicNotFound):  # deleted meanwhile: gone either way
                self._log.delete_topic(topic)
        return list(dict.fromkeys(internal))


def describe_queries(
    log: EventLog,
    name: str,
    queries: Sequence[PersistentQuery],
    resolver: SchemaResolver | None = None,
) -> list[AppQuery]:
    """What each query of application ``name`` reads and creates (nothing is created)."""
    layouts = query_layouts(log, queries, name, resolver=resolver)
    found: list[AppQuery] = []
    for query, layout in zip(queries, layouts, strict=True):
        found.append(
            AppQuery(
                id=query.id,
                group=application_name(name, query, len(queries)),
                sink=query.plan.topic,
                inputs=tuple(dict.fromkeys(_input_topics(query.plan))),
                changelogs=tuple(changelog for _, changelog in layout.state_stores),
            )
        )
    return found


def dead_letter_topic(group: str) -> str:
    """The dead-letter topic of a query whose engine application (group) is ``group``."""
    return f"{group}{DEAD_LETTER_SUFFIX}"


def _input_topics(node: PlanNode) -> list[str]:
    if isinstance(node, Source):
        return [node.topic]
    return [topic for child in children(node) for topic in _input_topics(child)]


def _note(operation: str, dropped: Sequence[str]) -> str:
    topics = ", ".join(dropped) if dropped else "none"
    return (
        f"{operation}: committed offsets moved to the beginning of the inputs; internal "
        f"topics deleted: {topics}; {_KEPT}"
    )


class _Offsets:
    """End and committed offsets of input partitions, through one group-less consumer."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._consumer = log.consumer(ConsumerOptions())

    def lags(self, group: str, topic: str) -> tuple[PartitionLag, ...]:
        try:
            count = self._log.describe_topic(topic).partitions
            committed = self._log.committed_offsets(group, topic)
            ends = self._consumer.end_offsets([TopicPartition(topic, p) for p in range(count)])
        except LogError:  # a missing topic has no lag to show; the rest still does
            return ()
        return tuple(
            PartitionLag(topic, tp.partition, committed.get(tp.partition), end)
            for tp, end in sorted(ends.items())
        )

    def records(self, topic: str) -> int:
        """How many records ``topic`` holds now (``0`` when it does not exist)."""
        try:
            count = self._log.describe_topic(topic).partitions
            partitions = [TopicPartition(topic, p) for p in range(count)]
            ends = self._consumer.end_offsets(partitions)
            beginnings = _beginnings(self._consumer, partitions)
        except LogError:
            return 0
        return sum(max(0, ends[tp] - beginnings[tp]) for tp in partitions)

    def __enter__(self) -> _Offsets:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._consumer.close()


def _beginnings(probe: Consumer, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
    probe.assign(partitions)
    probe.seek_to_beginning(partitions)
    return {tp: probe.position(tp) for tp in partitions}


def _status(app: StreamApp, live: Sequence[Instance], offsets: _Offsets) -> AppStatus:
    queries: list[QueryStatus] = []
    for query in app.queries:
        mine = [
            item for instance in live for item in instance.progress if item.get("query") == query.id
        ]

        def total(field: str, items: Sequence[Any] = mine) -> Any:
            return sum(item.get(field) or 0 for item in items)

        queries.append(
            QueryStatus(
                id=query.id,
                group=query.group,
                sink=query.sink,
                records_in=int(total("records_in")),
                records_out=int(total("records_out")),
                dead_letters=int(total("dead_letters")),
                late=int(total("late")),
                in_per_s=float(total("in_per_s")),
                out_per_s=float(total("out_per_s")),
                partitions=tuple(
                    lag for topic in query.inputs for lag in offsets.lags(query.group, topic)
                ),
                dead_letter_topic=dead_letter_topic(query.group),
                dead_letter_records=offsets.records(dead_letter_topic(query.group)),
            )
        )
    return AppStatus(app, tuple(live), tuple(queries))
