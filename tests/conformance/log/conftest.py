"""Fixtures of the event-log conformance suite: every test here runs against every backend.

A test asks for ``log`` (an open :class:`EventLog`, parametrised over the backends) and the
factories below; whatever they create is closed after the test, consumers and producers
before the log. The Kafka backend shares one broker across the session, so topic and group
names are unique per test.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from streammesh.log import (
    Capability,
    Consumer,
    ConsumerOptions,
    EventLog,
    LogConfig,
    Maintainable,
    Producer,
    Record,
    TopicPartition,
    TopicSpec,
    open_log,
)
from tests.support.tansu import GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS

BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("kafka", id="kafka", marks=pytest.mark.kafka),
]

WAIT_S = 30.0
"""Upper bound for anything a test waits for; generous, it only matters when a test fails."""

LogOpener = Callable[[LogConfig | None], EventLog]
ConsumerFactory = Callable[..., Consumer]
AssignmentPredicate = Callable[[list[frozenset[TopicPartition]]], bool]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    name: str = request.param
    return name


@pytest.fixture
def log_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh embedded directory, or of the session's Kafka-protocol broker."""
    if backend == "embedded":
        return f"embedded://{tmp_path}/log"
    bootstrap: str = request.getfixturevalue("kafka_bootstrap")
    return f"kafka://{bootstrap}"


@pytest.fixture
def open_backend(log_url: str) -> Iterator[LogOpener]:
    """Open (another handle on) the log under test, optionally with a ``LogConfig``."""
    opened: list[EventLog] = []

    def open_(config: LogConfig | None = None) -> EventLog:
        handle = open_log(log_url, config)
        opened.append(handle)
        return handle

    yield open_
    for handle in reversed(opened):
        handle.close()


@pytest.fixture
def log(open_backend: LogOpener) -> EventLog:
    """The event log under test, closed after the test."""
    return open_backend(None)


@pytest.fixture
def require(log: EventLog, backend: str) -> Callable[[Capability], None]:
    """Skip the test, naming the capability, unless the backend declares it."""

    def require_(capability: Capability) -> None:
        if capability not in log.capabilities:
            pytest.skip(f"the {backend} backend lacks capability '{capability.value}'")

    return require_


@pytest.fixture
def cleaner(log: EventLog, require: Callable[[Capability], None]) -> Maintainable:
    """The log as a ``Maintainable``; skips backends without on-demand cleaning."""
    require(Capability.ON_DEMAND_CLEANING)
    assert isinstance(log, Maintainable), "declares ON_DEMAND_CLEANING but has no clean()"
    return log


def _unique_prefix(request: pytest.FixtureRequest) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name).strip("-")
    return f"{name[:80]}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def topic_name(request: pytest.FixtureRequest) -> Callable[[], str]:
    """Make topic names unique to this test (the Kafka broker is shared by the session)."""
    prefix = _unique_prefix(request)
    counter = itertools.count()
    return lambda: f"{prefix}-{next(counter)}"


@pytest.fixture
def new_topic(log: EventLog, topic_name: Callable[[], str]) -> Callable[..., str]:
    """Create a topic from ``TopicSpec`` settings (``partitions=3``, ...) and return its name."""

    def create(**settings: Any) -> str:
        name = topic_name()
        log.create_topic(TopicSpec(name, **settings))
        return name

    return create


@pytest.fixture
def group_id(request: pytest.FixtureRequest) -> Callable[[], str]:
    """Make consumer-group ids unique to this test."""
    prefix = "g-" + _unique_prefix(request)
    counter = itertools.count()
    return lambda: f"{prefix}-{next(counter)}"


def group_options(group: str, **settings: Any) -> ConsumerOptions:
    """Options for a group member that joins and fails over quickly."""
    settings.setdefault("session_timeout_ms", GROUP_SESSION_TIMEOUT_MS)
    settings.setdefault("heartbeat_interval_ms", GROUP_HEARTBEAT_INTERVAL_MS)
    return ConsumerOptions(group=group, **settings)


@pytest.fixture
def member_options() -> Callable[..., ConsumerOptions]:
    """``ConsumerOptions`` for a group member with a short session timeout."""
    return group_options


@pytest.fixture
def producer(log: EventLog) -> Iterator[Producer]:
    """A producer on the log under test, closed after the test."""
    made = log.producer()
    yield made
    made.close()


@pytest.fixture
def make_consumer(log: EventLog) -> Iterator[ConsumerFactory]:
    """Make consumers that are closed after the test (a test may close them earlier)."""
    made: list[Consumer] = []

    def make(options: ConsumerOptions | None = None) -> Consumer:
        consumer = log.consumer(options)
        made.append(consumer)
        return consumer

    yield make
    for consumer in reversed(made):
        consumer.close()


def poll_until(
    consumer: Consumer, count: int, timeout: float = WAIT_S, max_records: int | None = None
) -> list[Record]:
    """Poll until ``count`` records have arrived (or ``timeout``); return all that arrived."""
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        records.extend(consumer.poll(timeout=0.5, max_records=max_records))
    return records


@pytest.fixture
def consume() -> Callable[..., list[Record]]:
    """``consume(consumer, count)``: poll until ``count`` records arrived (bounded)."""
    return poll_until


def read_partitions(log: EventLog, topic: str) -> list[Record]:
    """Every retained record of ``topic``, read from the beginning, by partition then offset."""
    partitions = [TopicPartition(topic, p) for p in range(log.describe_topic(topic).partitions)]
    with log.consumer() as reader:
        reader.assign(partitions)
        reader.seek_to_beginning()
        ends = reader.end_offsets(partitions)
        records: list[Record] = []
        deadline = time.monotonic() + WAIT_S
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            assert time.monotonic() < deadline, f"could not read {topic} up to {ends}"
            records.extend(reader.poll(timeout=0.5))
    return sorted(records, key=lambda r: (r.partition, r.offset))


@pytest.fixture
def read_all(log: EventLog) -> Callable[[str], list[Record]]:
    """``read_all(topic)``: every retained record, by partition then offset."""
    return lambda topic: read_partitions(log, topic)


def await_assignment(
    consumers: Sequence[Consumer],
    settled: AssignmentPredicate | None = None,
    timeout: float = WAIT_S,
) -> list[list[Record]]:
    """Poll every consumer until their assignments satisfy ``settled`` (default: none empty).

    Group membership only progresses while members poll, so all of them are polled in turn.
    Records that arrive meanwhile are returned, one list per consumer, so none is lost.
    """
    check = settled or (lambda assignments: all(assignments))
    received: list[list[Record]] = [[] for _ in consumers]
    deadline = time.monotonic() + timeout
    while True:
        for index, consumer in enumerate(consumers):
            received[index].extend(consumer.poll(timeout=0.2))
        assignments = [consumer.assignment() for consumer in consumers]
        if check(assignments):
            return received
        assert time.monotonic() < deadline, f"group did not settle; assignments: {assignments}"


@pytest.fixture
def wait_for_assignment() -> Callable[..., list[list[Record]]]:
    """``wait_for_assignment(consumers, settled=None)``: see :func:`await_assignment`."""
    return await_assignment
