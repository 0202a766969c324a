"""``streammesh validate [PATH ...]``: check data products before they are merged.

Meant for a domain team's CI: exit code 0 when nothing is an error (warnings allowed), 1
otherwise; a report grouped by file that reads well in a terminal and in a CI log (Rich adds
no colour codes when the output is not a terminal), or one JSON document with ``--json``.

Compatibility is checked against the local mesh's registry when that mesh exists (validation
never creates one), against a server's with ``--server URL --token T``, and not at all with
``--offline``.

Governance policies: ``--policy FILE`` evaluates that file (as the global policy); else the
mesh's stored policies (the local mesh's when it exists, the server's with ``--server``); else
(``--offline``, or no local mesh) the built-in baseline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from streammesh.cli.governance_review import policy_review
from streammesh.cli.options import JsonOption, MeshOption, ServerOption, StoreOption, TokenOption
from streammesh.cli.output import print_json, stdout_console
from streammesh.cli.registry_connection import RegistryTarget, open_registry
from streammesh.cli.up import server_settings
from streammesh.errors import ConfigError
from streammesh.products import Finding, Severity, ValidationReport

if TYPE_CHECKING:
    from streammesh.registry import SchemaRegistry

_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


@dataclasses.dataclass(frozen=True, slots=True)
class _Registry:
    """The registry to check against, or why there is none."""

    registry: SchemaRegistry | None
    name: str | None = None
    missing: Finding | None = None


def _local_store_exists(mesh: Path | None) -> tuple[bool, str]:
    from sqlalchemy.engine import make_url

    url = server_settings(mesh, None).resolved_store_url
    database = make_url(url).database
    return database is not None and Path(database).is_file(), url


@contextmanager
def _registry(offline: bool, target: RegistryTarget) -> Iterator[_Registry]:
    if offline:
        if target.server is not None or target.store is not None:
            raise ConfigError("--offline skips the registry: give it or --server/--store, not both")
        yield _Registry(None)
        return
    if target.remote_server() is None and target.store is None:
        exists, url = _local_store_exists(target.mesh)
        if not exists:
            # Creating a mesh just to find it empty would leave a stray .streammesh behind.
            yield _Registry(
                None,
                missing=Finding(
                    "",
                    "",
                    Severity.WARNING,
                    "registry.not-found",
                    f"no local mesh store at {url}: compatibility with published schemas "
                    "was not checked",
                    "pass --server URL --token TOKEN to check against a server, --mesh DIR "
                    "for another mesh, or --offline to skip the check on purpose",
                ),
            )
            return
    with open_registry(target) as registry:
        yield _Registry(registry, target.describe())


def _where(finding: Finding) -> str:
    if finding.line is None:
        return ""
    return f"{finding.line}:{finding.column}" if finding.column is not None else str(finding.line)


def print_report(report: ValidationReport) -> None:
    """Print ``report`` for people: findings grouped by file, then the summary line."""
    console = stdout_console()
    # One finding per line, never wrapped: CI logs are read (and grepped) line by line.
    console.soft_wrap = True
    grouped = report.by_file()
    # A descriptor is "ok" only if nothing was found about its product in any file (its
    # schema file's problems are grouped under the schema file).
    flagged = {finding.product for finding in report.findings}
    named = {product.descriptor: product.name for product in report.products}
    clean = [
        file
        for file in report.descriptors
        if file not in grouped and named.get(file) not in flagged
    ]
    for file, findings in grouped.items():
        console.print(Text(file or "(arguments)", style="bold"))
        for finding in findings:
            line = Text("  ")
            line.append(f"{finding.severity.value:<7}", style=_STYLES[finding.severity])
            where = " ".join(part for part in (_where(finding), finding.location) if part)
            if where:
                line.append(f" {where}:")
            line.append(f" {finding.message} ")
            line.append(f"[{finding.rule}]", style="dim")
            console.print(line)
            if finding.hint:
                console.print(Text(f"           fix: {finding.hint}"))
    for file in clean:
        console.print(Text.assemble((file, "bold"), ("  ok", "green")))
    errors = report.count(Severity.ERROR)
    warnings = report.count(Severity.WARNING)
    checked = f"against {report.registry}" if report.registry else "not checked"
    summary = (
        f"{len(report.descriptors)} descriptor{'s' if len(report.descriptors) != 1 else ''}, "
        f"{errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}; compatibility {checked}"
    )
    console.print()
    if report.ok:
        console.print(Text.assemble(("valid", "bold green"), f": {summary}"))
    else:
        console.print(Text.assemble(("invalid", "bold red"), f": {summary}"))


def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            show_default=False,
            help="Descriptor files or folders (searched recursively). Default: '.'.",
        ),
    ] = None,
    as_json: JsonOption = False,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Do not check compatibility with published schemas."),
    ] = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            metavar="FILE",
            show_default=False,
            help="Evaluate this governance policy file instead of the mesh's (or the baseline).",
        ),
    ] = None,
) -> None:
    """Check descriptors, their schemas, and compatibility with what is published.

    Exit code 0 when nothing is an error (warnings are allowed), 1 otherwise.
    """
    from streammesh.products import validate_products  # loads jsonschema: not for --help

    target = RegistryTarget(mesh=mesh, store=store, server=server, token=token)
    with (
        _registry(offline, target) as selected,
        policy_review(policy, target, selected.registry, offline=offline) as review,
    ):
        report = validate_products(
            paths or [Path(".")],
            selected.registry,
            registry_name=selected.name,
            governance=review,
        )
    if selected.missing is not None:
        report = dataclasses.replace(report, findings=(selected.missing, *report.findings))
    if as_json:
        print_json(report.document())
    else:
        print_report(report)
    if not report.ok:
        raise typer.Exit(1)
