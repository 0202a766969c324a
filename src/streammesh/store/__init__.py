"""The metadata store: the control plane's database (SQLite by default, PostgreSQL at scale).

SQLAlchemy 2 Core over the URL's database, with Alembic migrations shipped in this package
and applied by ``open_store``. Errors::

    StoreError
    ├── InvalidStoreUrl      the URL names no supported database
    ├── StoreNotMigrated     the schema is not this version's and migrating was not allowed
    └── StoreUnavailable     the database cannot be opened, reached or migrated
        ├── StoreCorrupt     the database file is damaged or empty (restore it from a backup)
        └── StoreDiskFull    a write found no space left
"""

from __future__ import annotations

from streammesh.store.changes import WATCHED_TABLES, GenerationMemo, Remembered, store_generation
from streammesh.store.errors import (
    InvalidStoreUrl,
    StoreCorrupt,
    StoreDiskFull,
    StoreError,
    StoreNotMigrated,
    StoreUnavailable,
)
from streammesh.store.generation import Generation
from streammesh.store.migrate import head_revision, schema_revision
from streammesh.store.open import open_store
from streammesh.store.store import Backend, MetadataStore, lock_key
from streammesh.store.timeouts import MAINTENANCE, StoreTimeouts
from streammesh.store.types import UtcDateTime
from streammesh.store.urls import default_store_url

__all__ = [
    "MAINTENANCE",
    "WATCHED_TABLES",
    "Backend",
    "Generation",
    "GenerationMemo",
    "InvalidStoreUrl",
    "MetadataStore",
    "Remembered",
    "StoreCorrupt",
    "StoreDiskFull",
    "StoreError",
    "StoreNotMigrated",
    "StoreTimeouts",
    "StoreUnavailable",
    "UtcDateTime",
    "default_store_url",
    "head_revision",
    "lock_key",
    "open_store",
    "schema_revision",
    "store_generation",
]
