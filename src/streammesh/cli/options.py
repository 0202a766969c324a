"""The options and arguments more than one command takes, declared once.

A command module imports these instead of declaring its own, so ``--mesh``, ``--store``,
``--server``, ``--token`` and ``--json`` read the same (flag, metavar, environment variable,
help) on every command. An option only one command takes stays in that command's module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streammesh.config import LOG_ENV, STORE_ENV

__all__ = [
    "SERVER_ENV",
    "TOKEN_ENV",
    "JsonOption",
    "LogOption",
    "MeshOption",
    "ProductArgument",
    "ServerOption",
    "StoreOption",
    "TokenOption",
]

TOKEN_ENV = "STREAMMESH_TOKEN"
"""Environment variable holding the API token used with ``--server``."""
SERVER_ENV = "STREAMMESH_SERVER"
"""Environment variable naming the server, as ``--server`` does."""

MeshOption = Annotated[
    Path | None,
    typer.Option(
        "--mesh",
        metavar="DIR",
        show_default=False,
        help="The mesh directory. Default: $STREAMMESH_HOME, else ./.streammesh.",
    ),
]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar=STORE_ENV,
        metavar="URL",
        show_default=False,
        help="Metadata store URL (sqlite:///path or postgresql+psycopg://...). "
        "Default: mesh.yaml's, else sqlite:///<mesh>/meta.db.",
    ),
]
LogOption = Annotated[
    str | None,
    typer.Option(
        "--log",
        envvar=LOG_ENV,
        metavar="URL",
        show_default=False,
        help="Event log URL (embedded:///path or kafka://host:port). "
        "Default: mesh.yaml's, else the embedded log <mesh>/log.",
    ),
]
ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        metavar="URL",
        show_default=False,
        help="Work through this streammesh server (e.g. http://127.0.0.1:8080) instead of the "
        f"local mesh. Default: ${SERVER_ENV}, unless --mesh or --store is given.",
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar=TOKEN_ENV,
        metavar="TOKEN",
        show_default=False,
        show_envvar=True,
        help="API token for --server (default: the one 'streammesh login' stored for it).",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document (stable keys) instead of text.")
]
ProductArgument = Annotated[
    str,
    typer.Argument(
        metavar="PRODUCT",
        help="The product: its name (current version) or name.vN, e.g. execution.stocktrades.v1.",
    ),
]
