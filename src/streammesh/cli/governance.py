"""``streammesh governance``: the mesh's policies, its compliance report and governance proposals.

Works in-process on the local mesh (changes recorded as ``cli:<user>``) or, with ``--server``,
through a server's ``/api/v1/governance`` routes (which check the token's role: the global
policy needs ``governance`` or ``platform-admin``, a domain's also ``domain-owner``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from streammesh.cli.mesh_connection import command_target, open_mesh
from streammesh.cli.options import JsonOption, MeshOption, ServerOption, StoreOption, TokenOption
from streammesh.cli.output import print_json, stdout_console
from streammesh.errors import ConfigError
from streammesh.governance import ProposalStatus

_CONTEXT = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    help="Policies as code, the compliance report and governance proposals.",
    invoke_without_command=True,
    context_settings=_CONTEXT,
)
proposals_app = typer.Typer(
    help="Governance proposals: the decisions behind rules.",
    invoke_without_command=True,
    context_settings=_CONTEXT,
)
app.add_typer(proposals_app, name="proposals")

DomainOption = Annotated[
    str | None,
    typer.Option("--domain", metavar="DOMAIN", show_default=False, help="A domain's policy."),
]


@app.callback()
@proposals_app.callback()
def _group(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


@app.command("set-policy")
def set_policy(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The policy (governance.yaml).")],
    domain: DomainOption = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Set the mesh's global policy, or a domain's (which may only add or tighten rules)."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read policy file '{file}': {exc.strerror or exc}") from exc
    from streammesh.governance import parse_policy  # loads pydantic's policy model

    policy = parse_policy(text, origin=str(file))
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        stored = session.mesh.governance.set_policy(policy.explicit(), domain=domain)
    if as_json:
        print_json(stored)
        return
    scope = f"domain '{domain}'" if domain else "the mesh (global)"
    stdout_console().print(f"policy of {scope} set: version {stored['version']}")


@app.command("show-policy")
def show_policy(
    ctx: typer.Context,
    domain: DomainOption = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show the policy in force (global, or a domain's) and what was set."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        document = session.mesh.governance.policy(domain)
    if as_json:
        print_json(document)
        return
    console = stdout_console()
    scope = f"domain '{domain}'" if domain else "global"
    if document["version"] is None:
        console.print(f"No {scope} policy set: the built-in baseline (and the global) applies.")
    else:
        console.print(
            f"{scope} policy version {document['version']}, set by {document['created_by']} "
            f"at {document['created_at']}"
        )
    table = Table("rule", "enabled", "severity", "settings", box=None)
    for rule, settings in document["effective"]["rules"].items():
        rest = {key: value for key, value in settings.items() if key not in ("enabled", "severity")}
        shown = ", ".join(f"{key}={_short(value)}" for key, value in rest.items())
        table.add_row(
            Text(rule, style="bold"), str(settings["enabled"]).lower(), settings["severity"], shown
        )
    console.print(table)


def _short(value: Any) -> str:
    if isinstance(value, list) and len(value) > 4:
        return f"[{', '.join(map(str, value[:4]))}, ... ({len(value)})]"
    return str(value)


@app.command("report")
def report(
    ctx: typer.Context,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Evaluate every published product and summarise compliance per domain and rule."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        document = session.mesh.governance.report()
    if as_json:
        print_json(document)
        return
    console = stdout_console()
    summary = document["summary"]
    if not document["products"]:
        console.print("No published products to evaluate.")
        return
    domains = Table("domain", "products", "compliant", "errors", "warnings", box=None)
    for domain in document["domains"]:
        domains.add_row(
            Text(domain["domain"], style="bold"),
            str(domain["products"]),
            str(domain["compliant"]),
            str(domain["errors"]),
            str(domain["warnings"]),
        )
    console.print(domains)
    if document["rules"]:
        console.print()
        rules = Table("rule", "errors", "warnings", "products", box=None)
        for rule in document["rules"]:
            rules.add_row(
                Text(rule["rule"], style="bold"),
                str(rule["errors"]),
                str(rule["warnings"]),
                ", ".join(rule["products"]),
            )
        console.print(rules)
    console.print(
        f"\n{summary['compliant']} of {summary['products']} published products compliant; "
        f"{summary['errors']} errors, {summary['warnings']} warnings"
    )


def _print_proposal(document: dict[str, Any]) -> None:
    console = stdout_console()
    console.print(
        Text.assemble(
            (f"#{document['id']} ", "bold"),
            (document["title"], "bold"),
            f"  [{document['status']}]",
        )
    )
    if document["rules"]:
        console.print(f"rules: {', '.join(document['rules'])}")
    if document["body"]:
        console.print(document["body"])
    for step in document["history"]:
        note = f": {step['note']}" if step["note"] else ""
        console.print(f"  {step['at']}  {step['status']} by {step['by']}{note}")


@proposals_app.command("create")
def create_proposal(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(metavar="TITLE", help="One line.")],
    body: Annotated[str, typer.Option("--body", metavar="TEXT", help="The proposal.")] = "",
    rules: Annotated[
        list[str] | None,
        typer.Option("--rule", metavar="RULE", help="A rule id it is about (repeatable)."),
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Write a governance proposal (it starts as a draft)."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        document = session.mesh.governance.propose(title, body=body, rules=list(rules or ()))
    if as_json:
        print_json(document)
    else:
        stdout_console().print(f"proposal #{document['id']} created (draft)")


@proposals_app.command("list")
def list_proposals(
    ctx: typer.Context,
    text: Annotated[
        str | None, typer.Argument(metavar="[TEXT]", help="Text in the title, body or rules.")
    ] = None,
    status: Annotated[
        ProposalStatus | None, typer.Option("--status", help="Only this status.")
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List (search) governance proposals, newest first."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        found = session.mesh.governance.proposals(text, status=status)
    if as_json:
        print_json(found)
        return
    if not found:
        stdout_console().print("No proposals found.")
        return
    table = Table("id", "status", "title", "rules", box=None)
    for item in found:
        table.add_row(str(item["id"]), item["status"], item["title"], ", ".join(item["rules"]))
    stdout_console().print(table)


@proposals_app.command("show")
def show_proposal(
    ctx: typer.Context,
    proposal_id: Annotated[int, typer.Argument(metavar="ID", min=1)],
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show a governance proposal and its history."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        document = session.mesh.governance.proposal(proposal_id)
    if as_json:
        print_json(document)
    else:
        _print_proposal(document)


@proposals_app.command("move")
def move_proposal(
    ctx: typer.Context,
    proposal_id: Annotated[int, typer.Argument(metavar="ID", min=1)],
    status: Annotated[ProposalStatus, typer.Argument(metavar="STATUS", help="The next status.")],
    note: Annotated[
        str | None, typer.Option("--note", metavar="TEXT", help="Why (e.g. the decision).")
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Move a proposal: draft → in-review → accepted | rejected; accepted → implemented."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        document = session.mesh.governance.move(proposal_id, status, note=note)
    if as_json:
        print_json(document)
    else:
        stdout_console().print(f"proposal #{document['id']} is now {document['status']}")
