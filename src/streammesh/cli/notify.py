"""``streammesh subscriptions``, ``inbox``, ``incident`` and ``notify``: notifications.

Each command works on the local mesh in-process (as its operator) or, with ``--server``,
through the REST API as the token's principal (:func:`open_mesh` decides), and only renders
what the SDK's notifications client answers. ``streammesh notify run`` is a delivery worker:
it joins the ``streammesh-notify`` consumer group on the local mesh's ``_mesh.events`` and
sends with this machine's ``mesh.yaml`` settings, so it works on a local mesh only (a server
delivers notifications itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from streammesh.cli.errors import CliError
from streammesh.cli.interrupt import EXIT_INTERRUPTED, GracefulInterrupt
from streammesh.cli.mesh_connection import MeshTarget, cli_actor, command_target, open_mesh
from streammesh.cli.options import (
    JsonOption,
    MeshOption,
    ServerOption,
    StoreOption,
    TokenOption,
)
from streammesh.cli.output import print_json, stdout_console

if TYPE_CHECKING:
    from streammesh.notify import DeliveryReport
    from streammesh.runtime import MeshRuntime

SCOPES = ("product", "domain", "mesh")
_HELP = {"help_option_names": ["-h", "--help"]}

subscriptions_app = typer.Typer(
    help="Subscriptions to mesh events: add, list, remove.",
    no_args_is_help=True,
    context_settings=_HELP,
)
incident_app = typer.Typer(
    help="Incidents on data products.", no_args_is_help=True, context_settings=_HELP
)
notify_app = typer.Typer(
    help="Notification delivery: run a worker, dead letters, re-drive.",
    no_args_is_help=True,
    context_settings=_HELP,
)


class LocalWorkerOnly(CliError):
    """A command that runs where the mesh is was asked to go through a server."""

    def __init__(self, command: str, server: str) -> None:
        self.command = command
        self.server = server
        super().__init__(
            f"'streammesh {command}' delivers from this machine with its mesh.yaml's SMTP and "
            f"webhook settings, so it works on a local mesh only, not through {server} (the "
            "server delivers notifications itself); pass --mesh DIR, or unset "
            "$STREAMMESH_SERVER"
        )


def _subscription_line(sub: dict[str, Any]) -> Text:
    channels = [
        name
        for name, on in (
            (f"webhook {sub['webhook_url']}", sub["webhook_url"]),
            (f"email {sub['email']}", sub["email"]),
            ("inbox", sub["inbox"]),
        )
        if on
    ]
    return Text.assemble(
        (sub["id"], "bold"), f": {sub['subscriber']} ← {_scope(sub)} → {', '.join(channels)}"
    )


def _scope(sub: dict[str, Any]) -> str:
    return str(sub["scope"]) + (f" {sub['target']}" if sub["target"] else "")


@subscriptions_app.command("add")
def add(
    ctx: typer.Context,
    subscriber: Annotated[
        str, typer.Argument(metavar="WHO", help="The principal or team to notify.")
    ],
    product: Annotated[
        str | None,
        typer.Option("--product", metavar="PRODUCT", help="A product: name or name.vN."),
    ] = None,
    domain: Annotated[
        str | None, typer.Option("--domain", metavar="DOMAIN", help="Every product of a domain.")
    ] = None,
    events: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            metavar="TYPE",
            help="An event type, e.g. product.deprecated (repeat; default: the notifiable ones).",
        ),
    ] = None,
    webhook: Annotated[
        str | None, typer.Option("--webhook", metavar="URL", help="POST events to this URL.")
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", metavar="ADDRESS", help="E-mail events here.")
    ] = None,
    inbox: Annotated[bool, typer.Option("--inbox", help="Write to the in-app inbox.")] = False,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Subscribe a principal or team to a product's, a domain's or (neither given) the
    whole mesh's events; prints the webhook's signing secret once."""
    from streammesh.audit import AuditAction
    from streammesh.notify import InvalidSubscription, ScopeKind

    if product and domain:
        raise typer.BadParameter("give --product or --domain, not both", param_hint="'--domain'")
    scope = ScopeKind.PRODUCT if product else ScopeKind.DOMAIN if domain else ScopeKind.MESH
    try:
        kinds = [AuditAction(value) for value in events or ()]
    except ValueError as exc:
        raise InvalidSubscription("events", f"holds an unknown type ({exc})") from None
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        created = session.mesh.notifications.subscribe(
            subscriber,
            scope,
            product or domain,
            events=kinds,
            webhook_url=webhook,
            email=email,
            inbox=inbox,
        )
    if as_json:
        print_json(created)
        return
    console = stdout_console()
    console.print(Text.assemble(("subscribed ", "green"), _subscription_line(created)))
    if created["webhook_secret"]:
        console.print(f"Webhook signing secret (shown once): {created['webhook_secret']}")


