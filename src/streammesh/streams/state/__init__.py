"""State stores of stream tasks: SQLite files backed by compacted changelog topics.

One store per task and name, at ``<state_dir>/<application>/<task>/<store>.db``, logging
every change to partition ``task.partition`` of ``<application>-<store>-changelog``. A store
restores itself from its changelog when it opens, from the checkpoint its last commit wrote,
so a task that crashed or moved to another process gets its state back exactly.

>>> context = StoreContext(log, state_dir, "trending", TaskId(0, 2), 4, producer, reader)
>>> with KeyValueStore(context, "totals") as totals:
...     totals.put(b"ZTEST", b"17")
...     totals.flush()
...     producer.flush()          # or commit_transaction() with exactly-once
...     totals.commit()
"""

from __future__ import annotations

from streammesh.streams.state.changelog import (
    ensure_changelog,
    session_key,
    split_session_key,
    split_window_key,
    window_key,
)
from streammesh.streams.state.context import (
    RestoreListener,
    RestoreProgress,
    StoreContext,
    StoreKind,
    TaskId,
    changelog_topic,
    store_path,
)
from streammesh.streams.state.errors import (
    ChangelogMismatch,
    InvalidStoreInput,
    InvalidStoreName,
    RestoreTimeout,
    StateError,
    StateUnavailable,
    StoreClosed,
    StoreMismatch,
)
from streammesh.streams.state.key_value import KeyValueStore
from streammesh.streams.state.session import SessionStore
from streammesh.streams.state.store import ChangelogStore
from streammesh.streams.state.window import WindowStore

__all__ = [
    "ChangelogMismatch",
    "ChangelogStore",
    "InvalidStoreInput",
    "InvalidStoreName",
    "KeyValueStore",
    "RestoreListener",
    "RestoreProgress",
    "RestoreTimeout",
    "SessionStore",
    "StateError",
    "StateUnavailable",
    "StoreClosed",
    "StoreContext",
    "StoreKind",
    "StoreMismatch",
    "TaskId",
    "WindowStore",
    "changelog_topic",
    "ensure_changelog",
    "session_key",
    "split_session_key",
    "split_window_key",
    "store_path",
    "window_key",
]
