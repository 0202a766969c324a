"""``open_store``: from a URL to a migrated, ready ``MetadataStore``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from streammesh.sqlite_file import FileProblemError, SqliteFile, is_disk_full
from streammesh.store.engine import build_engine
from streammesh.store.errors import StoreCorrupt, StoreDiskFull, StoreError, StoreUnavailable
from streammesh.store.migrate import check_at_head, upgrade_to_head
from streammesh.store.store import MetadataStore
from streammesh.store.timeouts import MAINTENANCE, StoreTimeouts
from streammesh.store.urls import parse_store_url, redacted


def open_store(
    url: str, *, migrate: bool = True, timeouts: StoreTimeouts = MAINTENANCE
) -> MetadataStore:
    """Open the metadata database at ``url`` and apply any pending migrations.

    Args:
        url: ``sqlite:///<path>`` (the file is created, mode 0600, and its directory 0700) or
            ``postgresql+psycopg://user:password@host:port/database``.
        migrate: Whether to migrate; ``False`` refuses a database that is not at this
            version's schema instead (replicas started after ``streammesh migrate``).
        timeouts: How long PostgreSQL may take (:data:`~streammesh.store.timeouts.MAINTENANCE`:
            connecting and a gone peer only; a server bounds its requests with
            :meth:`StoreTimeouts.for_requests`). Migrations always run unbounded, on a
            connection of their own.

    Raises:
        InvalidStoreUrl: the URL names no supported database.
        StoreCorrupt: the SQLite file is damaged or empty (0 bytes): it is never started
            afresh over, so a truncated mesh does not silently lose its metadata.
        StoreDiskFull: no space to create or migrate the database.
        StoreUnavailable: the database cannot be opened, reached or migrated.
        MissingDependency: PostgreSQL without the ``postgres`` extra.
        StoreNotMigrated: ``migrate`` is off and the schema is not this version's.

    Example:
        >>> store = open_store(default_store_url(Path(".streammesh")))
    """
    parsed = parse_store_url(url)
    file = _prepare_file(parsed)
    store = MetadataStore(build_engine(parsed, timeouts), redacted(parsed), file)
    try:
        if migrate and timeouts.bounded and store.backend == "postgresql":
            # A migration may rewrite a big table: longer than a request's statement.
            with MetadataStore(build_engine(parsed), store.url) as maintenance:
                upgrade_to_head(maintenance)
        elif migrate:
            upgrade_to_head(store)
        else:
            check_at_head(store)
    except StoreError:
        store.close()
        raise
    except DBAPIError as exc:
        store.close()
        raise StoreUnavailable(store.url, str(exc.orig or exc).strip()) from exc
    return store


def _prepare_file(url: URL) -> SqliteFile | None:
    """The SQLite file of ``url``, created whole and private if missing (``None`` for
    PostgreSQL and in-memory databases)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    assert url.database is not None
    file = SqliteFile(Path(url.database).absolute())
    try:
        # WAL is a property of the file: set before the file is linked into place.
        file.prepare("PRAGMA journal_mode=WAL;")
    except FileProblemError as exc:
        raise StoreCorrupt(redacted(url), str(file.path), exc.problem.reason) from exc
    except OSError as exc:
        if is_disk_full(exc):
            raise StoreDiskFull(redacted(url), exc.strerror or str(exc)) from exc
        raise StoreUnavailable(
            redacted(url), f"unable to open database file '{file.path}': {exc.strerror or exc}"
        ) from exc
    return file
