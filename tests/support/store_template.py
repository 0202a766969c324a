"""A new SQLite mesh store in the tests gets its schema copied, not migrated step by step.

Migrating a fresh store runs every Alembic migration (its scripts loaded anew each time):
about 0.2 s of CPU, and a test run opens several hundred fresh meshes. :func:`install` makes
``open_store`` migrate the first fresh SQLite store of the test process for real, keep a copy
of the result (SQLite's backup API, in memory) and copy it into every later fresh SQLite store.
The copy is the migrations' own result, page for page, so the stores are the same; stores that
are not fresh (an older revision, a damaged file, PostgreSQL) always take the real path, and
the migration tests see the real migrations at least once per process.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

from streammesh.store import migrate
from streammesh.store import open as store_open
from streammesh.store.store import MetadataStore

_template: sqlite3.Connection | None = None
_lock = threading.Lock()
"""Held from the blank check to the end of the copy: two threads opening one new store must
not both copy (the second would overwrite what the first wrote since)."""


def install() -> None:
    """Route ``open_store``'s migration through the template (idempotent)."""
    if getattr(store_open.upgrade_to_head, "templated", False):
        return
    store_open.upgrade_to_head = _templated(migrate.upgrade_to_head)  # type: ignore[attr-defined]


def _templated(upgrade: Callable[[MetadataStore], None]) -> Callable[[MetadataStore], None]:
    def upgrade_to_head(store: MetadataStore) -> None:
        url = store.engine.url
        path = url.database if url.get_backend_name() == "sqlite" else None
        if path in (None, "", ":memory:"):
            upgrade(store)
            return
        with _lock:
            _copy_or_upgrade(store, str(path), upgrade)

    upgrade_to_head.templated = True  # type: ignore[attr-defined]
    return upgrade_to_head


def _copy_or_upgrade(
    store: MetadataStore, path: str, upgrade: Callable[[MetadataStore], None]
) -> None:
    global _template
    if not _is_blank(path):
        upgrade(store)
        return
    if _template is None:
        upgrade(store)
        template = sqlite3.connect(":memory:", check_same_thread=False)
        with sqlite3.connect(path) as source:
            source.backup(template)
        source.close()
        _template = template
        return
    with sqlite3.connect(path) as target:
        _template.backup(target)
    target.close()


def _is_blank(path: str) -> bool:
    """Whether the SQLite file holds no table at all (just created by ``open_store``); a
    file SQLite cannot read is not (the real path reports it as the tests expect)."""
    connection = sqlite3.connect(path)
    try:
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError:
        return False
    finally:
        connection.close()
    return int(tables) == 0
