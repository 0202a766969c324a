"""``streammesh products``: list, show and search the mesh's data products, and see who reads them.

Tables for people, ``--json`` for scripts (a list for ``list`` and ``consumers``, one object
for ``show`` and ``search``, the same record shape as the REST API).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
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
from streammesh.products import (
    Alignment,
    ExportedProduct,
    QualityTier,
    Status,
    asyncapi_document,
    combine_documents,
    connection_details,
    endpoint_of,
    endpoint_of_document,
)
from streammesh.server import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    from streammesh.catalog import SearchResult
    from streammesh.cli.mesh_connection import MeshSession
    from streammesh.control import ApplicationRecord, ProductRecord
    from streammesh.sdk import MeshClient

app = typer.Typer(
    help="List, show and search data products, and see their consumers.",
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

IN_PROCESS_PRINCIPAL = "APP"
"""Who the snippets read as in-process: a placeholder for the application's service account."""
_STATUS_STYLES = {
    Status.DRAFT: "cyan",
    Status.PUBLISHED: "green",
    Status.DEPRECATED: "yellow",
    Status.RETIRED: "red",
}


@app.callback()
def _group(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def _status(status: Status) -> Text:
    return Text(status.value, style=_STATUS_STYLES[status])


@app.command("list")
def list_products(
    ctx: typer.Context,
    domain: Annotated[
        str | None,
        typer.Option("--domain", metavar="DOMAIN", show_default=False, help="Only this domain."),
    ] = None,
    statuses: Annotated[
        list[Status] | None,
        typer.Option("--status", show_default=False, help="Only these statuses (repeatable)."),
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List every product version of the mesh (all statuses unless --status says otherwise)."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        records = session.mesh.products(
            domain=domain, statuses=frozenset(statuses) if statuses else None
        )
    if as_json:
        print_json([record.document() for record in records])
        return
    if not records:
        stdout_console().print(
            "No data products. Define one with 'streammesh init', then apply it."
        )
        return
    table = Table(box=None, expand=True)
    table.add_column("product", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("team", no_wrap=True)
    table.add_column("schema version", no_wrap=True, justify="right")
    table.add_column("description", no_wrap=True, overflow="ellipsis", ratio=1)
    for record in records:
        table.add_row(
            Text(record.reference, style="bold"),
            _status(record.status),
            record.descriptor.team,
            str(record.schema_version),
            record.descriptor.description,
        )
    stdout_console().print(table)


def _consumers_document(apps: list[tuple[ApplicationRecord, bool]]) -> list[dict[str, Any]]:
    return [app.document(active=active) for app, active in apps]


def _show_document(
    record: ProductRecord,
    apps: list[tuple[ApplicationRecord, bool]],
    connection: dict[str, Any],
) -> dict[str, Any]:
    return {**record.document(), "consumers": _consumers_document(apps), "connect": connection}


def _connection(session: MeshSession[MeshClient], record: ProductRecord) -> dict[str, Any]:
    """The product's connection document: the server's own (its URL, its log, the token's
    principal) through ``--server``; in-process, built here for the local log, with the
    default ``streammesh up`` URL and ``APP`` for the application that will read."""
    from streammesh.sdk import InProcessMesh
    from streammesh.sdk.remote import RemoteMesh

    mesh = session.mesh
    if isinstance(mesh, RemoteMesh):
        document: dict[str, Any] = mesh.request(
            "GET", f"/products/{record.reference}/connection", reference=record.reference
        )
        return document
    assert isinstance(mesh, InProcessMesh)  # open_mesh opens one or the other
    endpoint = endpoint_of(
        mesh.local.log.url,
        f"http://{DEFAULT_HOST}:{DEFAULT_PORT}",
        mesh.local.config.kafka_security,
    )
    details = connection_details(
        record.descriptor,
        schema_id=record.schema_id,
        endpoint=endpoint,
        principal=mesh.principal or IN_PROCESS_PRINCIPAL,
    )
    return details.document()


def _print_connection(connection: dict[str, Any]) -> None:
    console = stdout_console()
    console.print(Text("Connect", style="bold"))
    details = Table(box=None, show_header=False)
    details.add_column(style="dim")
    details.add_column()
    rows: list[tuple[str, str]] = []
    if connection["bootstrap_servers"] is not None:
        rows.append(("bootstrap servers", connection["bootstrap_servers"]))
    rows += [
        ("rest url", connection["rest_url"]),
        ("registry url", connection["registry_url"]),
        ("topic", connection["topic"]),
        (
            "schema",
            f"{connection['schema']['subject']} (id {connection['schema']['id']}, "
            f"{connection['schema']['format']})",
        ),
        ("key", f"{connection['key']['field']}: {connection['key']['format']}"),
        ("consumer group", connection["consumer_group"]["suggested"]),
        ("group rule", connection["consumer_group"]["rule"]),
        ("principal", connection["principal"]),
        ("token", f"${connection['token_env']} (never shown)"),
    ]
    for name, value in rows:
        details.add_row(name, Text(value))
    console.print(details)
    for name, snippet in connection["snippets"].items():
        if snippet is not None:
            console.print(Text(name, style="dim"))
            console.print(Text(snippet.rstrip("\n")), soft_wrap=True)  # copyable lines
    console.print()


def _print_record(record: ProductRecord, apps: list[tuple[ApplicationRecord, bool]]) -> None:
    descriptor = record.descriptor
    console = stdout_console()
    console.print(Text.assemble((record.reference, "bold"), "  ", _status(record.status)))
    console.print(Text(descriptor.description))
    details = Table(box=None, show_header=False)
    details.add_column(style="dim")
    details.add_column()
    rows: list[tuple[str, str]] = [
        ("topic", record.topic),
        ("status since", f"{record.status_since:%Y-%m-%d %H:%M} UTC"),
        ("domain", descriptor.domain),
        ("team", descriptor.team),
        ("owner", f"{descriptor.owner.name} <{descriptor.owner.email}>"),
        ("kind", descriptor.kind.value),
        ("alignment", descriptor.alignment.value),
        ("key", f"{descriptor.key.field} ({descriptor.key.type.value})"),
        (
            "schema",
            f"{record.value_subject} version {record.schema_version} (id {record.schema_id})",
        ),
        ("partitions", str(descriptor.partition_count)),
        ("quality", descriptor.quality.value),
        ("sla tier", str(int(descriptor.sla.tier))),
    ]
    if descriptor.tags:
        rows.append(("tags", ", ".join(descriptor.tags)))
    if record.deprecation is not None:
        rows.append(("deprecated", record.deprecation.reason))
        rows.append(("sunset", record.deprecation.sunset.isoformat()))
        if record.deprecation.replacement:
            rows.append(("replacement", record.deprecation.replacement))
    if record.replaced_by is not None:
        rows.append(("replaced by", record.replaced_by))
    if record.forced_by is not None:
        rows.append(("forced by", record.forced_by))
    for name, value in rows:
        details.add_row(name, Text(value))
    console.print(details)
    console.print()
    _print_consumers(apps)


def _print_consumers(apps: list[tuple[ApplicationRecord, bool]]) -> None:
    console = stdout_console()
    if not apps:
        console.print(Text("No registered consumers.", style="dim"))
        return
    table = Table("application", "role", "group", "principal", "last seen", "active", box=None)
    for app_record, active in apps:
        table.add_row(
            Text(app_record.name, style="bold"),
            app_record.role.value,
            app_record.group or "",
            app_record.principal,
            f"{app_record.last_seen:%Y-%m-%d %H:%M}",
            Text("yes", style="green") if active else Text("no", style="dim"),
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    product: ProductArgument,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show a product version: its contract, status, schema, consumers and how to connect."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        record = session.mesh.product(product)
        apps = session.mesh.applications(record.reference)
        connection = _connection(session, record)
    if as_json:
        print_json(_show_document(record, apps, connection))
    else:
        _print_record(record, apps)
        _print_connection(connection)


@app.command("consumers")
def consumers(
    ctx: typer.Context,
    product: ProductArgument,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List the applications registered with a product version, and whether they are active."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        record = session.mesh.product(product)
        apps = session.mesh.applications(record.reference)
    if as_json:
        print_json(_consumers_document(apps))
    else:
        _print_consumers(apps)


def search_document(query: str, result: SearchResult) -> dict[str, Any]:
    """The document ``products search --json`` prints."""
    return {
        "query": query,
        "total": result.total,
        "limit": result.limit,
        "offset": result.offset,
        "hits": [
            {
                "product": f"{hit.name}.v{hit.version}",
                "name": hit.name,
                "version": hit.version,
                "domain": hit.domain,
                "status": hit.status.value,
                "description": hit.description,
                "score": hit.score,
            }
            for hit in result.hits
        ],
        "facets": {facet.value: dict(counts) for facet, counts in result.facets.items()},
    }


def _print_search(result: SearchResult) -> None:
    console = stdout_console()
    if not result.hits:
        console.print(
            "No product matches. Deprecated and retired products are hidden unless "
            "--all-statuses or --status says otherwise."
        )
        return
    table = Table(box=None, expand=True)
    table.add_column("product", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("domain", no_wrap=True)
    table.add_column("description", no_wrap=True, overflow="ellipsis", ratio=1)
    for hit in result.hits:
        table.add_row(
            Text(f"{hit.name}.v{hit.version}", style="bold"),
            _status(hit.status),
            hit.domain,
            hit.description,
        )
    console.print(table)
    shown = len(result.hits)
    more = f" (showing {shown}; --limit shows more)" if result.total > shown else ""
    console.print(Text(f"{result.total} match{'es' if result.total != 1 else ''}{more}", "dim"))
    for facet, counts in result.facets.items():
        if counts:
            listed = ", ".join(f"{value} {count}" for value, count in counts.items())
            console.print(Text.assemble((f"{facet.value}: ", "dim"), listed))


@app.command("search")
def search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            metavar="QUERY",
            show_default=False,
            help="Words to find in names, descriptions, tags, owners and schema fields "
            "('' lists every product).",
        ),
    ] = "",
    domain: Annotated[list[str] | None, typer.Option("--domain", metavar="DOMAIN")] = None,
    owner: Annotated[list[str] | None, typer.Option("--owner", metavar="EMAIL")] = None,
    team: Annotated[list[str] | None, typer.Option("--team", metavar="TEAM")] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tag", metavar="TAG", help="Carries this tag (repeat: every one)."),
    ] = None,
    quality: Annotated[list[QualityTier] | None, typer.Option("--quality")] = None,
    sla_tier: Annotated[
        list[int] | None, typer.Option("--sla-tier", min=1, max=4, metavar="1-4")
    ] = None,
    alignment: Annotated[list[Alignment] | None, typer.Option("--alignment")] = None,
    statuses: Annotated[
        list[Status] | None,
        typer.Option("--status", help="Only these statuses; names deprecated/retired ones too."),
    ] = None,
    all_statuses: Annotated[
        bool,
        typer.Option(
            "--all-statuses", help="Also find deprecated and retired products (hidden by default)."
        ),
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, metavar="N")] = 20,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Search the catalog; shows the hits, best first, and how many matches each facet has."""
    if all_statuses and statuses:
        raise typer.BadParameter("give --status or --all-statuses, not both")
    wanted = list(Status) if all_statuses else statuses
    filters: dict[str, Any] = {
        "domain": domain or None,
        "owner": owner or None,
        "team": team or None,
        "tags": tags or None,
        "quality": [q.value for q in quality] if quality else None,
        "sla_tier": sla_tier or None,
        "alignment": [a.value for a in alignment] if alignment else None,
        "status": [s.value for s in wanted] if wanted else None,
    }
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        result = session.mesh.search(query, limit=limit, **filters)
    if as_json:
        print_json(search_document(query, result))
    else:
        _print_search(result)


@app.command("transfer")
def transfer(
    ctx: typer.Context,
    product: ProductArgument,
    team: Annotated[
        str,
        typer.Option("--team", metavar="TEAM", help="The new owning team, of the same domain."),
    ],
    note: Annotated[
        str | None,
        typer.Option("--note", metavar="TEXT", show_default=False, help="Why (audited)."),
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Give a product (every version) to another team of its domain; audited as
    product.owner-changed. Over --server, governance and platform-admin tokens transfer at
    once; a domain owner of the current team offers it, and a domain owner of the new team
    completes it with the same command. 'apply' never changes a product's team."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        record = session.mesh.transfer(product, team=team, note=note)
    if as_json:
        print_json(record.document())
        return
    console = stdout_console()
    console.soft_wrap = True
    if record.descriptor.team != team:
        # A domain owner of the current team offered it: the new team's owner completes it.
        console.print(
            Text.assemble(("offered ", "yellow"), (record.name, "bold"), f" to team {team}")
        )
        console.print(
            Text(
                f"A domain owner of team '{team}' completes the transfer with 'streammesh "
                f"products transfer {record.name} --team {team}'.",
                style="dim",
            )
        )
        return
    console.print(
        Text.assemble(("transferred ", "green"), (record.name, "bold"), f" to team {team}")
    )


def _print_odcs(session: MeshSession[MeshClient], product: str | None) -> None:
    """Print one product's ODCS v3 contract (built by :mod:`streammesh.products.odcs`)."""
    from streammesh.products import contract_yaml, export_contract

    if product is None:
        raise typer.BadParameter("--format odcs exports one PRODUCT", param_hint="'PRODUCT'")
    record = session.mesh.product(product)
    schema = session.registry.schema(record.schema_id).schema
    # Where the product really is (after 'deprecate'), not what its owners last applied.
    descriptor = record.descriptor.model_copy(
        update={"status": record.status, "deprecation": record.deprecation}
    )
    contract = export_contract(
        descriptor, schema, status=record.status.value, server=session.location
    )
    sys.stdout.write(contract_yaml(contract))
    sys.stdout.flush()


@app.command("import")
def import_contract_command(
    contract_file: Annotated[
        Path, typer.Argument(metavar="FILE", help="An ODCS v3 contract (YAML).")
    ],
    into: Annotated[
        Path, typer.Option("--into", metavar="DIR", help="Folder to write the product into.")
    ] = Path(),
    schema_format: Annotated[
        str, typer.Option("--schema-format", help="Schema file to write: avro or json.")
    ] = "avro",
) -> None:
    """Write a descriptor and schema file from an ODCS contract; warn about what cannot fit."""
    from streammesh.products import write_imported

    for warning in write_imported(contract_file, into, schema_format=schema_format):
        typer.echo(f"warning: {warning.path}: {warning.reason}", err=True)


class ExportFormat(StrEnum):
    """The contract formats ``products export`` writes."""

    ASYNCAPI = "asyncapi"
    ODCS = "odcs"


class OutputFormat(StrEnum):
    """How ``products export`` prints the document."""

    YAML = "yaml"
    JSON = "json"


def _export_records(
    session: MeshSession[MeshClient], product: str | None, domain: str | None, every: bool
) -> tuple[list[ProductRecord], str | None]:
    """The records to export and the combined document's title (``None``: one product)."""
    chosen = sum((product is not None, domain is not None, every))
    if chosen != 1:
        raise typer.BadParameter(
            "name exactly one of PRODUCT, --domain D or --all", param_hint="'PRODUCT'"
        )
    if product is not None:
        return [session.mesh.product(product)], None
    records = session.mesh.products(domain=domain)
    if domain is not None and not records:
        raise typer.BadParameter(
            f"domain '{domain}' has no products (or none you may see)", param_hint="'--domain'"
        )
    return records, domain if domain is not None else "streammesh"


def _asyncapi(
    session: MeshSession[MeshClient], records: list[ProductRecord], title: str | None
) -> dict[str, Any]:
    """The AsyncAPI document: the server's own documents through ``--server`` (its URL, its
    log), combined for several products; in-process, built here for the local log with the
    default ``streammesh up`` URL."""
    from streammesh.sdk import InProcessMesh
    from streammesh.sdk.remote import RemoteMesh

    mesh = session.mesh
    if isinstance(mesh, RemoteMesh):
        documents: list[dict[str, Any]] = [
            mesh.request(
                "GET", f"/products/{record.reference}/asyncapi", reference=record.reference
            )
            for record in records
        ]
        if title is None:
            return documents[0]
        endpoint = endpoint_of_document(documents[0] if documents else None, mesh.url)
        return combine_documents(documents, endpoint, title=title)
    assert isinstance(mesh, InProcessMesh)  # open_mesh opens one or the other
    local = mesh.local
    endpoint = endpoint_of(
        local.log.url, f"http://{DEFAULT_HOST}:{DEFAULT_PORT}", local.config.kafka_security
    )
    products = [
        ExportedProduct(record=record, schema=local.registry.schema(record.schema_id).schema)
        for record in records
    ]
    return asyncapi_document(products, endpoint, title=title)


@app.command("export")
def export(
    ctx: typer.Context,
    product: Annotated[
        str | None,
        typer.Argument(
            metavar="[PRODUCT]",
            help="The product: its name (current version) or name.vN; or --domain / --all.",
        ),
    ] = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="The contract format.")
    ] = ExportFormat.ASYNCAPI,
    output: Annotated[
        OutputFormat, typer.Option("--output", help="YAML (default) or JSON.")
    ] = OutputFormat.YAML,
    domain: Annotated[
        str | None, typer.Option("--domain", help="One document for a whole domain.")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="One document for the whole mesh.")] = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Export a contract: an AsyncAPI 3.0.0 document (of a product, --domain or --all), or a
    product's ODCS v3 data contract (--format odcs)."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        if fmt is ExportFormat.ODCS:
            _print_odcs(session, product)
            return
        records, title = _export_records(session, product, domain, every)
        document = _asyncapi(session, records, title)
    if output is OutputFormat.JSON:
        print_json(document)
    else:
        sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
        sys.stdout.flush()
