"""``streammesh plan`` and ``streammesh apply`` on a real embedded mesh: the plan people read,
its JSON, refusals (bad descriptors, incompatible schemas, frozen partitions) that change
nothing, confirmation, and an apply that is idempotent down to the audit log."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from streammesh.audit.events import MESH_EVENTS_TOPIC
from tests.unit.cli.invoking import invoke_cli
from tests.unit.cli.product_workspace import (
    V1,
    V2,
    Workspace,
    error_line,
    json_of,
    jsonl,
    make_workspace,
    ok,
    trade,
)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    return make_workspace(tmp_path, monkeypatch)


def _changes(document: dict[str, object], product: str) -> dict[str, str]:
    products = document["products"]
    assert isinstance(products, list)
    (found,) = [item for item in products if item["product"] == product]
    return {change["resource"]: change["action"] for change in found["changes"]}


def _mesh_state(workspace: Workspace) -> tuple[int, int]:
    """How many audit entries and ``_mesh.events`` the mesh holds."""
    with workspace.mesh() as mesh:
        audited = len(mesh.plane.audit.entries(limit=1000))
        events = sum(mesh.log.describe_topic(MESH_EVENTS_TOPIC).end_offsets.values())
    return audited, events


def test_plan_shows_what_apply_creates_and_changes_nothing(workspace: Workspace) -> None:
    result = ok("plan", str(workspace.root))
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{V1}  ({workspace.descriptor})")
    for resource, target in [
        ("domain", "execution"),
        ("topic", V1),
        ("schema", f"{V1}-value"),
        ("catalog", V1),
        ("status", V1),
    ]:
        assert any(line.split()[:4] == ["+", "create", resource, target] for line in lines), (
            f"no '+ create {resource} {target}' in:\n{result.stdout}"
        )
    assert "4 partitions, compacted" in result.stdout
    assert "draft -> published" in result.stdout
    assert lines[-1] == "Plan: 6 to create, 0 to update, 0 to delete."
    assert json_of("products", "list") == []

    document = json_of("plan", str(workspace.root))
    assert document["ok"] is True
    assert document["has_changes"] is True
    assert document["counts"] == {"create": 6, "update": 0, "delete": 0}
    assert document["applied"] == []
    assert document["validation"]["ok"] is True
    assert _changes(document, V1) == {
        "domain": "create",
        "team": "create",
        "topic": "create",
        "schema": "create",
        "catalog": "create",
        "status": "create",
    }


def test_apply_makes_it_so_and_a_second_apply_writes_nothing(workspace: Workspace) -> None:
    applied = ok("apply", str(workspace.root), "--yes")
    assert f"applied {V1}" in applied.stdout
    assert applied.stdout.rstrip().endswith("Apply complete: 6 created, 0 updated, 0 deleted.")
    record = json_of("products", "show", V1)
    assert record["status"] == "published"
    assert record["schema"]["version"] == 1
    assert record["consumers"] == []
    before = _mesh_state(workspace)
    assert before[0] > 0 and before[1] == before[0]  # every audit entry became an event

    again = ok("apply", str(workspace.root), "--yes")
    assert again.stdout.rstrip().splitlines()[-1] == (
        "No changes. The mesh matches the descriptors."
    )
    assert "applied" not in again.stdout
    assert _mesh_state(workspace) == before

    document = json_of("apply", str(workspace.root), "--yes")
    assert document["has_changes"] is False
    assert document["applied"] == []
    assert _mesh_state(workspace) == before

    unchanged = ok("plan", str(workspace.root))
    assert "unchanged" in unchanged.stdout
    assert "= none" not in unchanged.stdout
    shown = ok("plan", str(workspace.root), "--all")
    assert any(line.split()[:3] == ["=", "none", "topic"] for line in shown.stdout.splitlines())


def test_apply_json_lists_what_was_applied(workspace: Workspace) -> None:
    document = json_of("apply", str(workspace.root), "--yes")
    assert document["ok"] is True
    assert document["applied"] == [V1]
    assert document["counts"]["create"] == 6


def test_apply_asks_first(workspace: Workspace) -> None:
    refused = invoke_cli("apply", str(workspace.root))
    assert refused.exit_code == 2
    assert "pass --yes to confirm" in error_line(refused)
    assert json_of("products", "list") == []

    declined = invoke_cli("apply", str(workspace.root), stdin=b"n\n", terminal=True)
    assert declined.exit_code == 1
    assert "Apply?" in declined.stderr
    assert "Nothing was applied." in declined.stderr
    assert json_of("products", "list") == []

    accepted = ok("apply", str(workspace.root), stdin=b"y\n", terminal=True)
    assert f"applied {V1}" in accepted.stdout
    assert [record["reference"] for record in json_of("products", "list")] == [V1]


def test_bad_descriptors_list_every_problem_and_nothing_is_applied(workspace: Workspace) -> None:
    workspace.replace_in_descriptor("field: stocktrades_id", "field: stocktrade_id")
    workspace.replace_in_descriptor("customer_email: [pii]", "customer_emial: [pii]")
    (workspace.folder / "broken.yaml").write_text(
        "name: execution.broken\nkind: command\nschema: broken.avsc\nownr: me\n", encoding="utf-8"
    )

    for command in (["plan"], ["apply", "--yes"]):
        result = invoke_cli(*command, str(workspace.root))
        assert result.exit_code == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        for rule in ("key.missing-field", "classification.unknown-field", "descriptor.invalid"):
            assert rule in result.stdout, rule
        assert "did you mean 'stocktrades_id'?" in result.stdout
        assert "Nothing was planned: fix the problems above first." in result.stdout

    document = json.loads(invoke_cli("apply", str(workspace.root), "--yes", "--json").stdout)
    assert document["ok"] is False
    assert document["products"] == []
    rules = {finding["rule"] for finding in document["validation"]["findings"]}
    assert {"key.missing-field", "classification.unknown-field", "descriptor.invalid"} <= rules
    assert json_of("products", "list") == []
    with workspace.mesh() as mesh:
        assert V1 not in {topic.spec.name for topic in mesh.log.list_topics()}


def test_incompatible_change_is_refused_with_each_incompatibility(workspace: Workspace) -> None:
    ok("apply", str(workspace.root), "--yes")
    workspace.retype_field("status", "int")
    workspace.add_field({"name": "venue", "type": "string"})

    result = invoke_cli("plan", str(workspace.root))
    assert result.exit_code == 1
    incompatible = [
        line for line in result.stdout.splitlines() if "compatibility.incompatible" in line
    ]
    # FULL_TRANSITIVE (the default): the retyped field fails both ways, the new one once.
    assert len(incompatible) == 3, result.stdout
    assert sum("/fields/status/type" in line for line in incompatible) == 2
    assert sum("/fields/venue" in line for line in incompatible) == 1
    assert "set `version: 2`" in result.stdout
    assert f"{V2.rsplit('.', 1)[0]}.v2" in result.stdout

    refused = invoke_cli("apply", str(workspace.root), "--yes")
    assert refused.exit_code == 1
    with workspace.mesh() as mesh:
        assert mesh.registry.versions(f"{V1}-value") == [1]
    assert json_of("products", "show", V1)["schema"]["version"] == 1


def test_compatible_change_is_a_new_schema_version(workspace: Workspace) -> None:
    ok("apply", str(workspace.root), "--yes")
    workspace.add_field({"name": "venue", "type": "string", "default": "XNYS"})

    plan = ok("plan", str(workspace.root))
    assert any(
        line.split()[:4] == ["+", "create", "schema", f"{V1}-value"]
        for line in plan.stdout.splitlines()
    )
    assert "version 2 (compatible)" in plan.stdout
    assert any(line.split()[:3] == ["~", "update", "catalog"] for line in plan.stdout.splitlines())
    assert plan.stdout.rstrip().endswith("Plan: 1 to create, 1 to update, 0 to delete.")

    ok("apply", str(workspace.root), "--yes")
    assert json_of("products", "show", V1)["schema"]["version"] == 2


def test_a_plan_problem_shows_its_rule_message_and_fix(workspace: Workspace) -> None:
    ok("apply", str(workspace.root), "--yes")
    workspace.replace_in_descriptor("partitions: s ", "partitions: m ")

    result = invoke_cli("plan", str(workspace.root))
    assert result.exit_code == 1
    assert "topic.partitions-changed" in result.stdout
    assert f"topic '{V1}' has 4 partitions and the descriptor asks for 8" in result.stdout
    assert "fix: the partition count of a product version cannot change" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("Plan refused: 1 error;")

    document = json.loads(invoke_cli("plan", str(workspace.root), "--json").stdout)
    assert document["ok"] is False
    (problem,) = [p for item in document["products"] for p in item["problems"]]
    assert problem["rule"] == "topic.partitions-changed"
    assert problem["severity"] == "error"
    assert problem["hint"]

    refused = invoke_cli("apply", str(workspace.root), "--yes")
    assert refused.exit_code == 1
    assert json_of("products", "show", V1)["descriptor"]["partitions"] == "s"


def test_version_2_runs_side_by_side(workspace: Workspace) -> None:
    ok("apply", str(workspace.root), "--yes")
    workspace.add_version_2()

    plan = ok("plan", str(workspace.root))
    assert f"'{V1}' is replaced by '{V2}'" in plan.stdout
    ok("apply", str(workspace.root), "--yes")

    v1 = json_of("products", "show", V1)
    v2 = json_of("products", "show", V2)
    assert v1["replaced_by"] == V2
    assert v1["status"] == v2["status"] == "published"
    assert v2["topic"] == V2
    assert json_of("products", "show", V1.rsplit(".", 1)[0])["reference"] == V2
    shown = ok("products", "show", V1)
    assert any(line.split() == ["replaced", "by", V2] for line in shown.stdout.splitlines())


def test_no_descriptors_is_an_error(tmp_path: Path, workspace: Workspace) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke_cli("plan", str(empty))
    assert result.exit_code == 1
    assert "path.no-descriptors" in result.stdout


@pytest.mark.slow
@pytest.mark.kafka
def test_the_workflow_on_kafka_and_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str, postgres_url: str
) -> None:
    # The broker is shared by the session: a domain of this test's own.
    workspace = make_workspace(tmp_path, monkeypatch, domain=f"cli{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("STREAMMESH_LOG", f"kafka://{kafka_bootstrap}")
    monkeypatch.setenv("STREAMMESH_STORE", postgres_url)
    v1 = f"{workspace.name}.v1"

    assert json_of("apply", str(workspace.root), "--yes")["applied"] == [v1]
    assert json_of("apply", str(workspace.root), "--yes")["applied"] == []
    assert json_of("produce", workspace.name, stdin=jsonl(trade(1), trade(2)))["events"] == 2
    read = ok(
        # A group of this test's own: groups are shared by the broker too.
        "consume", workspace.name, "--group", f"risk-{workspace.domain}", "--from-beginning",
        "--max", "2",
        "--timeout", "30",
    )  # fmt: skip
    assert sorted(json.loads(line)["key"] for line in read.stdout.splitlines()) == ["t-1", "t-2"]
    assert json_of("products", "search", "stocktrades", "--domain", workspace.domain)["total"] == 1
    ok("deprecate", v1, "--reason", "moving on", "--sunset", "2027-06-30")
    assert json_of("retire", v1, "--force")["forced_by"] is not None
    assert not (workspace.home / "meta.db").exists()  # the store was PostgreSQL


def test_plan_refuses_a_json_value_schema_that_is_not_an_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any JSON Schema registers at /registry, but a product's value schema is an object."""
    workspace = make_workspace(tmp_path, monkeypatch)
    ok("init", "ledger", "--product", "balances", "--format", "json", "--dir", str(tmp_path / "j"))
    (schema,) = (tmp_path / "j").rglob("*.json")
    schema.write_text('{"type": "number"}', encoding="utf-8")

    result = invoke_cli("plan", str(tmp_path / "j"))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "must describe an object" in result.stdout
    assert "admits number" in result.stdout
    assert workspace.root.exists()
