"""``streammesh schemas``: register, list, show, diff and check schemas, and set compatibility.

Every command works on the local mesh's registry in-process, or on a server's with
``--server`` (see :mod:`streammesh.cli.registry_connection`). A schema that breaks the
subject's compatibility level is refused with every incompatibility listed (path, rule,
reason) and exit code 1; ``schemas check`` gives the same verdict without registering, for CI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from streammesh.cli.errors import CliError, InputError
from streammesh.cli.options import JsonOption, MeshOption, ServerOption, StoreOption, TokenOption
from streammesh.cli.output import print_json, stdout_console
from streammesh.cli.registry_connection import RegistryTarget, open_registry
from streammesh.products import SCHEMA_EXTENSIONS, SchemaFormatName
from streammesh.registry import (
    CompatibilityLevel,
    CompatibilityNotConfigured,
    IncompatibleSchema,
    InvalidSchemaSubmission,
    SchemaReference,
    SchemaSubmission,
    SubjectNotFound,
    SubjectVersion,
    VersionNotFound,
    VersionSelector,
)
from streammesh.schemas import Incompatibility, SchemaSide, SchemaType, diff_schemas, pretty_schema

if TYPE_CHECKING:
    from streammesh.registry import SchemaRegistry
    from streammesh.schemas import ParsedSchema

app = typer.Typer(
    help="Schemas of the registry: register, list, show, diff, check compatibility, config.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class IncompatibleChange(CliError):
    """A schema file breaks its subject's compatibility level (the findings are printed)."""

    def __init__(self, source: str, subject: str, level: str, count: int, action: str) -> None:
        self.source = source
        self.subject = subject
        self.level = level
        self.count = count
        super().__init__(
            f"{source} is incompatible with subject '{subject}' under {level}: {count} "
            f"problem{'s' if count != 1 else ''} (listed above); {action}"
        )


# --- options -------------------------------------------------------------------------------

SubjectArgument = Annotated[
    str, typer.Argument(metavar="SUBJECT", help="The subject, e.g. trades.v1-value.")
]
FileArgument = Annotated[Path, typer.Argument(metavar="FILE", help="The schema file.")]
TypeOption = Annotated[
    SchemaFormatName | None,
    typer.Option(
        "--type",
        case_sensitive=False,
        show_default=False,
        help="Schema format. Default: from the extension (.avsc, .json, .proto).",
    ),
]
ReferenceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--reference",
        metavar="NAME=SUBJECT:VERSION",
        show_default=False,
        help="A registered schema this one imports (repeatable).",
    ),
]
NormalizeOption = Annotated[
    bool, typer.Option("--normalize", help="Use the schema's canonical form.")
]


# --- reading schema files ------------------------------------------------------------------


def _schema_type(path: Path, given: SchemaFormatName | None) -> SchemaType:
    if given is not None:
        return given.schema_type
    found = SCHEMA_EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise InputError(
            str(path),
            None,
            f"cannot tell the schema format from the extension '{path.suffix}'; "
            "pass --type avro, json or protobuf",
        )
    return found.schema_type


def _reference(raw: str) -> SchemaReference:
    name, equals, where = raw.partition("=")
    subject, colon, version = where.rpartition(":")
    if not (equals and colon and name and subject and version.isdigit() and int(version) > 0):
        raise typer.BadParameter(
            f"'{raw}' is not NAME=SUBJECT:VERSION (e.g. common.avsc=common-value:1)",
            param_hint="'--reference'",
        )
    return SchemaReference(name=name, subject=subject, version=int(version))


