"""Store URLs: which databases the metadata store accepts, and the mesh's default one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from streammesh.store.errors import InvalidStoreUrl

_POSTGRES_DRIVER = "postgresql+psycopg"


def default_store_url(home: Path) -> str:
    """The metadata store of a mesh directory: ``sqlite:///<home>/meta.db``."""
    return f"sqlite:///{home / 'meta.db'}"


def parse_store_url(url: str) -> URL:
    """Parse ``url`` and pin the driver streammesh ships with (psycopg 3 for PostgreSQL).

    ``postgres://`` and ``postgresql://`` mean psycopg 3 here, not SQLAlchemy's default
    psycopg2, which streammesh does not depend on.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidStoreUrl(url, "it is not a database URL") from exc
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise InvalidStoreUrl(url, f"SQLite driver '{driver}' is not supported")
        return parsed.set(drivername="sqlite")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise InvalidStoreUrl(url, f"PostgreSQL driver '{driver}' is not supported")
        if not parsed.database:
            raise InvalidStoreUrl(url, "it names no database")
        return parsed.set(drivername=_POSTGRES_DRIVER)
    raise InvalidStoreUrl(url, f"database '{backend}' is not supported")


def redacted(url: URL) -> str:
    """``url`` as text with its password hidden, for messages."""
    return url.render_as_string(hide_password=True)
