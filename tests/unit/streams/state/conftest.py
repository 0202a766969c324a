"""Fixtures of the state-store tests: a log (embedded by default; ``backend`` parametrises it
over both, as the log's conformance suite does), a state directory, and ``stores``, which
opens stores of an application on them and closes everything after the test."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from streammesh.log import Consumer, EventLog, Producer, open_log
from streammesh.streams.state import (
    ChangelogStore,
    KeyValueStore,
    RestoreProgress,
    SessionStore,
    StoreContext,
    TaskId,
    WindowStore,
)
from tests.conformance.log.conftest import BACKENDS

S = TypeVar("S", bound=ChangelogStore[Any])

HOUR_MS = 3_600_000


@dataclass
class Stores:
    """Opens stores of one application on one log; remembers restore progress reports."""

    log: EventLog
    state_dir: Path
    application: str
    producer: Producer
    reader: Consumer
    progress: list[RestoreProgress] = field(default_factory=list)
    opened: list[ChangelogStore[Any]] = field(default_factory=list)

    def context(self, partition: int = 0, partitions: int = 1, **settings: Any) -> StoreContext:
        return StoreContext(
            log=self.log,
            state_dir=self.state_dir,
            application=self.application,
            task=TaskId(0, partition),
            source_partitions=partitions,
            producer=self.producer,
            reader=self.reader,
            on_restore=self.progress.append,
            **settings,
        )

    def _track(self, store: S) -> S:
        self.opened.append(store)
        return store

    def key_value(self, name: str = "totals", **settings: Any) -> KeyValueStore:
        return self._track(KeyValueStore(self.context(**settings), name))

    def window(
        self, name: str = "windows", retention_ms: int = HOUR_MS, **settings: Any
    ) -> WindowStore:
        return self._track(WindowStore(self.context(**settings), name, retention_ms=retention_ms))

    def session(
        self, name: str = "sessions", retention_ms: int = HOUR_MS, **settings: Any
    ) -> SessionStore:
        return self._track(SessionStore(self.context(**settings), name, retention_ms=retention_ms))

    def commit(self, *stores: ChangelogStore[Any]) -> None:
        """What the engine does at a commit point without transactions."""
        for store in stores:
            store.flush()
        self.producer.flush()
        for store in stores:
            store.commit()

    def last_restore(self) -> RestoreProgress:
        done = [report for report in self.progress if report.done]
        assert done, "no restore finished"
        return done[-1]


@pytest.fixture
def backend() -> str:
    """The log backend: embedded, unless a test module parametrises it."""
    return "embedded"


@pytest.fixture
def log(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventLog]:
    if backend == "embedded":
        url = f"embedded://{tmp_path}/log"
    else:
        url = f"kafka://{request.getfixturevalue('kafka_bootstrap')}"
    opened = open_log(url)
    yield opened
    opened.close()


@pytest.fixture
def application(request: pytest.FixtureRequest) -> str:
    """An application id unique to the test (the Kafka broker is shared by the session)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name).strip("-")
    return f"{name[:60]}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def stores(log: EventLog, tmp_path: Path, application: str) -> Iterator[Stores]:
    producer = log.producer()
    reader = log.consumer()
    made = Stores(log, tmp_path / "state", application, producer, reader)
    yield made
    for store in reversed(made.opened):
        store.close()
    reader.close()
    producer.close()


BOTH_BACKENDS = BACKENDS
"""For ``pytest.mark.parametrize("backend", BOTH_BACKENDS)``."""
