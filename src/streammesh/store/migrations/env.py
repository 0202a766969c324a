"""Alembic environment: runs on the connection ``streammesh.store.migrate`` hands over, inside
its locked transaction (so no transaction of its own)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from streammesh.store.migrate import VERSION_TABLE

connection = context.config.attributes["connection"]
if not isinstance(connection, Connection):
    raise TypeError("streammesh migrations run only through streammesh.store.open_store")
context.configure(connection=connection, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
