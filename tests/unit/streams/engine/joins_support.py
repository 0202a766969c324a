"""Shared by the join tests: state stores on an embedded log, and a driver feeding a join
operator ``(timestamp, side, value)`` records the way Kafka Streams' semantics tables list
them, with the joined values shown as ``[left, right]`` pairs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from streammesh.log import open_log
from streammesh.streams.engine.join_rows import JoinInput, JoinLayout, JoinResult, Side
from streammesh.streams.engine.joins import Joiner
from tests.unit.streams.state.conftest import Stores

KEY = "k"
LAYOUT = JoinLayout(left_width=2, right_width=2)
"""Rows of both test sides are ``(key, value)``; joined rows are the four columns."""


@contextmanager
def open_stores(root: Path) -> Iterator[Stores]:
    """Stores of a fresh application on an embedded log under ``root``; all closed after."""
    log = open_log(f"embedded://{root}/log")
    producer = log.producer()
    reader = log.consumer()
    stores = Stores(log, root / "state", f"app-{uuid.uuid4().hex[:8]}", producer, reader)
    try:
        yield stores
    finally:
        for store in reversed(stores.opened):
            store.close()
        reader.close()
        producer.close()
        log.close()


def record(side: Side, value: str | None, timestamp: int, key: object = KEY) -> JoinInput:
    """A record of ``side``: a ``(key, value)`` row, or a tombstone when ``value`` is None
    (a table's) — a stream record without a value."""
    return JoinInput((key,), None if value is None else (key, value), timestamp)


@dataclass
class Driver:
    """Feeds ``(timestamp, side, value)`` records to a join, collecting what it outputs."""

    join: Joiner
    dropped: list[str] = field(default_factory=list)

    def feed(self, timestamp: int, side: Side, value: str | None, key: object = KEY) -> list[str]:
        """The outputs of one record, each shown as ``[A, a]`` (``null`` for a missing side,
        ``null`` alone for a tombstone), with ``@ts`` when it differs from the input's."""
        result: JoinResult = self.join(side, record(side, value, timestamp, key))
        if result.dropped is not None:
            self.dropped.append(result.dropped.value)
        return [self.show(output.row, output.timestamp, timestamp) for output in result.outputs]

    @staticmethod
    def show(row: tuple[object, ...] | None, timestamp: int, now: int) -> str:
        if row is None:
            text = "null"
        else:
            left, right = row[1], row[3]
            text = f"[{left or 'null'}, {right or 'null'}]"
        return text if timestamp == now else f"{text}@{timestamp}"

    def run(self, inputs: list[tuple[int, Side, str | None]]) -> dict[int, list[str]]:
        """Each input's outputs, by the input's timestamp (only those with outputs)."""
        produced = {ts: self.feed(ts, side, value) for ts, side, value in inputs}
        return {ts: outputs for ts, outputs in produced.items() if outputs}


L, R = Side.LEFT, Side.RIGHT

SEMANTICS_INPUTS: list[tuple[int, Side, str | None]] = [
    (1, L, None),
    (2, R, None),
    (3, L, "A"),
    (4, R, "a"),
    (5, L, "B"),
    (6, R, "b"),
    (7, L, None),
    (8, R, None),
    (9, L, "C"),
    (10, R, "c"),
    (11, R, None),
    (12, L, None),
    (13, R, None),
    (14, R, "d"),
    (15, L, "D"),
]
"""The input sequence of Kafka Streams' join semantics tables (``Kafka Streams Join
Semantics`` and the DSL guide): one key, processed in timestamp order."""
