"""``ServerSettings``: where the mesh is, where to listen, which log and metadata store to use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from streammesh.config import MeshConfig

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


class ServerSettings(BaseModel):
    """Settings of one server process.

    Attributes:
        mesh: the mesh directory (``$STREAMMESH_HOME`` or ``./.streammesh`` when started by
            ``streammesh up``); created if missing.
        host: the address to listen on; loopback unless told otherwise.
        port: the TCP port (0 picks a free one).
        log_url: the event log's URL; ``None`` means what the mesh's configuration says
            (``$STREAMMESH_LOG``, ``mesh.yaml``, else the embedded log ``<mesh>/log``).
        store_url: the metadata store's SQLAlchemy URL; ``None`` means what the mesh's
            configuration says (``$STREAMMESH_STORE``, ``mesh.yaml``, else ``<mesh>/meta.db``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mesh: Path
    host: str = DEFAULT_HOST
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    log_url: str | None = None
    store_url: str | None = None

    def mesh_config(self) -> MeshConfig:
        """The mesh's configuration, these settings' URLs winning over the environment and
        ``mesh.yaml``.

        Raises:
            ConfigError: the mesh's ``mesh.yaml`` cannot be used.
        """
        # Imported here so that settings can be built (and validated) without reading
        # configuration files, e.g. by ``--help``.
        from streammesh.config import MeshConfig

        return MeshConfig.load(self.mesh, log_url=self.log_url, store_url=self.store_url)

    @property
    def resolved_store_url(self) -> str:
        """The metadata store the server uses (see :attr:`store_url`)."""
        return self.mesh_config().store_url

    @property
    def url(self) -> str:
        """The base URL clients use (IPv6 literals bracketed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"
