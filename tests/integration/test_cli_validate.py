"""``streammesh validate`` end to end: on ``init``'s output, on broken products, and against
a registry holding an older schema, in-process and through a real ``streammesh up``."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import invoke_cli

_domains = itertools.count()


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The default local mesh is $STREAMMESH_HOME; it must not be the developer's.
    monkeypatch.setenv("STREAMMESH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STREAMMESH_TOKEN", raising=False)


def init(tmp_path: Path, domain: str = "sales", *extra: str) -> Path:
    result = invoke_cli("init", domain, "--dir", str(tmp_path / "repo"), *extra)
    assert result.exit_code == 0, result.stderr
    return tmp_path / "repo" / domain


def validate_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = invoke_cli("validate", *args, "--json")
    assert result.stderr == ""
    return result.exit_code, json.loads(result.stdout)


def test_init_output_validates_and_no_mesh_is_created(tmp_path: Path) -> None:
    folder = init(tmp_path)
    init(tmp_path, "sales", "--product", "refunds", "--format", "json")
    result = invoke_cli("validate", str(folder))
    assert result.exit_code == 0, result.stdout
    assert f"{folder / 'orders.yaml'}" in result.stdout
    assert "valid: 2 descriptors, 0 errors, 1 warning" in result.stdout
    assert "registry.not-found" in result.stdout  # compatibility not checked, and it says so
    assert not (tmp_path / "home").exists()

    offline = invoke_cli("validate", str(folder), "--offline")
    assert offline.exit_code == 0
    assert "registry.not-found" not in offline.stdout


def test_broken_folder_lists_every_problem(tmp_path: Path) -> None:
    folder = init(tmp_path)
    descriptor = folder / "orders.yaml"
    text = descriptor.read_text(encoding="utf-8")
    text = text.replace("field: orders_id", "field: order_id")
    text = text.replace("customer_email: [pii]", "customer_emial: [pii]")
    descriptor.write_text(text, encoding="utf-8")
    (folder / "broken.yaml").write_text(
        "name: sales.broken\nkind: command\nschema: broken.avsc\nownr: me\n", encoding="utf-8"
    )

    result = invoke_cli("validate", str(folder), "--offline")
    assert result.exit_code == 1
    assert result.stderr == ""
    assert "Traceback" not in result.stdout
    for rule in ("key.missing-field", "classification.unknown-field", "descriptor.invalid"):
        assert rule in result.stdout
    assert "fix: did you mean 'orders_id'?" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("invalid: 2 descriptors")

    code, document = validate_json(str(folder), "--offline")
    assert code == 1
    assert document["ok"] is False
    assert document["registry"] is None
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in document["findings"]:
        by_rule.setdefault(finding["rule"], []).append(finding)
    assert by_rule["key.missing-field"][0] == {
        "file": str(descriptor),
        "line": 16,
        "column": 3,
        "location": "key.field",
        "severity": "error",
        "rule": "key.missing-field",
        "message": "key field 'order_id' is not a field of the schema",
        "hint": "did you mean 'orders_id'?",
        "product": "sales.orders",
    }
    broken = {f["location"] for f in by_rule["descriptor.invalid"]}
    # kind, ownr, and the missing required fields: all at once.
    assert {"kind", "ownr", "owner", "team", "description", "key", "sla"} <= broken
    assert document["summary"]["errors"] == len(
        [f for f in document["findings"] if f["severity"] == "error"]
    )


def test_bad_arguments_are_reported_without_a_traceback(tmp_path: Path) -> None:
    result = invoke_cli("validate", str(tmp_path / "missing"), "--offline")
    assert result.exit_code == 1
    assert "path.not-found" in result.stdout

    result = invoke_cli("validate", str(tmp_path), "--offline", "--server", "http://x")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --offline")


# --- against a registry holding version 1 ---------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    with StreammeshServer(tmp_path_factory.mktemp("served")) as running:
        yield running


@pytest.fixture(params=["local", "server"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    if request.param == "local":
        return ["--mesh", str(tmp_path / "mesh")]
    running: StreammeshServer = request.getfixturevalue("server")
    assert running.admin_token is not None
    return ["--server", running.url, "--token", running.admin_token]


def published_product(tmp_path: Path, where: list[str]) -> tuple[Path, Path]:
    # The server is shared by the module's tests: each test gets its own domain (and subject).
    domain = f"sales{next(_domains)}"
    folder = init(tmp_path, domain)
    schema = folder / "orders.avsc"
    registered = invoke_cli("schemas", "register", f"{domain}.orders.v1-value", str(schema), *where)
    assert registered.exit_code == 0, registered.stderr
    return folder, schema


def change_fields(schema: Path, change: Any) -> None:
    document = json.loads(schema.read_text(encoding="utf-8"))
    change(document["fields"])
    schema.write_text(json.dumps(document), encoding="utf-8")


def test_compatible_change_passes_against_the_published_schema(
    tmp_path: Path, where: list[str]
) -> None:
    folder, schema = published_product(tmp_path, where)
    change_fields(
        schema, lambda fields: fields.append({"name": "note", "type": "string", "default": ""})
    )
    code, document = validate_json(str(folder), *where)
    assert code == 0, document
    assert document["registry"]
    assert [f["rule"] for f in document["findings"]] == ["compatibility.ok"]


def test_incompatible_change_fails_listing_the_incompatibilities(
    tmp_path: Path, where: list[str]
) -> None:
    folder, schema = published_product(tmp_path, where)

    def break_it(fields: list[dict[str, Any]]) -> None:
        fields[2] = {"name": "status", "type": "int"}
        fields.append({"name": "total", "type": "double"})

    change_fields(schema, break_it)
    code, document = validate_json(str(folder), *where)
    assert code == 1
    incompatible = [f for f in document["findings"] if f["rule"] == "compatibility.incompatible"]
    assert len(incompatible) >= 2
    assert {f["file"] for f in incompatible} == {str(schema)}
    text = " ".join(f["location"] + " " + f["message"] for f in incompatible)
    assert "status" in text
    assert "total" in text
    assert all("`version: 2`" in f["hint"] for f in incompatible)

    readable = invoke_cli("validate", str(folder), *where)
    assert readable.exit_code == 1
    assert readable.stdout.count("compatibility.incompatible") == len(incompatible)


def test_unreachable_server_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    folder = init(tmp_path)
    code, document = validate_json(
        str(folder), "--server", "http://127.0.0.1:9", "--token", "sm_nothing"
    )
    assert code == 1
    assert [f["rule"] for f in document["findings"]] == ["registry.unavailable"]
