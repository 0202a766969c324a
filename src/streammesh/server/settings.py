"""``ServerSettings``: where the mesh is, where to listen, which metadata store to use."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


class ServerSettings(BaseModel):
    """Settings of one server process.

    Attributes:
        mesh: the mesh directory (``$STREAMMESH_HOME`` or ``./.streammesh`` when started by
            ``streammesh up``); created if missing.
        host: the address to listen on; loopback unless told otherwise.
        port: the TCP port (0 picks a free one).
        store_url: the metadata store's SQLAlchemy URL; ``None`` means the SQLite file
            ``<mesh>/meta.db``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mesh: Path
    host: str = DEFAULT_HOST
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    store_url: str | None = None

    @property
    def resolved_store_url(self) -> str:
        """``store_url``, or the default SQLite file inside the mesh directory."""
        # Imported here so that settings can be built (and validated) without the store's
        # SQLAlchemy import cost, e.g. by ``--help``.
        from streammesh.store import default_store_url

        return self.store_url or default_store_url(self.mesh)

    @property
    def url(self) -> str:
        """The base URL clients use (IPv6 literals bracketed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"
