"""``plan`` and ``apply`` read each descriptor once and ask the registry about each schema once.

The registry is the mesh's own, wrapped in a registry that counts the calls it passes on (or,
for the CLI, whose mesh is its own, its class method wrapped the same way); file reads are
counted by a ``Path.read_text`` that reads for real and keeps a tally. (Finding descriptors in a
folder also peeks at each YAML file's top-level keys, as ``validate`` always did; that is not a
read of the descriptor.)
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.config import MeshConfig
from streammesh.control import ControlPlane, read_product_sources
from streammesh.control.errors import InvalidProductSource
from streammesh.governance import MeshReview
from streammesh.registry.base import CompatibilityReport, SchemaRegistry, SchemaSubmission
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.runtime import MeshRuntime
from tests.unit.cli.invoking import invoke_cli
from tests.unit.cli.product_workspace import Workspace, make_workspace, ok


class CountingRegistry:
    """A registry that counts the compatibility checks it passes on to a real one."""

    def __init__(self, registry: SchemaRegistry) -> None:
        self._registry = registry
        self.checks: Counter[str] = Counter()

    def check_compatibility(
        self, subject: str, submission: SchemaSubmission, *args: Any, **kwargs: Any
    ) -> CompatibilityReport:
        self.checks[subject] += 1
        return self._registry.check_compatibility(subject, submission, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._registry, name)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    return make_workspace(tmp_path, monkeypatch)


@pytest.fixture
def reads(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each file of the workspace's repository was read (by name), from now on."""
    tally: Counter[str] = Counter()
    read_text = Path.read_text
    repository = workspace.root.resolve()

    def counting(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.resolve().is_relative_to(repository):
            tally[self.name] += 1
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    return tally


def _two_products(workspace: Workspace) -> None:
    """A second product next to ``stocktrades``: ``stocktrades_v2`` (version 2)."""
    workspace.add_version_2()


def _add_optional_field(schema: Path) -> None:
    document = json.loads(schema.read_text(encoding="utf-8"))
    document["fields"].append({"name": "venue", "type": "string", "default": "XNYS"})
    schema.write_text(json.dumps(document), encoding="utf-8")


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the CLI's mesh registry checked compatibility, per subject, from now on."""
    tally: Counter[str] = Counter()
    check = SqlSchemaRegistry.check_compatibility

    def counting(self: SqlSchemaRegistry, subject: str, *args: Any, **kwargs: Any) -> Any:
        tally[subject] += 1
        return check(self, subject, *args, **kwargs)

    monkeypatch.setattr(SqlSchemaRegistry, "check_compatibility", counting)
    return tally


@pytest.fixture
def counted(workspace: Workspace) -> Iterator[tuple[ControlPlane, CountingRegistry]]:
    with MeshRuntime.open(MeshConfig.load(workspace.home)) as mesh:
        registry = CountingRegistry(mesh.registry)
        plane = ControlPlane(mesh.store, mesh.log, registry, reviews=MeshReview.load)
        yield plane, registry
        plane.close()


def test_apply_reads_each_file_once_and_checks_each_schema_once(
    workspace: Workspace,
    counted: tuple[ControlPlane, CountingRegistry],
    reads: Counter[str],
) -> None:
    plane, registry = counted
    _two_products(workspace)
    plane.apply(read_product_sources([workspace.root]), actor="ci")
    schemas = [workspace.schema, workspace.folder / "stocktrades_v2.avsc"]
    for schema in schemas:
        _add_optional_field(schema)
    reads.clear()

    result = plane.apply(read_product_sources([workspace.root]), actor="ci")

    assert {record.schema_version for record in result.applied} == {2}
    assert reads == {
        "stocktrades.yaml": 1,
        "stocktrades.avsc": 1,
        "stocktrades_v2.yaml": 1,
        "stocktrades_v2.avsc": 1,
    }
    assert registry.checks == {
        "execution.stocktrades.v1-value": 1,
        "execution.stocktrades.v2-value": 1,
    }


@pytest.mark.parametrize("command", [["plan"], ["apply", "--yes"]], ids=["plan", "apply"])
def test_cli_plan_and_apply_read_and_check_a_changed_descriptor_once(
    workspace: Workspace, reads: Counter[str], checks: Counter[str], command: list[str]
) -> None:
    ok("apply", str(workspace.root), "--yes")
    _add_optional_field(workspace.schema)
    reads.clear()
    checks.clear()

    result = ok(*command, str(workspace.root))

    assert "version 2 (compatible)" in result.stdout
    assert checks == {"execution.stocktrades.v1-value": 1}
    assert reads == {"stocktrades.yaml": 1, "stocktrades.avsc": 1}


def test_cli_json_plan_carries_validates_report_and_checks_twice(
    workspace: Workspace, checks: Counter[str]
) -> None:
    ok("apply", str(workspace.root), "--yes")
    _add_optional_field(workspace.schema)
    checks.clear()
    document = json.loads(ok("plan", str(workspace.root), "--json").stdout)
    assert [f["rule"] for f in document["validation"]["findings"]] == ["compatibility.ok"]
    assert checks == {"execution.stocktrades.v1-value": 2}  # validate's report, then the plan


def test_the_reader_names_a_missing_path_and_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidProductSource) as missing:
        read_product_sources([tmp_path / "nope"])
    assert str(missing.value) == (
        f"{tmp_path / 'nope'}: no such file or directory; give a descriptor file or a folder "
        "holding descriptors"
    )
    with pytest.raises(InvalidProductSource) as empty:
        read_product_sources([tmp_path])
    assert f"no data product descriptor found in '{tmp_path}'" in str(empty.value)
    assert "streammesh init DOMAIN" in str(empty.value)


def test_a_cli_apply_that_plan_refuses_still_shows_the_whole_plan(workspace: Workspace) -> None:
    ok("apply", str(workspace.root), "--yes")
    workspace.replace_in_descriptor("partitions: s ", "partitions: m ")
    refused = invoke_cli("apply", str(workspace.root), "--yes")
    assert refused.exit_code == 1
    lines = refused.stdout.splitlines()
    assert lines[0].startswith("execution.stocktrades.v1  (")
    assert "topic.partitions-changed" in refused.stdout
    assert lines[-1].startswith("Plan refused: 1 error;")
