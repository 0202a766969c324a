"""``streammesh governance`` and the policies ``streammesh validate`` evaluates, on a real
embedded mesh: set and show policies, the report, proposals, and validate's findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.invoking import invoke_cli
from tests.unit.cli.product_workspace import Workspace, error_line, json_of, make_workspace, ok


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    return make_workspace(tmp_path, monkeypatch)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rules_of(document: dict[str, object]) -> list[str]:
    findings = document["findings"]
    assert isinstance(findings, list)
    return [finding["rule"] for finding in findings]


def test_set_and_show_policies(workspace: Workspace, tmp_path: Path) -> None:
    shown = json_of("governance", "show-policy")
    assert shown["version"] is None
    assert "No global policy set" in ok("governance", "show-policy").stdout

    policy = write(
        tmp_path / "governance.yaml", "rules:\n  schema.formats: {allowed: [avro, json]}\n"
    )
    assert "version 1" in ok("governance", "set-policy", str(policy)).stdout
    shown = json_of("governance", "show-policy")
    assert shown["version"] == 1
    assert shown["policy"] == {"rules": {"schema.formats": {"allowed": ["avro", "json"]}}}

    loose = write(tmp_path / "execution.yaml", "rules:\n  schema.formats: {allowed: [protobuf]}\n")
    refused = invoke_cli("governance", "set-policy", str(loose), "--domain", "execution")
    line = error_line(refused)
    assert "loosens the global policy" in line and "'schema.formats'" in line

    tight = write(tmp_path / "tight.yaml", "rules:\n  schema.formats: {allowed: [avro]}\n")
    ok("governance", "set-policy", str(tight), "--domain", "execution")
    effective = json_of("governance", "show-policy", "--domain", "execution")["effective"]
    assert effective["rules"]["schema.formats"]["allowed"] == ["avro"]

    bad = write(tmp_path / "bad.yaml", "rules:\n  schema.formats: {allowed: [xml]}\n")
    assert "is invalid" in error_line(invoke_cli("governance", "set-policy", str(bad)))


def test_validate_evaluates_the_mesh_policy_or_a_policy_file(
    workspace: Workspace, tmp_path: Path
) -> None:
    root = str(workspace.root)
    assert rules_of(json_of("validate", root, "--offline")) == ["compatibility.skipped"]

    strict = write(tmp_path / "strict.yaml", "rules:\n  regions.allowed: {regions: [eu-west-1]}\n")
    refused = invoke_cli("validate", root, "--offline", "--policy", str(strict), "--json")
    assert refused.exit_code == 1
    document = json.loads(refused.stdout)
    (finding,) = [f for f in document["findings"] if f["rule"] == "regions.allowed"]
    assert finding["severity"] == "error"
    assert "eu-west-1" in finding["hint"]

    ok("apply", root, "--yes")
    ok("governance", "set-policy", str(strict))
    assert invoke_cli("validate", root).exit_code == 1
    assert "regions.allowed" in invoke_cli("validate", root).stdout


def test_report_and_proposals(workspace: Workspace, tmp_path: Path) -> None:
    assert "No published products" in ok("governance", "report").stdout
    ok("apply", str(workspace.root), "--yes")
    report = json_of("governance", "report")
    assert report["summary"]["compliant"] == 1
    runbook = write(tmp_path / "g.yaml", "rules:\n  metadata.required: {fields: [links.runbook]}\n")
    ok("governance", "set-policy", str(runbook))
    text = ok("governance", "report").stdout
    assert "metadata.required" in text and "0 of 1 published products compliant" in text

    created = json_of(
        "governance",
        "proposals",
        "create",
        "Require runbooks",
        "--body",
        "On-call needs one.",
        "--rule",
        "metadata.required",
    )
    number = str(created["id"])
    ok("governance", "proposals", "move", number, "in-review")
    assert json_of("governance", "proposals", "move", number, "accepted")["status"] == "accepted"
    refused = invoke_cli("governance", "proposals", "move", number, "draft")
    assert "cannot move to 'draft'" in error_line(refused)
    assert [item["id"] for item in json_of("governance", "proposals", "list", "runbook")] == [
        created["id"]
    ]
    assert "accepted" in ok("governance", "proposals", "show", number).stdout
    assert "does not exist" in error_line(invoke_cli("governance", "proposals", "show", "42"))
