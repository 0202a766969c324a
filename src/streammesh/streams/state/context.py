"""What a state store is opened with: its task, its names, and the log clients the engine owns.

A store belongs to one *task* (one input partition of one sub-topology, Kafka Streams'
``<subtopology>_<partition>``). Its local file lives at
``<state_dir>/<application>/<task>/<store>.db`` and its changelog is the partition of
``<application>-<store>-changelog`` numbered like the task's input partition.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from streammesh.log import Consumer, EventLog, Producer
from streammesh.streams.state.errors import InvalidStoreName

_LEGAL = re.compile(r"[A-Za-z0-9._-]+")
_CHANGELOG_SUFFIX = "-changelog"
MAX_TOPIC_NAME_LENGTH = 249
"""Kafka's limit on topic names."""


class StoreKind(StrEnum):
    """The kinds of state store; a store's file and changelog hold one kind only."""

    KEY_VALUE = "key-value"
    WINDOW = "window"
    SESSION = "session"


@dataclass(frozen=True, slots=True)
class TaskId:
    """A task: one partition of one sub-topology; ``str(task)`` is Kafka Streams' ``0_3``."""

    subtopology: int
    partition: int

    def __str__(self) -> str:
        return f"{self.subtopology}_{self.partition}"


@dataclass(frozen=True, slots=True)
class RestoreProgress:
    """How far a store's restore from its changelog is, for a progress bar.

    ``total`` is the number of offsets to read (compaction may leave fewer records);
    ``rebuilt`` says the local file was started afresh (missing, damaged, or too stale).
    """

    store: str
    topic: str
    partition: int
    start_offset: int
    end_offset: int
    restored: int
    rebuilt: bool
    done: bool

    @property
    def total(self) -> int:
        """The offsets between where the restore started and the end of the changelog."""
        return self.end_offset - self.start_offset


RestoreListener = Callable[[RestoreProgress], None]


@dataclass(frozen=True, slots=True)
class StoreContext:
    """Everything a store of one task is opened with; the caller owns the log clients.

    Args:
        log: the event log holding the changelog topics.
        state_dir: the root of local state (e.g. ``<mesh>/streams``).
        application: the application id; it prefixes every changelog topic.
        task: the task the store belongs to; its partition is the changelog partition.
        source_partitions: the input's partition count, which the changelog must have.
        producer: where changelog records are sent (``send`` only); with exactly-once, a
            transactional producer inside an open transaction, which the engine commits.
        reader: a consumer without a group, used with ``assign`` to restore and to look up
            the changelog's end offset at each commit; with exactly-once it must read
            ``read_committed``, so that an aborted transaction is never restored.
        on_restore: called with the restore's progress (start, after each batch, done).
        cache_max_entries: changes held in memory before they are written (and sent) ahead
            of the next commit.
        restore_timeout_s: how long a restore may make no progress before it gives up.
    """

    log: EventLog
    state_dir: Path
    application: str
    task: TaskId
    source_partitions: int
    producer: Producer
    reader: Consumer
    on_restore: RestoreListener | None = None
    cache_max_entries: int = 10_000
    restore_timeout_s: float = 60.0


def check_name(what: str, name: object) -> str:
    """Return ``name`` if it can name a directory, a file and part of a topic; else raise."""
    if not isinstance(name, str):
        raise InvalidStoreName(what, repr(name), f"must be a string, not {type(name).__name__}")
    if not name:
        raise InvalidStoreName(what, name, "it is empty")
    if name in {".", ".."}:
        raise InvalidStoreName(what, name, "'.' and '..' name directories")
    if not _LEGAL.fullmatch(name):
        bad = sorted({c for c in name if not _LEGAL.fullmatch(c)})
        raise InvalidStoreName(what, name, "it contains " + ", ".join(repr(c) for c in bad))
    return name


def changelog_topic(application: str, store: str) -> str:
    """Kafka Streams' changelog name: ``<application>-<store>-changelog``.

    Raises:
        InvalidStoreName: a name is not usable, or the topic name would be too long.
    """
    check_name("application", application)
    check_name("store", store)
    topic = f"{application}-{store}{_CHANGELOG_SUFFIX}"
    if len(topic) > MAX_TOPIC_NAME_LENGTH:
        raise InvalidStoreName(
            "store",
            store,
            f"its changelog topic name would be {len(topic)} characters long "
            f"(at most {MAX_TOPIC_NAME_LENGTH})",
        )
    return topic


def store_path(state_dir: Path, application: str, task: TaskId, store: str) -> Path:
    """The local file of ``store`` of ``task``: ``<state_dir>/<application>/<task>/<store>.db``."""
    check_name("application", application)
    check_name("store", store)
    return state_dir / application / str(task) / f"{store}.db"
