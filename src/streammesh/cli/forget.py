"""``streammesh forget PRODUCT KEY``: crypto-shred one entity's classified fields.

It destroys the entity's data keys (for every major version of the product), so every copy
of its encrypted fields — live log, compacted history, copies elsewhere — reads as masked
from then on. It is final and audited, and works on the local mesh (``--mesh``/``--store``)
or through a server (``--server``, as the token's principal: a domain owner on its domains'
products, governance and platform admins on any).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from streammesh.cli.mesh_connection import command_target, open_mesh
from streammesh.cli.options import (
    JsonOption,
    MeshOption,
    ServerOption,
    StoreOption,
    TokenOption,
)
from streammesh.cli.output import print_json, stdout_console


def forget(
    ctx: typer.Context,
    product: Annotated[
        str,
        typer.Argument(
            metavar="PRODUCT", help="The product, e.g. customers.profiles (any version)."
        ),
    ],
    key: Annotated[
        str, typer.Argument(metavar="KEY", help="The entity's key as its events carry it.")
    ],
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Destroy an entity's data keys: its classified fields become unreadable everywhere."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        done = session.mesh.privacy.forget(product, key)
    if as_json:
        print_json(done)
        return
    console = stdout_console()
    console.soft_wrap = True
    console.print(
        Text.assemble(("forgot ", "red"), (key, "bold"), f" in {done['product']}: ")
        + Text(f"{done['versions']} data key version(s) destroyed")
    )
    if done["versions"] == 0:
        console.print(Text("No encrypted field of this key was ever written.", style="dim"))
