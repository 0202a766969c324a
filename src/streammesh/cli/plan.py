"""``streammesh plan`` and ``streammesh apply``: data products as code, like infrastructure.

Both run the checks of ``streammesh validate`` against the mesh (descriptors, schemas, keys,
compatibility with what is published); when they fail, the validation report is printed and
nothing else happens. ``plan`` then shows what ``apply`` would change per product and every
problem that stops it; ``apply`` shows the same plan, asks for confirmation (``--yes`` skips it;
without a terminal it is required), and makes the mesh match the descriptors. With nothing to
change, ``apply`` writes nothing at all, so running it twice is harmless.

The plan runs validate's checker itself (:mod:`streammesh.products.checks`), so for people the
commands plan (or ``apply --yes`` applies) straight away, each descriptor read and checked
once, and validate the descriptors only to explain a failure with its report (every problem,
with file and line). With ``--json`` the document carries validate's report, so it is made first.

Exit codes: 0 the plan is applicable (or was applied), 1 validation or plan problems (or the
confirmation was declined), 2 usage (including ``apply`` without ``--yes`` and no terminal).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from streammesh.cli.errors import ConfirmationRequired
from streammesh.cli.mesh_connection import MeshSession, command_target, open_mesh
from streammesh.cli.options import JsonOption, MeshOption, ServerOption, StoreOption, TokenOption
from streammesh.cli.output import print_json, stdout_console
from streammesh.cli.validate import print_report as print_validation_report
from streammesh.errors import MeshError

if TYPE_CHECKING:
    # The control plane is imported where a plan is made or shown, not for ``--help``.
    from streammesh.control import Change, PlanProblem, PlanSummary, ProductPlanSummary
    from streammesh.products import ValidationReport
    from streammesh.sdk import MeshClient

NO_CHANGES = "No changes. The mesh matches the descriptors."

PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="PATH",
        show_default=False,
        help="Descriptor files or folders (searched recursively). Default: '.'.",
    ),
]
AllOption = Annotated[bool, typer.Option("--all", help="Also show what stays unchanged.")]


@dataclasses.dataclass(frozen=True, slots=True)
class _Checked:
    """The validation of the descriptors, and the descriptor files it found."""

    report: ValidationReport
    files: list[Path]


def _validate(session: MeshSession[MeshClient], paths: list[Path]) -> _Checked:
    from streammesh.products import validate_products  # loads jsonschema: not for --help

    report = validate_products(paths, session.registry, registry_name=session.location)
    return _Checked(report, [Path(file) for file in report.descriptors])


def _document(summary: PlanSummary, report: ValidationReport) -> dict[str, Any]:
    document: dict[str, Any] = summary.document()
    document["ok"] = document["ok"] and report.ok
    document["validation"] = report.document()
    return document


def _refuse_invalid(report: ValidationReport, as_json: bool) -> None:
    """Print the validation report and exit 1 (nothing is planned for invalid products)."""
    from streammesh.control import PlanSummary

    if as_json:
        print_json(_document(PlanSummary((), ()), report))
    else:
        print_validation_report(report)
        stdout_console().print(Text("Nothing was planned: fix the problems above first.", "bold"))
    raise typer.Exit(1)


def _explain_failure(session: MeshSession[MeshClient], paths: list[Path]) -> None:
    """After a failed plan or apply: if the descriptors are invalid, print validate's report
    and exit 1; else return (the plan's own problems, or the error, tell the rest)."""
    checked = _validate(session, paths)
    if not checked.report.ok:
        _refuse_invalid(checked.report, as_json=False)


def _plan_at_once(session: MeshSession[MeshClient], paths: list[Path]) -> PlanSummary:
    """The plan of ``paths``, validated only when it fails (see the module docstring)."""
    try:
        summary = session.mesh.plan(paths)
    except MeshError:
        # An unreadable or invalid descriptor: validate lists every problem of every file.
        _explain_failure(session, paths)
        raise
    if summary.errors:
        _explain_failure(session, paths)
    return summary


def _change_line(change: Change, width: int) -> Text:
    from streammesh.control import Action

    marks = {
        Action.CREATE: ("+", "green"),
        Action.UPDATE: ("~", "yellow"),
        Action.DELETE: ("-", "red"),
        Action.NONE: ("=", "dim"),
    }
    mark, style = marks[change.action]
    line = Text("  ")
    line.append(f"{mark} {change.action.value:<7}", style=style)
    line.append(
        f" {change.resource.value:<12}", style=style if change.action is Action.NONE else ""
    )
    line.append(
        f"{change.target:<{width}}", style="dim" if change.action is Action.NONE else "bold"
    )
    line.append(f"  {change.summary}", style="dim")
    return line


def _print_problem(console: Console, problem: PlanProblem) -> None:
    from streammesh.control import Severity

    styles = {Severity.ERROR: "bold red", Severity.WARNING: "yellow"}
    line = Text("  ")
    line.append(f"{problem.severity.value:<7}", style=styles[problem.severity])
    line.append(f" {problem.message} ")
    line.append(f"[{problem.rule}]", style="dim")
    console.print(line)
    for detail in problem.details:
        console.print(Text(f"          - {detail}"))
    if problem.hint:
        console.print(Text(f"          fix: {problem.hint}"))


def _print_product(console: Console, plan: ProductPlanSummary, show_all: bool) -> None:
    from streammesh.control import Action

    shown = [c for c in plan.changes if show_all or c.action is not Action.NONE]
    heading = Text(plan.product, style="bold")
    heading.append(f"  ({plan.origin})", style="dim")
    if not shown and not plan.problems:
        heading.append("  unchanged", style="dim")
        console.print(heading)
        return
    console.print(heading)
    width = max(len(change.target) for change in shown) if shown else 0
    for change in shown:
        console.print(_change_line(change, width))
    for problem in plan.problems:
        _print_problem(console, problem)


def summary_line(summary: PlanSummary) -> str:
    """The plan's last line: what it would do, that it does nothing, or that it is refused."""
    errors = len(summary.errors)
    if errors:
        return (
            f"Plan refused: {errors} error{'s' if errors != 1 else ''}; "
            "nothing can be applied until they are fixed."
        )
    if not summary.has_changes:
        return NO_CHANGES
    counts = summary.document()["counts"]
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete."
    )


