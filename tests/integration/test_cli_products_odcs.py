"""``streammesh products export --format odcs`` and ``products import`` on a real embedded
mesh: the export passes the ``datacontract`` CLI's lint, and export then import gives back a
descriptor that validates and matches the one applied."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import open_data_contract_standard
import pytest
import yaml

from streammesh.products.loading import load_descriptor
from tests.unit.cli.invoking import invoke_cli
from tests.unit.cli.product_workspace import NAME, Workspace, error_line, make_workspace, ok

ODCS_JSON_SCHEMA = Path(open_data_contract_standard.__file__).parent / "schema.json"
"""The ODCS JSON Schema the package ships; ``datacontract lint`` would download it otherwise."""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    workspace = make_workspace(tmp_path, monkeypatch)
    ok("apply", str(workspace.root), "--yes")
    return workspace


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    datacontract = shutil.which("datacontract", path=str(Path(sys.executable).parent))
    assert datacontract is not None, "datacontract-cli is in the dev extra"
    return subprocess.run(
        [datacontract, "lint", str(path), "--json-schema", str(ODCS_JSON_SCHEMA)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _export(workspace: Workspace, tmp_path: Path) -> Path:
    contract = tmp_path / "stocktrades.odcs.yaml"
    contract.write_text(ok("products", "export", NAME, "--format", "odcs").stdout, "utf-8")
    return contract


def test_export_lints_and_round_trips(workspace: Workspace, tmp_path: Path) -> None:
    contract = _export(workspace, tmp_path)
    document = yaml.safe_load(contract.read_text("utf-8"))
    assert document["id"] == f"{NAME}.v1"
    assert document["status"] == "published"
    linted = _lint(contract)
    assert linted.returncode == 0, linted.stdout + linted.stderr

    into = tmp_path / "imported"
    result = ok("products", "import", str(contract), "--into", str(into))
    assert result.stderr == ""  # nothing left out
    ok("validate", str(into))
    back = load_descriptor(into / "stocktrades.yaml")
    original = load_descriptor(workspace.descriptor)
    assert back.model_dump(exclude={"schema_"}) == original.model_dump(exclude={"schema_"})
    assert back.schema_ref.format.value == "avro"


def test_import_as_json_schema_validates(workspace: Workspace, tmp_path: Path) -> None:
    contract = _export(workspace, tmp_path)
    into = tmp_path / "imported"
    ok("products", "import", str(contract), "--into", str(into), "--schema-format", "json")
    assert (into / "stocktrades.json").is_file()
    assert load_descriptor(into / "stocktrades.yaml").schema_ref.format.value == "json"


def test_import_reports_what_it_leaves_out(workspace: Workspace, tmp_path: Path) -> None:
    contract = _export(workspace, tmp_path)
    document = yaml.safe_load(contract.read_text("utf-8"))
    document["roles"] = [{"role": "analyst", "access": "read"}]
    contract.write_text(yaml.safe_dump(document), "utf-8")
    result = ok("products", "import", str(contract), "--into", str(tmp_path / "out"))
    assert "warning: roles: not represented in a descriptor; left out" in result.stderr


def test_an_invalid_contract_is_refused_and_nothing_written(
    workspace: Workspace, tmp_path: Path
) -> None:
    contract = _export(workspace, tmp_path)
    document = yaml.safe_load(contract.read_text("utf-8"))
    document["schema"][0]["properties"][0]["required"] = "perhaps"
    contract.write_text(yaml.safe_dump(document), "utf-8")
    into = tmp_path / "out"
    result = invoke_cli("products", "import", str(contract), "--into", str(into))
    assert result.exit_code == 1
    assert "schema.0.properties.0.required" in error_line(result)
    assert not into.exists()
    assert _lint(contract).returncode != 0


def test_a_deprecated_product_exports_and_imports_as_deprecated(
    workspace: Workspace, tmp_path: Path
) -> None:
    ok("deprecate", NAME, "--reason", "status becomes a code", "--sunset", "2099-06-30")
    contract = _export(workspace, tmp_path)
    assert yaml.safe_load(contract.read_text("utf-8"))["status"] == "deprecated"
    into = tmp_path / "imported"
    ok("products", "import", str(contract), "--into", str(into))
    back = load_descriptor(into / "stocktrades.yaml")
    assert back.status.value == "deprecated"
    assert back.deprecation is not None
    assert back.deprecation.reason == "status becomes a code"
