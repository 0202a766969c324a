"""How ``plan`` and ``apply`` print a plan: the summary line, changes, problems and details."""

from __future__ import annotations

import pytest

from streammesh.cli.plan import NO_CHANGES, print_plan, summary_line
from streammesh.control.plan import (
    Action,
    Change,
    PlanProblem,
    PlanSummary,
    ProductPlanSummary,
    Resource,
    Severity,
)

REFERENCE = "execution.stocktrades.v1"


def _summary(*changes: Change, problems: tuple[PlanProblem, ...] = ()) -> PlanSummary:
    return PlanSummary((ProductPlanSummary(REFERENCE, "stocktrades.yaml", changes, problems),), ())


def _change(resource: Resource, action: Action) -> Change:
    return Change(resource, action, REFERENCE, f"{resource} {action}")


def test_summary_line_counts_changes_by_action() -> None:
    summary = _summary(
        _change(Resource.TOPIC, Action.CREATE),
        _change(Resource.SCHEMA, Action.CREATE),
        _change(Resource.CATALOG, Action.UPDATE),
        _change(Resource.STATUS, Action.NONE),
    )
    assert summary_line(summary) == "Plan: 2 to create, 1 to update, 0 to delete."
    assert summary_line(_summary(_change(Resource.TOPIC, Action.NONE))) == NO_CHANGES


def test_errors_refuse_the_plan_and_warnings_do_not() -> None:
    warning = PlanProblem(REFERENCE, "o", Severity.WARNING, "upstream.unknown", "w")
    error = PlanProblem(REFERENCE, "o", Severity.ERROR, "topic.partitions-changed", "e")
    create = _change(Resource.TOPIC, Action.CREATE)
    assert summary_line(_summary(create, problems=(warning,))).startswith("Plan: 1 to create")
    assert summary_line(_summary(create, problems=(warning, error, error))) == (
        "Plan refused: 2 errors; nothing can be applied until they are fixed."
    )


def test_each_detail_of_a_problem_has_its_own_line(capsys: pytest.CaptureFixture[str]) -> None:
    problem = PlanProblem(
        REFERENCE,
        "stocktrades.yaml",
        Severity.ERROR,
        "compatibility.incompatible",
        "the schema is incompatible (2 incompatibilities)",
        "publish it as the next major version (version: 2)",
        ("field 'status' changed type", "field 'venue' has no default"),
    )
    print_plan(_summary(_change(Resource.TOPIC, Action.NONE), problems=(problem,)))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{REFERENCE}  (stocktrades.yaml)"
    assert lines[1].split() == [
        "error", "the", "schema", "is", "incompatible", "(2", "incompatibilities)",
        "[compatibility.incompatible]",
    ]  # fmt: skip
    assert lines[2].strip() == "- field 'status' changed type"
    assert lines[3].strip() == "- field 'venue' has no default"
    assert lines[4].strip() == "fix: publish it as the next major version (version: 2)"
    assert lines[-1].startswith("Plan refused: 1 error;")


def test_unchanged_lines_show_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    summary = _summary(_change(Resource.TOPIC, Action.NONE), _change(Resource.SCHEMA, Action.NONE))
    print_plan(summary)
    hidden = capsys.readouterr().out.splitlines()
    assert hidden[0] == f"{REFERENCE}  (stocktrades.yaml)  unchanged"
    assert hidden[-1] == NO_CHANGES
    print_plan(summary, show_all=True)
    shown = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in shown[1:3]] == [
        ["=", "none", "topic"],
        ["=", "none", "schema"],
    ]
