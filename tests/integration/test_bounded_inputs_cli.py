"""The command line refuses hostile YAML and schemas quickly, with one readable error and
exit 1: ``validate`` on an alias bomb or a 5000-level schema, ``governance set-policy`` on an
alias bomb, and a ``mesh.yaml`` carrying a ``!!python`` tag."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.test_bounded_inputs import alias_bomb, deep_avro
from tests.support.processes import streammesh_command
from tests.unit.cli.invoking import invoke_cli


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMMESH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STREAMMESH_TOKEN", raising=False)


def _product(tmp_path: Path) -> Path:
    result = invoke_cli("init", "sales", "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    return tmp_path / "repo" / "sales"


@pytest.mark.timeout(60)
def test_validate_refuses_an_alias_bomb_descriptor_within_seconds(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb(), encoding="utf-8")
    started = time.monotonic()
    finished = subprocess.run(
        [*streammesh_command(), "validate", str(bomb), "--offline"],
        capture_output=True,
        text=True,
        timeout=30,
        env=None,
    )
    assert time.monotonic() - started < 20  # the interpreter's start included
    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert "Traceback" not in finished.stdout + finished.stderr
    assert "descriptor.invalid" in finished.stdout
    assert "aliases are expanded" in finished.stdout


@pytest.mark.timeout(60)
def test_validate_refuses_an_avro_schema_5000_levels_deep(tmp_path: Path) -> None:
    folder = _product(tmp_path)
    (folder / "orders.avsc").write_text(deep_avro(5000), encoding="utf-8")
    result = invoke_cli("validate", str(folder / "orders.yaml"), "--offline")
    assert result.exit_code == 1
    assert "schema.invalid" in result.stdout
    assert "nested deeper than 100 levels" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.timeout(60)
def test_set_policy_refuses_an_alias_bomb(tmp_path: Path) -> None:
    policy = tmp_path / "governance.yaml"
    policy.write_text(alias_bomb().replace("name: execution.bomb\n", ""), encoding="utf-8")
    result = invoke_cli("governance", "set-policy", str(policy))
    assert result.exit_code == 2  # the CLI's code for an invalid policy or configuration
    assert result.stderr.startswith("error: ")
    assert "aliases are expanded (alias '*d' expands to 7381 nodes) (line 5, column 23)" in (
        result.stderr
    )
    assert not (tmp_path / "home").exists()


def test_a_python_tag_in_mesh_yaml_is_an_error_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    home = tmp_path / "home"
    home.mkdir()
    (home / "mesh.yaml").write_text(
        f"log: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8"
    )
    result = invoke_cli("products", "list")
    assert result.exit_code == 2  # the CLI's code for an invalid configuration
    assert result.stderr.startswith("error: ")
    assert "tag '!!python/object/apply:os.system' is not allowed" in result.stderr
    assert not marker.exists()
    assert sorted(path.name for path in home.iterdir()) == ["mesh.yaml"]
