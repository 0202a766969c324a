"""``streammesh access``: request read access to a product for an application, approve,
reject, revoke and list; ``sync`` reconciles the Kafka cluster's ACL bindings with the grants.

These work in-process on the local mesh, as ``cli:<user>`` with a platform admin's rights
(whoever can open the store could change it anyway), or with ``--server`` through the server's
``/api/v1/access``, which applies the owners' rules to the token's principal. ``sync`` needs the
Kafka cluster's admin credentials and runs on the mesh's host only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from streammesh.cli.durations import DurationSyntaxError, parse_duration_ms
from streammesh.cli.mesh_connection import command_target, open_mesh
from streammesh.cli.options import JsonOption, MeshOption, ServerOption, StoreOption, TokenOption
from streammesh.cli.output import print_json, stdout_console

STATE_NAMES = ("requested", "approved", "rejected", "revoked", "expired")

app = typer.Typer(
    help="Access to data products: request, approve, reject, revoke, list; sync Kafka ACLs.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

NoteOption = Annotated[
    str | None,
    typer.Option("--note", metavar="TEXT", show_default=False, help="Why; kept with the request."),
]


def parse_expiry(value: str, now: datetime) -> datetime:
    """``--expires``: a duration from now (``30d``), a date (the grant ends at the start of
    that day, UTC) or an ISO 8601 moment."""
    try:
        ms = parse_duration_ms(value)
    except DurationSyntaxError:
        pass
    else:
        if ms is not None:
            return now + timedelta(milliseconds=ms)
        raise typer.BadParameter(
            "leave --expires out for a grant without end", param_hint="'--expires'"
        )
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is neither a duration (30d, 12h) nor a date (2027-06-30)",
            param_hint="'--expires'",
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _moment(text: str | None) -> str:
    """An API document's moment as the tables show it (UTC, to the minute)."""
    if not text:
        return ""
    return f"{datetime.fromisoformat(text).astimezone(UTC):%Y-%m-%d %H:%M}"


def _show(request: dict[str, Any], verb: str) -> None:
    state = request["state"]
    line = Text.assemble(
        (f"{verb} ", "green" if state == "approved" else "yellow"),
        (request["id"], "bold"),
        f": {request['principal']} → {request['product']} ({state})",
    )
    if request["expires_at"]:
        line.append(f", expires {_moment(request['expires_at'])} UTC")
    stdout_console().print(line)


@app.command("request")
def request(
    ctx: typer.Context,
    product: Annotated[
        str, typer.Argument(metavar="PRODUCT", help="name (current version) or name.vN.")
    ],
    application: Annotated[
        str, typer.Option("--as", metavar="APP", help="The application's service account.")
    ],
    purpose: Annotated[str, typer.Option("--purpose", metavar="TEXT", help="What it is for.")],
    classified: Annotated[
        bool, typer.Option("--classified", help="Classified fields are needed in clear.")
    ] = False,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Request read access; approved at once when the product needs no approval."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        created = session.mesh.access.request(
            product, application, purpose=purpose, classified=classified
        )
    if as_json:
        print_json(created)
        return
    _show(created, "approved" if created["state"] == "approved" else "requested")
    if created["state"] == "requested":
        stdout_console().print(
            f"The owners decide: 'streammesh access approve {created['id']}' or 'reject'."
        )


@app.command("approve")
def approve(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(metavar="REQUEST_ID")],
    note: NoteOption = None,
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            metavar="DURATION|DATE",
            show_default=False,
            help="When the grant ends: 90d, or 2027-06-30 (default: until revoked).",
        ),
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Approve a pending request."""
    expires_at = None if expires is None else parse_expiry(expires, datetime.now(UTC))
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        done = session.mesh.access.approve(request_id, note=note, expires_at=expires_at)
    if as_json:
        print_json(done)
    else:
        _show(done, "approved")


@app.command("reject")
def reject(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(metavar="REQUEST_ID")],
    note: NoteOption = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Reject a pending request."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        done = session.mesh.access.reject(request_id, note=note)
    if as_json:
        print_json(done)
    else:
        _show(done, "rejected")


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    grant_id: Annotated[str, typer.Argument(metavar="GRANT_ID")],
    note: NoteOption = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Revoke a grant at once."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        done = session.mesh.access.revoke(grant_id, note=note)
    if as_json:
        print_json(done)
    else:
        _show(done, "revoked")


@app.command("list")
def list_requests(
    ctx: typer.Context,
    product: Annotated[
        str | None,
        typer.Option("--product", metavar="PRODUCT", show_default=False, help="name or name.vN."),
    ] = None,
    state: Annotated[
        str | None,
        typer.Option(
            "--state", metavar="STATE", show_default=False, help=f"One of {', '.join(STATE_NAMES)}."
        ),
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List access requests and grants (records the expiries that are due first)."""
    from streammesh.access import AccessState

    if state is not None and state not in STATE_NAMES:
        raise typer.BadParameter(
            f"'{state}' is not a state; use one of {', '.join(STATE_NAMES)}",
            param_hint="'--state'",
        )
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        found = session.mesh.access.requests(
            product=product, state=AccessState(state) if state is not None else None
        )
    if as_json:
        print_json(found)
        return
    if not found:
        stdout_console().print("No access requests.")
        return
    table = Table(box=None)
    for column in ("id", "application", "product", "classified", "state", "expires", "purpose"):
        # Ids and names are copied into the next command: wrap them, never cut them.
        table.add_column(column, overflow="fold")
    for item in found:
        table.add_row(
            Text(item["id"], style="bold"),
            item["principal"],
            item["product"],
            "yes" if item["classified"] else "no",
            item["state"],
            _moment(item["expires_at"]),
            item["purpose"],
        )
    stdout_console().print(table)


@app.command("sync")
def sync(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the changes only; change nothing.")
    ] = False,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Make the Kafka cluster's ACL bindings match the grants (kafka.acls in mesh.yaml): list
    the bindings to create and to delete, then apply them unless --dry-run."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        report = session.mesh.access.sync_acls(dry_run=dry_run)
    if as_json:
        print_json(report.document())
        return
    console = stdout_console()
    if report.in_sync:
        console.print(
            f"The cluster's ACL bindings match the grants ({report.kept} managed, "
            f"{report.unmanaged} others left alone)."
        )
        return
    table = Table("change", "principal", "resource", "pattern", "operation", box=None)
    for verb, bindings in (("create", report.create), ("delete", report.delete)):
        for binding in bindings:
            table.add_row(
                Text(verb, style="green" if verb == "create" else "red"),
                binding.principal,
                f"{binding.resource_type.value} {binding.resource_name}",
                binding.pattern_type.value,
                binding.operation.value.upper(),
            )
    console.print(table)
    done = "applied" if report.applied else "not applied (--dry-run)"
    console.print(
        f"{len(report.create)} to create, {len(report.delete)} to delete: {done}; "
        f"{report.kept} already right, {report.unmanaged} others left alone."
    )
