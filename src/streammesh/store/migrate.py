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


def _current(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
