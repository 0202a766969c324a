"""``open_store``: from a URL to a migrated, ready ``MetadataStore``."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from streammesh.store.engine import build_engine
from streammesh.store.errors import StoreUnavailable
from streammesh.store.migrate import upgrade_to_head
from streammesh.store.store import MetadataStore
from streammesh.store.urls import parse_store_url, redacted


def open_store(url: str) -> MetadataStore:
    """Open the metadata database at ``url`` and apply any pending migrations.

    Args:
        url: ``sqlite:///<path>`` (the file is created; its directory must exist) or
            ``postgresql+psycopg://user:password@host:port/database``.

    Raises:
        InvalidStoreUrl: the URL names no supported database.
        StoreUnavailable: the database cannot be opened, reached or migrated.
        MissingDependency: PostgreSQL without the ``postgres`` extra.

    Example:
        >>> store = open_store(default_store_url(Path(".streammesh")))
    """
    parsed = parse_store_url(url)
    store = MetadataStore(build_engine(parsed), redacted(parsed))
    try:
        upgrade_to_head(store)
    except StoreUnavailable:
        store.close()
        raise
    except DBAPIError as exc:
        store.close()
        raise StoreUnavailable(store.url, str(exc.orig or exc).strip()) from exc
    return store
