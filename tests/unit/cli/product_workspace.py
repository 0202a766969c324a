"""A domain team's repository and a mesh, for tests of the product commands.

The repository is what ``streammesh init`` writes (``execution/stocktrades.yaml`` and its Avro
schema), published; the mesh lives in ``$STREAMMESH_HOME`` with no minimum time between
lifecycle stages, so a test can deprecate and retire at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from streammesh.config import MeshConfig
from streammesh.runtime import MeshRuntime
from tests.unit.cli.invoking import CliResult, invoke_cli

DOMAIN = "execution"
PRODUCT = "stocktrades"
NAME = f"{DOMAIN}.{PRODUCT}"
V1 = f"{NAME}.v1"
V2 = f"{NAME}.v2"

MESH_YAML = """\
lifecycle:
  min_published_before_deprecate: 0d
  min_deprecated_before_retire: 0d
"""


def trade(number: int, status: str = "new") -> dict[str, Any]:
    """An event of the scaffolded product."""
    return {
        "stocktrades_id": f"t-{number}",
        "customer_email": "ada@example.com",
        "status": status,
        "updated_at": 1_700_000_000_000 + number,
    }


def jsonl(*events: dict[str, Any]) -> bytes:
    return "".join(json.dumps(event) + "\n" for event in events).encode()


class Workspace:
    """The repository under ``root`` and the mesh in ``home``."""

    def __init__(self, root: Path, home: Path, domain: str = DOMAIN) -> None:
        self.root = root
        self.home = home
        self.domain = domain

    @property
    def name(self) -> str:
        """The product's name, ``<domain>.stocktrades``."""
        return f"{self.domain}.{PRODUCT}"

    @property
    def folder(self) -> Path:
        return self.root / self.domain

    @property
    def descriptor(self) -> Path:
        return self.folder / f"{PRODUCT}.yaml"

    @property
    def schema(self) -> Path:
        return self.folder / f"{PRODUCT}.avsc"

    def schema_document(self, path: Path | None = None) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((path or self.schema).read_text(encoding="utf-8"))
        return document

    def write_schema(self, document: dict[str, Any], path: Path | None = None) -> None:
        (path or self.schema).write_text(json.dumps(document, indent=2), encoding="utf-8")

    def add_field(self, field: dict[str, Any]) -> None:
        document = self.schema_document()
        document["fields"].append(field)
        self.write_schema(document)

    def retype_field(self, name: str, new_type: str) -> None:
        document = self.schema_document()
        for field in document["fields"]:
            if field["name"] == name:
                field["type"] = new_type
        self.write_schema(document)

    def replace_in_descriptor(self, old: str, new: str) -> None:
        text = self.descriptor.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in the descriptor"
        self.descriptor.write_text(text.replace(old, new), encoding="utf-8")

    def add_version_2(self) -> Path:
        """Write ``stocktrades_v2.yaml``: version 2, with ``status`` retyped to an int."""
        schema = self.schema_document()
        schema["namespace"] = f"{self.domain}.v2"
        for field in schema["fields"]:
            if field["name"] == "status":
                field["type"] = "int"
        schema_path = self.folder / f"{PRODUCT}_v2.avsc"
        self.write_schema(schema, schema_path)
        text = self.descriptor.read_text(encoding="utf-8")
        text = text.replace("version: 1 ", "version: 2 ").replace(
            f"schema: {PRODUCT}.avsc", f"schema: {PRODUCT}_v2.avsc"
        )
        path = self.folder / f"{PRODUCT}_v2.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    @contextmanager
    def mesh(self) -> Iterator[MeshRuntime]:
        """The mesh opened directly, to check what commands did to it."""
        with MeshRuntime.open(MeshConfig.load(self.home)) as mesh:
            yield mesh


def make_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, domain: str = DOMAIN
) -> Workspace:
    """A published ``<domain>.stocktrades`` descriptor (not applied) and an empty mesh."""
    home = tmp_path / "home"
    monkeypatch.setenv("STREAMMESH_HOME", str(home))
    for variable in ("STREAMMESH_LOG", "STREAMMESH_STORE", "STREAMMESH_SERVER", "STREAMMESH_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    home.mkdir()
    (home / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    workspace = Workspace(tmp_path / "repo", home, domain)
    ok("init", domain, "--product", PRODUCT, "--dir", str(workspace.root))
    workspace.replace_in_descriptor("status: draft", "status: published")
    return workspace


def ok(*args: str, stdin: bytes = b"", terminal: bool = False) -> CliResult:
    """Run a command that must succeed."""
    result = invoke_cli(*args, stdin=stdin, terminal=terminal)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def json_of(*args: str, stdin: bytes = b"") -> Any:
    """Run a ``--json`` command that must succeed; its document."""
    return json.loads(ok(*args, "--json", stdin=stdin).stdout)


def error_line(result: CliResult) -> str:
    """The one ``error: ...`` line of a failed command (no traceback)."""
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]
