"""Errors of the metadata store: URLs that cannot be used, databases that cannot be reached."""

from __future__ import annotations

from streammesh.errors import MeshError


class StoreError(MeshError):
    """Base of every metadata-store error."""


class InvalidStoreUrl(StoreError):
    """A store URL that does not name a supported database."""

    exit_code = 2

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"cannot use metadata store URL '{url}': {reason}; use 'sqlite:///<path>' or "
            "'postgresql+psycopg://user:password@host:port/database'"
        )


class StoreUnavailable(StoreError):
    """The database could not be opened, reached or migrated."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot open metadata store '{url}': {reason}")