@subscriptions_app.command("list")
def list_subscriptions(
    ctx: typer.Context,
    subscriber: Annotated[
        str | None, typer.Option("--subscriber", metavar="WHO", help="Only this one's.")
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List subscriptions, oldest first (every one needs governance or a platform admin
    through a server; --subscriber names whose)."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        found = session.mesh.notifications.subscriptions(subscriber=subscriber)
    if as_json:
        print_json(found)
        return
    table = Table("id", "subscriber", "scope", "events", "channels")
    for sub in found:
        channels = ", ".join(
            filter(None, (sub["webhook_url"], sub["email"], "inbox" if sub["inbox"] else None))
        )
        events = ", ".join(sub["events"]) or "(notifiable)"
        table.add_row(sub["id"], sub["subscriber"], _scope(sub), events, channels)
    stdout_console().print(table if found else "No subscriptions.")


@subscriptions_app.command("remove")
def remove(
    ctx: typer.Context,
    subscription_id: Annotated[str, typer.Argument(metavar="ID", help="The subscription.")],
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Remove a subscription."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        removed = session.mesh.notifications.unsubscribe(subscription_id)
    stdout_console().print(Text.assemble(("removed ", "yellow"), _subscription_line(removed)))


def inbox(
    ctx: typer.Context,
    principal: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="PRINCIPAL",
            help="Whose inbox (default: cli:<user>; through a server the token's own only).",
        ),
    ] = None,
    unread: Annotated[bool, typer.Option("--unread", help="Only unread items.")] = False,
    mark_read: Annotated[
        int | None, typer.Option("--mark-read", metavar="ID", help="Mark this item read.")
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show a principal's in-app notifications (and its team's), newest first."""
    target = command_target(ctx, mesh, store, server=server, token=token)
    with open_mesh(target) as session:
        notifications = session.mesh.notifications
        if mark_read is not None:
            notifications.mark_read(mark_read, principal)
        items = notifications.inbox(principal, unread_only=unread)
    if as_json:
        print_json(items)
        return
    if not items:
        whose = principal or (cli_actor() if target.remote_server() is None else "this token")
        stdout_console().print(f"No notifications for {whose}.")
        return
    table = Table("id", "when", "to", "notification", "")
    for item in items:
        table.add_row(
            str(item["id"]),
            f"{datetime.fromisoformat(item['created_at']):%Y-%m-%d %H:%M}",
            item["recipient"],
            item["title"],
            "" if item["read_at"] else "unread",
        )
    stdout_console().print(table)


@incident_app.command("declare")
def declare(
    ctx: typer.Context,
    product: Annotated[str, typer.Argument(metavar="PRODUCT", help="name or name.vN.")],
    message: Annotated[
        str, typer.Option("--message", "-m", metavar="TEXT", help="What consumers see.")
    ],
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Declare an incident on a product: its consumers and subscribers are notified."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        record = session.mesh.notifications.declare_incident(product, message=message)
    if as_json:
        print_json(record)
        return
    stdout_console().print(
        Text.assemble(("incident declared ", "red"), (record["subject"], "bold"), f": {message}")
    )


def _report_lines(report: DeliveryReport) -> list[str]:
    """What a round did, one line per channel that had something to do (the first line: the
    events read)."""
    lines = [f"{report.events} {_plural(report.events, 'event')} read"]
    if report.inbox:
        lines.append(f"inbox: {report.inbox} added")
    for name, channel in (("webhook", report.webhook), ("email", report.email)):
        if not channel.attempted:
            continue
        line = f"{name}: {channel.delivered} delivered"
        if channel.failed:
            outcomes = []
            if channel.retried:
                outcomes.append("retried later")
            if channel.dead:
                outcomes.append(f"{channel.dead} dead-lettered")
            attempts = _plural(channel.failed, "failed attempt")
            line += f", {channel.failed} {attempts} ({', '.join(outcomes)})"
        lines.append(line)
    if len(lines) == 1:
        lines.append("nothing to deliver")
    return lines


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


@notify_app.command("run")
def run(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is pending, then exit.")
    ] = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Deliver notifications from _mesh.events until Ctrl-C (a worker of the
    streammesh-notify consumer group; a local mesh only)."""
    from streammesh.notify import Notifier, deliver_pending, load_notify_settings

    target = command_target(ctx, mesh, store, server=server, token=token)
    with _local_runtime(target, "notify run") as local:
        settings = load_notify_settings(local.config.home)
        if once:
            report = deliver_pending(local, settings)
            typer.echo("\n".join(_report_lines(report)))
            return
        console = stdout_console()
        console.print(f"Delivering notifications (group {settings.group}); Ctrl-C stops.")
        with (
            GracefulInterrupt() as interrupt,
            Notifier(local.store, local.log, local.plane, settings) as notifier,
        ):
            while not interrupt.requested:
                local.plane.relay_events()
                report = notifier.run_once(timeout=1.0)
                if report.inbox or report.webhook.attempted or report.email.attempted:
                    typer.echo("; ".join(_report_lines(report)[1:]))
    raise typer.Exit(EXIT_INTERRUPTED)


@contextmanager
def _local_runtime(target: MeshTarget, command: str) -> Iterator[MeshRuntime]:
    """The local mesh's services for a command that runs where the mesh is."""
    from streammesh.sdk import InProcessMesh

    server = target.remote_server()
    if server is not None:
        raise LocalWorkerOnly(command, server)
    with open_mesh(target) as session:
        assert isinstance(session.mesh, InProcessMesh)  # no server: open_mesh opens it here
        yield session.mesh.local


@notify_app.command("dead-letters")
def dead_letters(
    ctx: typer.Context,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List deliveries that failed every attempt (governance or a platform admin through a
    server)."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        found = session.mesh.notifications.dead_letters()
    if as_json:
        print_json(found)
        return
    table = Table("id", "event", "channel", "address", "attempts", "last error")
    for delivery in found:
        table.add_row(
            delivery["id"],
            f"{delivery['event_id']} {delivery['event_type']}",
            delivery["channel"],
            delivery["address"],
            str(delivery["attempts"]),
            delivery["last_error"] or "",
        )
    stdout_console().print(table if found else "No dead letters.")


@notify_app.command("redrive")
def redrive(
    ctx: typer.Context,
    delivery_id: Annotated[str, typer.Argument(metavar="ID", help="The dead letter.")],
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Queue a dead letter again with a fresh set of attempts."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        queued = session.mesh.notifications.redrive(delivery_id)
    stdout_console().print(f"re-queued {queued['id']} ({queued['channel']} to {queued['address']})")
