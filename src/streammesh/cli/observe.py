"""``streammesh status``, ``streammesh lag`` and ``streammesh slo check``: how a product's
stream, a consumer group and the mesh's SLOs are doing.

In-process on a mesh directory, or through a server (``--server``) with the same documents
as ``/api/v1`` — so ``--json`` prints the same shape either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from streammesh.cli.mesh_connection import command_target, open_mesh
from streammesh.cli.options import (
    JsonOption,
    MeshOption,
    ProductArgument,
    ServerOption,
    StoreOption,
    TokenOption,
)
from streammesh.cli.output import print_json, stdout_console

slo_app = typer.Typer(
    help="Check the SLOs (freshness, availability) the products' descriptors promise.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

_STATUS_STYLES = {"met": "green", "breached": "bold red"}


def status(
    ctx: typer.Context,
    product: ProductArgument,
    window: Annotated[
        int, typer.Option("--window", min=1, max=3600, help="Seconds the rates look back.")
    ] = 60,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show a product's throughput (events/s, bytes/s), newest event, end offsets and SLOs."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        document = session.mesh.monitoring.metrics(product, window=window)
    if as_json:
        print_json(document)
        return
    console = stdout_console()
    console.print(Text(document["product"], style="bold"))
    details = Table(box=None, show_header=False)
    details.add_column(style="dim")
    details.add_column()
    seconds = f"{document['window_seconds']:g}s"
    details.add_row("events/s", f"{document['events_per_second']:.2f} (last {seconds})")
    details.add_row("bytes/s", f"{document['bytes_per_second']:.0f} (last {seconds})")
    details.add_row("last event", document["last_event_at"] or "none yet")
    ends = ", ".join(f"{p['partition']}:{p['end_offset']}" for p in document["partitions"])
    details.add_row("end offsets", ends)
    for slo in document["slos"]:
        details.add_row(f"slo {slo['slo']}", _slo_text(slo))
    console.print(details)


def lag(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(metavar="GROUP", help="The consumer group.")],
    product: Annotated[
        str | None,
        typer.Argument(
            metavar="[PRODUCT]",
            help="Only this product; default: every product the group committed on.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show a consumer group's lag by offsets (committed vs end), per partition."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        document = session.mesh.monitoring.lag(group, product)
    if as_json:
        print_json(document)
        return
    console = stdout_console()
    if not document["products"]:
        console.print(f"Consumer group '{group}' has committed on no product.")
        return
    table = Table(box=None)
    for column in ("product", "partition", "committed", "end", "lag"):
        table.add_column(column, no_wrap=True, justify="left" if column == "product" else "right")
    for found in document["products"]:
        for partition in found["partitions"]:
            committed = partition["committed_offset"]
            table.add_row(
                found["product"],
                str(partition["partition"]),
                "-" if committed is None else str(committed),
                str(partition["end_offset"]),
                str(partition["lag"]),
            )
    console.print(table)
    verdict = "caught up" if document["caught_up"] else f"{document['total_lag']} behind"
    console.print(Text(f"{group}: {verdict}", style="green" if document["caught_up"] else "yellow"))


@slo_app.command("check")
def check(
    ctx: typer.Context,
    product: Annotated[
        str | None,
        typer.Argument(metavar="[PRODUCT]", help="Only this product.", show_default=False),
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Judge the SLOs now (on a mesh directory; a server's checker judges continuously) and
    list them. Exits with 1 when an SLO is breached."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        states = session.mesh.monitoring.check_slos(product)
    if as_json:
        print_json(states)
    elif not states:
        stdout_console().print(
            "No SLO judged: no published product promises freshness or availability."
        )
    else:
        console = stdout_console()
        for state in states:  # one line each: the observations are too long for columns
            since = datetime.fromisoformat(state["since"])
            console.print(
                Text.assemble(
                    (state["product"], "bold"),
                    f" {state['slo']} ",
                    _slo_text(state),
                    f" since {since:%Y-%m-%d %H:%M} UTC",
                )
            )
    if any(state["status"] == "breached" for state in states):
        raise typer.Exit(1)


def _slo_text(slo: dict[str, Any]) -> Text:
    return Text.assemble(
        (slo["status"], _STATUS_STYLES.get(slo["status"], "")),
        f" (target {slo['target']}, {slo['observed']})",
    )
