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


class StoreCorrupt(StoreUnavailable):
    """The database file is damaged (not a database, truncated, or a page that does not read)."""

    def __init__(self, url: str, path: str, reason: str) -> None:
        self.path = path
        super().__init__(
            url,
            f"the database file '{path}' is damaged ({reason}); stop every streammesh process "
            "using this mesh and restore the file from a backup (or, for a mesh that holds "
            "nothing yet, delete it to start empty)",
        )


class StoreDiskFull(StoreUnavailable):
    """A write failed because the disk (or the database's quota) is full; nothing was written."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, f"disk full ({reason}); nothing was written — free space and retry")


class StoreNotMigrated(StoreError):
    """The database's schema is not the one this streammesh needs, and migrating was not
    allowed (``streammesh up --no-migrate``)."""

    def __init__(self, url: str, current: str | None, head: str, *, known: bool) -> None:
        self.url = url
        self.current = current
        self.head = head
        self.newer = not known
        """Whether a newer streammesh migrated it (this version cannot use it)."""
        if not known:
            advice = "it was migrated by a newer streammesh; run that version (or newer)"
        else:
            advice = "run 'streammesh migrate' once, then start the replicas"
        super().__init__(
            f"the metadata store '{url}' is at schema revision '{current or 'none'}', and this "
            f"streammesh needs '{head}': {advice}"
        )