def print_plan(summary: PlanSummary, *, show_all: bool = False) -> None:
    """Print ``summary`` for people: per product its changes and problems, then one line."""
    console = stdout_console()
    console.soft_wrap = True  # one change per line, never wrapped: logs are grepped
    for problem in summary.problems:
        _print_problem(console, problem)
    for plan in summary.products:
        _print_product(console, plan, show_all)
    console.print()
    style = "bold red" if summary.errors else "bold"
    console.print(Text(summary_line(summary), style=style))


def plan(
    ctx: typer.Context,
    paths: PathsArgument = None,
    as_json: JsonOption = False,
    show_all: AllOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show what 'apply' would change in the mesh, and every problem that stops it.

    Exit code 0 when the plan can be applied, 1 when the descriptors or the plan have errors.
    """
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        targets = paths or [Path(".")]
        if as_json:
            checked = _validate(session, targets)
            if not checked.report.ok:
                _refuse_invalid(checked.report, as_json)
            summary = session.mesh.plan(checked.files)
            print_json(_document(summary, checked.report))
        else:
            summary = _plan_at_once(session, targets)
            print_plan(summary, show_all=show_all)
    if summary.errors:
        raise typer.Exit(1)


def _confirm(summary: PlanSummary) -> bool:
    if not sys.stdin.isatty():
        raise ConfirmationRequired("apply these changes to the mesh")
    return typer.confirm(f"{summary_line(summary)} Apply?", default=False, err=True)


def _print_applied(summary: PlanSummary) -> None:
    console = stdout_console()
    for reference in summary.applied:
        console.print(Text.assemble(("applied ", "green"), (reference, "bold")))
    counts = summary.document()["counts"]
    console.print(
        Text(
            f"Apply complete: {counts['create']} created, {counts['update']} updated, "
            f"{counts['delete']} deleted.",
            style="bold green",
        )
    )


def apply(
    ctx: typer.Context,
    paths: PathsArgument = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Apply without asking for confirmation.")
    ] = False,
    as_json: JsonOption = False,
    show_all: AllOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Make the mesh match the descriptors: topics, schemas, catalog entries, lifecycle.

    Shows the plan first and asks before changing anything (--yes does not ask). Running it
    again with the same descriptors changes nothing.
    """
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        targets = paths or [Path(".")]
        report = None
        if as_json:
            checked = _validate(session, targets)
            if not checked.report.ok:
                _refuse_invalid(checked.report, as_json)
            targets, report = checked.files, checked.report
        shown = _Output(report, show_all)
        if yes:
            applied = _apply_at_once(session, targets, shown)
        else:
            applied = _apply_confirmed(session, targets, shown)
    if applied is None:
        return
    if report is not None:
        print_json(_document(applied, report))
    else:
        _print_applied(applied)


@dataclasses.dataclass(frozen=True, slots=True)
class _Output:
    """How ``apply`` shows plans: for people (``report`` is ``None``), or as JSON with validate's
    report."""

    report: ValidationReport | None
    show_all: bool

    def final(self, summary: PlanSummary) -> None:
        """Show a plan that goes no further (refused, or nothing to change)."""
        if self.report is not None:
            print_json(_document(summary, self.report))
        else:
            print_plan(summary, show_all=self.show_all)


def _apply_at_once(
    session: MeshSession[MeshClient], paths: list[Path], shown: _Output
) -> PlanSummary | None:
    """``apply --yes``: apply, then show the plan it carried out (``apply`` plans under its
    own lock, so planning first would check every descriptor twice); ``None``: no changes."""
    from streammesh.control import PlanRefused, PlanSummary

    try:
        applied = session.mesh.apply(paths)
    except PlanRefused as refused:
        # Nothing was applied: validate's report if the descriptors are wrong, else the whole
        # plan, with the changes its errors stop.
        if shown.report is None:
            _explain_failure(session, paths)
        current = session.mesh.plan(paths)
        if not current.errors:  # another apply changed the mesh meanwhile
            current = PlanSummary((), refused.problems)
        shown.final(current)
        raise typer.Exit(1) from None
    except MeshError:
        if shown.report is None:
            _explain_failure(session, paths)
        raise
    if not applied.has_changes:
        shown.final(applied)
        return None
    if shown.report is None:
        print_plan(applied, show_all=shown.show_all)
    return applied


def _apply_confirmed(
    session: MeshSession[MeshClient], paths: list[Path], shown: _Output
) -> PlanSummary | None:
    """``apply`` without ``--yes``: show the plan, ask, then apply; ``None``: no changes."""
    from streammesh.control import PlanRefused, PlanSummary

    if shown.report is None:
        planned = _plan_at_once(session, paths)
        print_plan(planned, show_all=shown.show_all)
    else:
        planned = session.mesh.plan(paths)
    if planned.errors or not planned.has_changes:
        if shown.report is not None:
            shown.final(planned)
        if planned.errors:
            raise typer.Exit(1)
        return None
    if not _confirm(planned):
        typer.echo("Nothing was applied.", err=True)
        raise typer.Exit(1)
    try:
        return session.mesh.apply(paths)
    except PlanRefused as refused:
        # The mesh changed since the plan was shown (another apply ran meanwhile).
        current = PlanSummary((), refused.problems)
        if shown.report is not None:
            print_json(_document(current, shown.report))
        else:
            print_plan(current)
        raise typer.Exit(1) from None
