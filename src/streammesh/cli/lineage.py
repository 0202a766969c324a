"""``streammesh lineage``: a product's lineage, impact analysis and the OpenLineage export.

``streammesh lineage PRODUCT`` is short for ``streammesh lineage show PRODUCT``. Works
in-process on the local mesh or, with ``--server``, through a server's ``/api/v1/lineage``
routes; both print the same JSON with ``--json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

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

if TYPE_CHECKING:
    # The lineage package loads the control plane: imported when a command runs.
    from streammesh.lineage import Direction


class _ShowByDefault(typer.core.TyperGroup):
    """Reads ``lineage PRODUCT ...`` as ``lineage show PRODUCT ...`` (product names have
    dots, so they never collide with the sub-command names)."""

    # ``ctx`` is Typer's vendored Click context, which Typer does not export by name.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_ShowByDefault,
    help="Lineage: who produces and consumes a product, what derives from it, and the impact "
    "of changing it. 'streammesh lineage PRODUCT' shows a product's lineage.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("show")
def show(
    ctx: typer.Context,
    product: ProductArgument,
    upstream: Annotated[
        bool, typer.Option("--upstream", help="Only what the product comes from.")
    ] = False,
    downstream: Annotated[
        bool, typer.Option("--downstream", help="Only what depends on the product.")
    ] = False,
    depth: Annotated[
        int | None,
        typer.Option("--depth", min=1, max=100, metavar="N", help="At most N hops (default: all)."),
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show a product's lineage as a tree (upstream, downstream, or both).

    Each line names the node, the edge's kind and its activity: active or not, consumer-group
    lag by offsets, when last seen.
    """
    if upstream and downstream:
        raise typer.BadParameter("give --upstream or --downstream, not both (neither: both ways)")
    from streammesh.lineage import Direction

    direction = (
        Direction.UPSTREAM if upstream else Direction.DOWNSTREAM if downstream else Direction.BOTH
    )
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        document = session.mesh.lineage.graph(product, direction=direction, depth=depth)
    if as_json:
        print_json(document)
        return
    stdout_console().print(render_tree(document, direction))


@app.command("impact")
def impact(
    ctx: typer.Context,
    product: ProductArgument,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List everything downstream of a product, with owners and contacts.

    Applications and derived products, transitively: who to tell before deprecating the
    product or breaking its schema.
    """
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        document = session.mesh.lineage.impact(product)
    if as_json:
        print_json(document)
        return
    found = document["dependents"]
    console = stdout_console()
    if not found:
        console.print(f"Nothing is downstream of {document['product']}.")
        return
    table = Table(title=f"Downstream of {document['product']}", title_justify="left")
    table.add_column("depth", justify="right")
    table.add_column("kind")
    # Names and e-mails are what a reader copies: wrap them rather than cut them.
    for column in ("name", "team", "contact"):
        table.add_column(column, overflow="fold")
    for item in found:
        table.add_row(
            str(item["depth"]),
            item["kind"],
            Text(item["name"], style="bold"),
            item["team"] or "-",
            item["contact"] or "-",
        )
    console.print(table)


@app.command("export")
def export(
    ctx: typer.Context,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Print the lineage's jobs and datasets as OpenLineage run events (a JSON list)."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        print_json(session.mesh.lineage.export())


def render_tree(document: dict[str, Any], direction: Direction) -> Tree:
    """A product's lineage graph document as a Rich tree: upstream and downstream branches
    under the product, each line naming the node, the edge kind and its activity."""
    from streammesh.lineage import Direction

    nodes = {node["id"]: node for node in document["nodes"]}
    center = document["center"]
    root = Tree(Text(nodes[center]["name"], style="bold"))
    ways = [
        (way, label)
        for way, label in ((Direction.UPSTREAM, "upstream"), (Direction.DOWNSTREAM, "downstream"))
        if direction in (way, Direction.BOTH)
    ]
    for way, label in ways:
        branch = root.add(Text(label, style="dim"))
        _grow(branch, center, way, document["edges"], nodes, {center})
        if not branch.children:
            branch.add(Text("nothing", style="dim"))
    return root


def _grow(
    branch: Tree,
    node_id: str,
    way: Direction,
    edges: list[dict[str, Any]],
    nodes: dict[str, dict[str, Any]],
    seen: set[str],
) -> None:
    from streammesh.lineage import Direction

    near, far = ("target", "source") if way is Direction.UPSTREAM else ("source", "target")
    for edge in edges:
        if edge[near] != node_id or edge[far] in seen:
            continue
        other = nodes[edge[far]]
        child = branch.add(_label(other, edge))
        _grow(child, other["id"], way, edges, nodes, seen | {other["id"]})


def _label(node: dict[str, Any], edge: dict[str, Any]) -> Text:
    text = Text()
    text.append(f"{node['kind']} ", style="dim")
    text.append(node["name"], style="bold")
    if node.get("namespace"):
        text.append(f" ({node['namespace']})", style="dim")
    activity = edge["activity"]
    facts = [edge["kind"]]
    if activity["active"] is not None:
        facts.append("active" if activity["active"] else "inactive")
    if activity["lag"] is not None:
        facts.append(f"lag {activity['lag']}")
    if activity["last_seen"]:
        facts.append(f"last seen {activity['last_seen'][:19].replace('T', ' ')}")
    if node.get("team"):
        facts.append(f"team {node['team']}")
    text.append(f"  {', '.join(facts)}", style="cyan")
    return text
