"""``StreamsRunner``: every persistent query of a script, running in one process.

Each query is its own :class:`~streammesh.streams.engine.StreamApplication` (its own consumer
group, transactional id and dead-letter topic); the runner polls them in turn until asked to
stop, then closes them, so whatever each one committed is all that counts (exactly once where
the log has transactions: a restart resumes after the last committed transaction). It also
keeps the numbers ``streams run`` shows: events in and out per second, dead letters and lag.

Example:
    >>> runner = StreamsRunner(runtime.log, prepared.queries, "trending-app")  # doctest: +SKIP
    >>> runner.run(stop.is_set, report=print)  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from streammesh.log import ConsumerOptions, EventLog, LogError, TopicNotFound, TopicPartition
from streammesh.privacy import FieldProtection
from streammesh.serde import SchemaResolver
from streammesh.streams.engine import (
    COMMIT_INTERVAL_MS,
    EngineError,
    PartitionMismatch,
    StreamApplication,
    UnsupportedPlan,
)
from streammesh.streams.engine.join_task import JoinShape
from streammesh.streams.expressions import Column
from streammesh.streams.functions.registry import FunctionRegistry
from streammesh.streams.planner import PersistentQuery
from streammesh.streams.products.decryption import InputDecryption
from streammesh.streams.state import changelog_topic

__all__ = ["QueryLayout", "QueryProgress", "StreamsRunner", "application_name", "query_layouts"]


def application_name(name: str, query: PersistentQuery, count: int) -> str:
    """The engine application (consumer group, transactional id) of ``query`` in the
    application ``name`` running ``count`` queries: ``name`` itself for a single query (the
    group the lineage registers), else ``<name>-<query id>``."""
    return name if count == 1 else f"{name}-{query.id.lower()}"


@dataclass(frozen=True, slots=True)
class QueryLayout:
    """What a persistent query creates when it runs, as the engine says (``streams explain``).

    Attributes:
        query: The persistent query.
        application: Its engine application (consumer group, transactional id).
        not_supported: Why the engine does not run it yet (``None``: it runs).
        state_stores: Each state store's name and its changelog topic.
        internal_topics: The topics it creates besides its sink: changelogs, repartition
            topics, dead letters.
        repartition_topics: Among them, the topics rows go through to the task owning their
            key: a ``GROUP BY`` on something else than the input's key, a join side not keyed
            by its join value — only over an input of several partitions (as it is on the log
            now: none when its topic does not exist yet).
    """

    query: PersistentQuery
    application: str
    not_supported: str | None
    state_stores: tuple[tuple[str, str], ...]
    internal_topics: tuple[str, ...]
    repartition_topics: tuple[str, ...] = ()


def query_layouts(
    log: EventLog,
    queries: Sequence[PersistentQuery],
    name: str,
    *,
    registry: FunctionRegistry | None = None,
    resolver: SchemaResolver | None = None,
) -> list[QueryLayout]:
    """Each query's :class:`QueryLayout` in the application ``name``; nothing is created.

    Over inputs of several partitions (their topics as the log has them now), a ``GROUP BY``
    that moves rows between partitions creates ``<application>-<query>-repartition``, a join
    side not keyed by its join value ``<application>-<query>-repartition-left|right``; a join
    the engine would refuse when it starts (partition counts that differ, a foreign-key join
    over several partitions) is ``not_supported``.
    """
    layouts: list[QueryLayout] = []
    for query in queries:
        application = application_name(name, query, len(queries))
        try:
            engine = StreamApplication(
                log, query, application, registry=registry, resolver=resolver
            )
        except EngineError as exc:
            layouts.append(QueryLayout(query, application, str(exc), (), ()))
            continue
        stores = [
            *(engine.aggregate.store_names() if engine.aggregate is not None else []),
            *(engine.join.store_names() if engine.join is not None else []),
        ]
        changelogs = tuple((store, changelog_topic(application, store)) for store in stores)
        refused, moved = _partitioning(log, engine)
        topics = (*(topic for _, topic in changelogs), *moved, engine.dead_letter_topic)
        layouts.append(QueryLayout(query, application, refused, changelogs, topics, moved))
    return layouts


def _partitioning(log: EventLog, engine: StreamApplication) -> tuple[str | None, tuple[str, ...]]:
    """What the engine's ``start`` would refuse about its inputs' partitions (``None``: nothing)
    and the repartition topics it would create — the same rules, without creating anything."""
    partitions = _partition_count(log, engine.pipeline.source.topic)
    base = f"{engine.name}-{engine.query.id}-repartition"
    join = engine.join
    if join is not None:
        right = _partition_count(log, join.right.topic)
        if partitions is None or right is None:
            return None, ()
        if right != partitions:
            left_name = join.left.alias or join.left.name
            mismatch = PartitionMismatch(
                left_name, join.right.alias or join.right.name, partitions, right
            )
            return str(mismatch), ()
        if partitions == 1:
            return None, ()
        if join.shape is JoinShape.FOREIGN_KEY:
            refusal = UnsupportedPlan(
                engine.query.id,
                f"a foreign-key JOIN over {partitions} partitions (every task would need the"
                " whole right table)",
            )
            return str(refusal), ()
        return None, tuple(
            f"{base}-{side.value}" for side, keyed in join.keyed.items() if not keyed
        )
    aggregate = engine.pipeline.aggregate
    if aggregate is None or partitions is None or partitions == 1:
        return None, ()
    keys = [column.name for column in engine.pipeline.source.key_columns]
    grouped = [item.name if isinstance(item, Column) else None for item in aggregate.group_by]
    return None, (base,) if grouped != keys else ()


def _partition_count(log: EventLog, topic: str) -> int | None:
    try:
        return log.describe_topic(topic).partitions
    except TopicNotFound:
        return None


@dataclass(frozen=True, slots=True)
class QueryProgress:
    """What one query did so far, and how fast.

    Attributes:
        query: The persistent query's id (``CSAS_BIG_0``).
        application: Its engine application (consumer group).
        sink: The topic it writes.
        records_in: Input records read.
        records_out: Records written to the sink.
        dead_letters: Records sent to the dead-letter topic.
        late: Rows dropped after a window's grace period.
        lag: Input records not processed yet (committed offset to end), ``None`` when unknown.
        in_per_s: Input records per second since the previous report.
        out_per_s: Output records per second since the previous report.
        partitions: The input partitions this process runs now (its share of the consumer
            group; the application's other processes run the rest).
    """

    query: str
    application: str
    sink: str
    records_in: int
    records_out: int
    dead_letters: int
    late: int
    lag: int | None
    in_per_s: float
    out_per_s: float
    partitions: tuple[int, ...] = ()


class StreamsRunner:
    """Runs persistent queries over ``log`` in this process (see the module).

    Args:
        log: The event log holding the queries' topics.
        queries: The persistent queries, in the script's order.
        name: The application's name (see :func:`application_name`).
        registry: The functions the expressions call (default: built-ins and plugins).
        resolver: The schema registry, for AVRO, JSON_SR and PROTOBUF topics.
        state_dir: Where the state stores keep their files (``<state_dir>/<application>``);
            default: temporary, restored from the changelogs on each start.
        protections: Per sink topic, what encrypts a product's classified fields into
            record headers (``PreparedApplication.protections``).
        decryption: Per input topic, how a product's encrypted fields are read: decrypted
            or masked for the application (``PreparedApplication.decryption``).
        commit_interval_ms: How long each query's transaction stays open across polls
            before it commits (see :class:`StreamApplication`; 0: every poll).

    Raises:
        UnsupportedPlan: a query the engine does not run yet (e.g. a join), naming it;
            nothing was started.
        InvalidWindow: a window ksqlDB refuses.
    """

    def __init__(
        self,
        log: EventLog,
        queries: Sequence[PersistentQuery],
        name: str,
        *,
        registry: FunctionRegistry | None = None,
        resolver: SchemaResolver | None = None,
        state_dir: Path | None = None,
        protections: Mapping[str, FieldProtection] | None = None,
        decryption: Mapping[str, InputDecryption] | None = None,
        commit_interval_ms: int = COMMIT_INTERVAL_MS,
    ) -> None:
        self.log = log
        self.name = name
        # Every query is compiled before any starts: one the engine refuses stops them all.
        self.applications = [
            StreamApplication(
                log,
                query,
                application_name(name, query, len(queries)),
                registry=registry,
                resolver=resolver,
                state_dir=state_dir,
                protection=(protections or {}).get(query.plan.topic),
                decryption=decryption,
                commit_interval_ms=commit_interval_ms,
            )
            for query in queries
        ]
        self._offsets = None if not self.applications else log.consumer(ConsumerOptions())
        self._last: dict[str, tuple[float, int, int]] = {}

    def check_inputs(self) -> None:
        """Refuse before anything is created when a query's input topic does not exist (and
        is not the sink of an earlier query of the script, created when that one starts).

        Raises:
            TopicNotFound: the first missing input topic.
        """
        written: set[str] = set()
        for application in self.applications:
            for topic in _inputs(application):
                if topic not in written:
                    self.log.describe_topic(topic)
            written.add(application.pipeline.sink.topic)

    def start(self) -> None:
        """Create the missing sink, dead-letter and internal topics and join the inputs."""
        for application in self.applications:
            application.start()
        now = time.monotonic()
        for application in self.applications:
            totals = _totals(application)
            self._last[application.name] = (now, totals[0], totals[1])

    def poll_round(self, timeout: float = 0.1) -> int:
        """One batch of each query, each in its own transaction (committed when its commit
        interval has passed or its input is idle); how many records were read."""
        return sum(app.poll_once(timeout=timeout) for app in self.applications)

    def commit(self) -> None:
        """Commit every query's open transaction now."""
        for application in self.applications:
            application.commit()

    def run(
        self,
        stop: Callable[[], bool],
        *,
        report: Callable[[Sequence[QueryProgress]], None] | None = None,
        interval: float = 1.0,
    ) -> None:
        """Start, then poll every query until ``stop()`` is true, calling ``report`` with the
        progress every ``interval`` seconds and once more at the end.

        A batch being processed when ``stop`` turns true is finished, and what is open is
        committed before the last report (an error raised, ``report``'s included, leaves it
        to ``close()``, which aborts it).
        """
        self.start()
        next_report = time.monotonic() + interval
        while not stop():
            self.poll_round()
            if report is not None and time.monotonic() >= next_report:
                report(self.progress())
                next_report = time.monotonic() + interval
        self.commit()
        if report is not None:
            report(self.progress())

    def progress(self) -> list[QueryProgress]:
        """Each query's counters, rates since the previous call, and lag."""
        found: list[QueryProgress] = []
        now = time.monotonic()
        for application in self.applications:
            records_in, records_out, dead, late = _totals(application)
            since, last_in, last_out = self._last.get(application.name, (now, 0, 0))
            elapsed = max(now - since, 1e-9)
            self._last[application.name] = (now, records_in, records_out)
            found.append(
                QueryProgress(
                    query=application.query.id,
                    application=application.name,
                    sink=application.pipeline.sink.topic,
                    records_in=records_in,
                    records_out=records_out,
                    dead_letters=dead,
                    late=late,
                    lag=self._lag(application),
                    in_per_s=(records_in - last_in) / elapsed if now > since else 0.0,
                    out_per_s=(records_out - last_out) / elapsed if now > since else 0.0,
                    partitions=tuple(sorted(application.stats())),
                )
            )
        return found

    def _lag(self, application: StreamApplication) -> int | None:
        """Records between the group's committed offsets and the ends of its input."""
        if self._offsets is None:
            return None
        lag = 0
        for topic in _inputs(application):
            try:
                count = self.log.describe_topic(topic).partitions
                committed = self.log.committed_offsets(application.name, topic)
                ends = self._offsets.end_offsets(
                    [TopicPartition(topic, partition) for partition in range(count)]
                )
            except LogError:  # a number on a progress line is not worth stopping for
                return None
            lag += sum(max(0, end - (committed.get(tp.partition) or 0)) for tp, end in ends.items())
        return lag

    def close(self) -> None:
        """Close every query (an open transaction is aborted: only commits count; ``run``
        commits before it returns)."""
        try:
            for application in self.applications:
                application.close()
        finally:
            if self._offsets is not None:
                self._offsets.close()
                self._offsets = None

    def __enter__(self) -> StreamsRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        """Leaving a ``with`` block normally commits what is open; with an exception (a
        revoked grant included) it is aborted."""
        try:
            if exc_type is None:
                self.commit()
        finally:
            self.close()


def _inputs(application: StreamApplication) -> list[str]:
    """The topics a query reads: its source, and a join's right side."""
    topics = [application.pipeline.source.topic]
    if application.join is not None:
        topics.append(application.join.right.topic)
    return list(dict.fromkeys(topics))


def _totals(application: StreamApplication) -> tuple[int, int, int, int]:
    # Partitions that moved to another process count too: what this process did there.
    total = application.totals()
    return (total.records_in, total.records_out, total.dead_letters, total.late)
