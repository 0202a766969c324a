"""``streammesh forget PRODUCT KEY``: crypto-shred one entity's classified fields.

It destroys the entity's data keys (for every major version of the product), so every copy
of its encrypted fields — live log, compacted history, copies elsewhere — reads as masked
from then on. It is final, works on the local mesh (``--mesh``/``--store``), and is audited.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from streammesh.cli.mesh_connection import cli_actor, command_target
from streammesh.cli.options import JsonOption, MeshOption, StoreOption
from streammesh.cli.output import print_json, stdout_console
from streammesh.privacy import KeyStore
from streammesh.privacy import forget as forget_entity
from streammesh.runtime import MeshRuntime


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
) -> None:
    """Destroy an entity's data keys: its classified fields become unreadable everywhere."""
    config = command_target(ctx, mesh, store).config()
    with MeshRuntime.open(config) as local:
        record = local.plane.product(product)
        done = forget_entity(
            KeyStore(local.store),
            record.reference,
            record.contract.key_type,
            key,
            actor=cli_actor(),
        )
    if as_json:
        print_json({"product": done.product, "key": done.key, "versions": done.versions})
        return
    console = stdout_console()
    console.soft_wrap = True
    console.print(
        Text.assemble(("forgot ", "red"), (key, "bold"), f" in {done.product}: ")
        + Text(f"{done.versions} data key version(s) destroyed")
    )
    if done.versions == 0:
        console.print(Text("No encrypted field of this key was ever written.", style="dim"))
