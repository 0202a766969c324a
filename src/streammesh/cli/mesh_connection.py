"""How a command gets its mesh: :func:`open_mesh` is the one place that decides.

Today every command works in-process on the local mesh through the SDK's
:meth:`streammesh.sdk.Mesh.open`, with the same defaults as ``streammesh up`` (``--mesh``,
``--store``, the global ``--log``, ``$STREAMMESH_*``, ``mesh.yaml``). The commands only see
:class:`MeshSession`, so going through a server instead (``Mesh.connect`` with ``--server URL
--token T`` or a stored login) changes this module and no command.

In-process changes are recorded as made by ``cli:<OS user name>``.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import typer

from streammesh.cli.settings import CliSettings
from streammesh.config import MeshConfig
from streammesh.control import ProductNotFound
from streammesh.products.names import SEGMENT_PATTERN
from streammesh.sdk import Mesh
from streammesh.sdk.client import MeshClient

if TYPE_CHECKING:
    from streammesh.control import ProductRecord
    from streammesh.log.base import ConsumerOptions
    from streammesh.registry.base import SchemaRegistry
    from streammesh.sdk import ProductConsumer, ProductProducer

ACTOR_PREFIX = "cli:"
_PRODUCT_REFERENCE = re.compile(rf"{SEGMENT_PATTERN}\.{SEGMENT_PATTERN}(?:\.v[1-9][0-9]*)?")


def cli_actor() -> str:
    """``cli:<OS user name>``: who in-process commands record as having made a change."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (e.g. a container's arbitrary user)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{ACTOR_PREFIX}{user}"


class CommandMesh(MeshClient, Protocol):
    """The SDK's mesh as commands use it: the control plane, plus producers and consumers."""

    def producer(self, reference: str) -> ProductProducer: ...

    def consumer(
        self,
        reference: str,
        group: str,
        *,
        from_beginning: bool = True,
        options: ConsumerOptions | None = None,
    ) -> ProductConsumer: ...


@dataclass(frozen=True, slots=True)
class MeshSession:
    """An open mesh and what the command line needs next to it.

    Attributes:
        mesh: The SDK's mesh.
        registry: Its schema registry, which ``plan``/``apply`` validate against first.
        location: Where the mesh is, for messages (its directory or server URL).
    """

    mesh: CommandMesh
    registry: SchemaRegistry
    location: str


@dataclass(frozen=True, slots=True)
class MeshTarget:
    """Which mesh the command line's options name.

    Attributes:
        mesh: ``--mesh`` (default ``$STREAMMESH_HOME``, else ``./.streammesh``).
        store: ``--store`` / ``$STREAMMESH_STORE``.
        log: The global ``--log`` / ``$STREAMMESH_LOG``.
    """

    mesh: Path | None = None
    store: str | None = None
    log: str | None = None

    def config(self) -> MeshConfig:
        """The mesh's configuration (``ConfigError`` when ``mesh.yaml`` is invalid)."""
        return MeshConfig.load(self.mesh, log_url=self.log, store_url=self.store)

    def exists(self) -> bool:
        """Whether the mesh has been created (its SQLite store exists, or it is a server's).

        Commands that only look (``produce``/``consume`` deciding whether a name is a
        product) ask first, so they never leave a stray ``.streammesh`` behind.
        """
        from sqlalchemy.engine import make_url

        url = self.config().store_url
        if not url.startswith("sqlite"):
            return True
        database = make_url(url).database
        return database is not None and Path(database).is_file()


def command_target(ctx: typer.Context, mesh: Path | None, store: str | None) -> MeshTarget:
    """The mesh a command's ``--mesh``/``--store`` and the global ``--log`` name."""
    return MeshTarget(mesh=mesh, store=store, log=ctx.ensure_object(CliSettings).log_url)


@contextmanager
def open_mesh(target: MeshTarget) -> Iterator[MeshSession]:
    """The mesh ``target`` names, open for the ``with`` block (created when missing).

    Raises:
        ConfigError: ``mesh.yaml`` is invalid.
        StoreError: The metadata store cannot be opened or migrated.
        LogError: The event log cannot be opened.
    """
    config = target.config()
    mesh = Mesh.open(
        config.home, log_url=config.log_url, store_url=config.store_url, actor=cli_actor()
    )
    try:
        yield MeshSession(mesh, mesh.local.registry, str(config.home))
    finally:
        mesh.close()


@contextmanager
def open_product(
    target: MeshTarget, name: str
) -> Iterator[tuple[MeshSession, ProductRecord] | None]:
    """The mesh and the product ``name`` names, or ``None`` when ``name`` is no product of it.

    ``produce`` and ``consume`` take a product or a topic: a name not shaped like a product
    reference (``domain.product`` or ``domain.product.vN``), a mesh not created yet, or a
    name the mesh does not know, is a topic; no mesh is created to find that out.
    """
    if not _PRODUCT_REFERENCE.fullmatch(name) or not target.exists():
        yield None
        return
    with open_mesh(target) as session:
        try:
            record = session.mesh.product(name)
        except ProductNotFound:
            found = None
        else:
            found = (session, record)
        yield found


__all__ = [
    "CommandMesh",
    "MeshSession",
    "MeshTarget",
    "cli_actor",
    "command_target",
    "open_mesh",
    "open_product",
]
