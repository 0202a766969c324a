"""Applying the store's Alembic migrations, which ship inside the package (no alembic.ini).

Two processes opening a fresh store at once must not both create the tables: the upgrade runs
inside ``MetadataStore.write``, so the second one waits for the first and then finds the
store at head.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from streammesh.store.errors import StoreNotMigrated
from streammesh.store.store import MetadataStore

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "streammesh_schema_version"
_LOCK = "store-migrations"


def upgrade_to_head(store: MetadataStore) -> None:
    """Bring the store's tables to the newest migration (a no-op when already there)."""
    config = _config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with store.read() as connection:
        if _current(connection) == head:
            return
    with store.write(_LOCK) as connection:
        if _current(connection) == head:  # another process migrated while we waited
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def head_revision() -> str:
    """The newest migration this streammesh ships."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # the package ships its migrations
    return head


def schema_revision(store: MetadataStore) -> str | None:
    """The migration the store's tables are at (``None``: never migrated)."""
    with store.read() as connection:
        return _current(connection)


def check_at_head(store: MetadataStore) -> None:
    """Refuse a store whose tables are not at :func:`head_revision` (nothing is changed).

    Raises:
        StoreNotMigrated: behind (never migrated, or by an older streammesh) or ahead.
    """
    current, head = schema_revision(store), head_revision()
    if current != head:
        known = current is None or ScriptDirectory.from_config(_config()).get_revision(current)
        raise StoreNotMigrated(store.url, current, head, known=bool(known))


def _current(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