def _submission(
    path: Path, given: SchemaFormatName | None, references: list[str] | None
) -> SchemaSubmission:
    schema_type = _schema_type(path, given)
    parsed_references = tuple(_reference(raw) for raw in references or ())
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), None, "no such file") from None
    except IsADirectoryError:
        raise InputError(str(path), None, "is a directory, not a schema file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"cannot read it: {exc}") from None
    return SchemaSubmission(schema=text, schema_type=schema_type, references=parsed_references)


def _version(raw: str) -> VersionSelector:
    if raw == "latest":
        return "latest"
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    raise typer.BadParameter(f"'{raw}' is not a version: use a positive number or 'latest'")


# --- presenting ----------------------------------------------------------------------------


def _references_json(references: tuple[SchemaReference, ...]) -> list[dict[str, Any]]:
    return [{"name": r.name, "subject": r.subject, "version": r.version} for r in references]


def _version_json(found: SubjectVersion) -> dict[str, Any]:
    return {
        "subject": found.subject,
        "version": found.version,
        "id": found.id,
        "schema_type": found.schema_type.value,
        "deleted": found.deleted,
    }


@dataclass(frozen=True, slots=True)
class _Finding:
    """An incompatibility, and the version it was found against (``None``: not known)."""

    version: int | None
    problem: Incompatibility

    def document(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "path": self.problem.path,
            "rule": self.problem.rule,
            "reason": self.problem.reason,
        }


def _print_findings(findings: list[_Finding], *, err: bool) -> None:
    # One plain line per finding (not a table): CI logs are narrow and get grepped.
    for finding in findings:
        problem = finding.problem
        at = f"version {finding.version}: " if finding.version is not None else ""
        typer.echo(f"  {at}{problem.path or '/'}: {problem.reason} [{problem.rule}]", err=err)


def _target(
    mesh: Path | None, store: str | None, server: str | None, token: str | None
) -> RegistryTarget:
    return RegistryTarget(mesh=mesh, store=store, server=server, token=token)


def _invalid_file(path: Path, exc: InvalidSchemaSubmission) -> InputError:
    return InputError(str(path), None, exc.reason)


# --- commands ------------------------------------------------------------------------------


@app.command("register")
def register(
    subject: SubjectArgument,
    file: FileArgument,
    schema_type: TypeOption = None,
    reference: ReferenceOption = None,
    normalize: NormalizeOption = False,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Register a schema under a subject; print its version and global id."""
    submission = _submission(file, schema_type, reference)
    with open_registry(_target(mesh, store, server, token)) as registry:
        try:
            found = registry.register(subject, submission, normalize=normalize)
        except InvalidSchemaSubmission as exc:
            raise _invalid_file(file, exc) from exc
        except IncompatibleSchema as exc:
            findings = [_Finding(None, problem) for problem in exc.incompatibilities]
            _print_findings(findings, err=True)
            raise IncompatibleChange(
                str(file), subject, exc.level, len(findings), "nothing was registered"
            ) from exc
    if as_json:
        print_json(_version_json(found))
        return
    typer.echo(f"{found.subject} version {found.version}, schema id {found.id}")


def _latest(registry: SchemaRegistry, subject: str, deleted: bool) -> SubjectVersion:
    try:
        return registry.version(subject, "latest")
    except (SubjectNotFound, VersionNotFound):
        if not deleted:
            raise
    # Every version of the subject is soft-deleted: show the last one, marked.
    return registry.version(subject, "latest", deleted=True)


@app.command("list")
def list_subjects(
    prefix: Annotated[
        str, typer.Option("--prefix", metavar="P", help="Only subjects starting with P.")
    ] = "",
    deleted: Annotated[
        bool, typer.Option("--deleted", help="Include soft-deleted subjects.")
    ] = False,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List subjects with their latest version, schema id and format."""
    with open_registry(_target(mesh, store, server, token)) as registry:
        latest = [
            _latest(registry, name, deleted)
            for name in registry.subjects(prefix=prefix, deleted=deleted)
        ]
    if as_json:
        print_json([_version_json(found) for found in latest])
        return
    if not latest:
        typer.echo("no subjects yet; register one with 'streammesh schemas register SUBJECT FILE'")
        return
    table = Table(box=None, header_style="bold")
    table.add_column("SUBJECT")
    table.add_column("LATEST", justify="right")
    table.add_column("ID", justify="right")
    table.add_column("TYPE")
    if deleted:
        table.add_column("DELETED")
    for found in latest:
        cells: list[Text | str] = [
            Text(found.subject),
            str(found.version),
            str(found.id),
            found.schema_type.value,
        ]
        if deleted:
            cells.append("yes" if found.deleted else "")
        table.add_row(*cells)
    stdout_console().print(table)


VersionOption = Annotated[str, typer.Option("--version", metavar="N|latest", help="Which version.")]


@app.command("show")
def show(
    subject: SubjectArgument,
    version: VersionOption = "latest",
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show one version of a subject: the schema, its id, format and references."""
    selected = _version(version)
    with open_registry(_target(mesh, store, server, token)) as registry:
        found = registry.version(subject, selected)
    if as_json:
        print_json(
            {
                **_version_json(found),
                "references": _references_json(found.references),
                "schema": found.schema,
            }
        )
        return
    typer.echo(f"subject     {found.subject}")
    typer.echo(f"version     {found.version}")
    typer.echo(f"id          {found.id}")
    typer.echo(f"type        {found.schema_type.value}")
    for ref in found.references:
        typer.echo(f"reference   {ref.name} = {ref.subject} version {ref.version}")
    typer.echo("")
    typer.echo(pretty_schema(found.schema_type, found.schema), nl=False)


def _parsed(
    registry: SchemaRegistry, found: SubjectVersion, seen: dict[tuple[str, int], ParsedSchema]
) -> ParsedSchema:
    from streammesh.schemas import format_for

    key = (found.subject, found.version)
    if key not in seen:
        references = {
            ref.name: _parsed(
                registry, registry.version(ref.subject, ref.version, deleted=True), seen
            )
            for ref in found.references
        }
        seen[key] = format_for(found.schema_type).parse(found.schema, references)
    return seen[key]


def _direction_json(problems: list[Incompatibility]) -> dict[str, Any]:
    return {
        "compatible": not problems,
        "incompatibilities": [_Finding(None, p).document() for p in problems],
    }


def _label(found: SubjectVersion) -> str:
    return f"version {found.version} (id {found.id})"


@app.command("diff")
def diff(
    subject: SubjectArgument,
    first: Annotated[str, typer.Argument(metavar="V1", help="The older version (or latest).")],
    second: Annotated[str, typer.Argument(metavar="V2", help="The newer version (or latest).")],
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Compare two versions: compatibility both ways, and a text diff of the schemas.

    BACKWARD means V2 can read data written with V1; FORWARD means V1 can read V2's.
    """
    selected = (_version(first), _version(second))
    with open_registry(_target(mesh, store, server, token)) as registry:
        old = registry.version(subject, selected[0], deleted=True)
        new = registry.version(subject, selected[1], deleted=True)
        seen: dict[tuple[str, int], ParsedSchema] = {}
        old_parsed, new_parsed = _parsed(registry, old, seen), _parsed(registry, new, seen)
    compared = diff_schemas(
        SchemaSide(old.schema_type, old.schema, old_parsed, f"{subject} {_label(old)}"),
        SchemaSide(new.schema_type, new.schema, new_parsed, f"{subject} {_label(new)}"),
    )
    backward, forward, text_diff = list(compared.backward), list(compared.forward), compared.text
    if as_json:
        print_json(
            {
                "subject": subject,
                "from": _version_json(old),
                "to": _version_json(new),
                "backward": _direction_json(backward),
                "forward": _direction_json(forward),
                "diff": text_diff,
            }
        )
        return
    for name, meaning, problems in (
        ("BACKWARD", f"version {new.version} reads data written with {old.version}", backward),
        ("FORWARD", f"version {old.version} reads data written with {new.version}", forward),
    ):
        verdict = f"incompatible, {len(problems)} problem(s)" if problems else "compatible"
        typer.echo(f"{name} ({meaning}): {verdict}")
        if problems:
            _print_findings([_Finding(None, p) for p in problems], err=False)
    typer.echo("")
    typer.echo(text_diff or "the schema texts are identical\n", nl=False)


@app.command("check")
def check(
    subject: SubjectArgument,
    file: FileArgument,
    schema_type: TypeOption = None,
    reference: ReferenceOption = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            metavar="N|latest|all",
            show_default=False,
            help="Check against one version, or each one. Default: the versions the subject's "
            "compatibility level covers.",
        ),
    ] = None,
    normalize: NormalizeOption = False,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Check a schema file against a subject without registering it (exit 1 if incompatible)."""
    submission = _submission(file, schema_type, reference)
    selected = None if version in (None, "all") else _version(version)
    with open_registry(_target(mesh, store, server, token)) as registry:
        level = registry.compatibility(subject)
        against: list[VersionSelector | None]
        against = list(registry.versions(subject)) if version == "all" else [selected]
        findings: list[_Finding] = []
        try:
            for one in against:
                report = registry.check_compatibility(
                    subject, submission, version=one, normalize=normalize
                )
                number = one if isinstance(one, int) else None
                findings.extend(_Finding(number, p) for p in report.incompatibilities)
        except InvalidSchemaSubmission as exc:
            raise _invalid_file(file, exc) from exc
    if as_json:
        print_json(
            {
                "subject": subject,
                "compatibility": level.value,
                "compatible": not findings,
                "incompatibilities": [f.document() for f in findings],
            }
        )
    elif findings:
        _print_findings(findings, err=False)
    else:
        typer.echo(f"{file} is compatible with subject '{subject}' under {level.value}")
    if findings:
        raise IncompatibleChange(
            str(file), subject, level.value, len(findings), "fix it or publish a new major version"
        )


@app.command("config")
def config(
    subject: Annotated[
        str | None,
        typer.Argument(metavar="[SUBJECT]", show_default=False, help="Default: the global level."),
    ] = None,
    set_level: Annotated[
        CompatibilityLevel | None,
        typer.Option(
            "--set", metavar="LEVEL", case_sensitive=False, help="Set the compatibility level."
        ),
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show or set the compatibility level, of a subject or the global one."""
    with open_registry(_target(mesh, store, server, token)) as registry:
        if set_level is not None:
            level, source = registry.set_compatibility(set_level, subject), "subject"
        else:
            try:
                level, source = registry.compatibility(subject, fallback=False), "subject"
            except CompatibilityNotConfigured:
                level, source = registry.compatibility(), "global"
    if subject is None:
        source = "global"
    if as_json:
        print_json({"subject": subject, "compatibility": level.value, "source": source})
        return
    where = "global" if subject is None else f"subject '{subject}'"
    if set_level is not None:
        typer.echo(f"compatibility of {where} set to {level.value}")
    elif subject is not None and source == "global":
        typer.echo(f"{level.value} ({where} has no level of its own; this is the global one)")
    else:
        typer.echo(f"{level.value} ({where})")
