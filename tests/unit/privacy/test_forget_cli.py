"""``streammesh forget``: keys typed as text, refusals, and the JSON outcome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streammesh.privacy import KeyStore, LocalKms
from streammesh.sdk import Mesh
from tests.unit.cli.invoking import invoke_cli


@pytest.fixture
def home(tmp_path: Path) -> Path:
    assert invoke_cli("init", "sales", "--dir", str(tmp_path / "repo")).exit_code == 0
    descriptor = tmp_path / "repo" / "sales" / "orders.yaml"
    descriptor.write_text(descriptor.read_text().replace("type: string ", "type: long   "))
    schema = tmp_path / "repo" / "sales" / "orders.avsc"
    schema.write_text(
        schema.read_text().replace(
            '"type": "string",\n      "doc": "Ident', '"type": "long",\n      "doc": "Ident'
        )
    )
    home = tmp_path / "home"
    with Mesh.open(home, actor="tester") as mesh:
        mesh.apply([tmp_path / "repo" / "sales"])
        keys = KeyStore(mesh.local.store, LocalKms.for_mesh(home))
        keys.current("sales.orders.v1", (42).to_bytes(8, "big", signed=True))
    return home


def test_forget_encodes_the_key_as_the_product_types_it(home: Path) -> None:
    result = invoke_cli("forget", "sales.orders.v1", "42", "--json", "--mesh", str(home))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"product": "sales.orders", "key": "42", "versions": 1}
    again = invoke_cli("forget", "sales.orders", "42", "--mesh", str(home))
    assert again.exit_code == 0 and "0 data key version(s) destroyed" in again.stdout
    assert "No encrypted field of this key was ever written" in again.stdout


def test_forget_refuses_a_key_of_the_wrong_type_and_unknown_products(home: Path) -> None:
    wrong = invoke_cli("forget", "sales.orders", "user-2", "--mesh", str(home))
    assert wrong.exit_code == 2
    assert "key 'user-2' does not fit product 'sales.orders.v1', whose keys are long" in (
        wrong.stderr
    )
    unknown = invoke_cli("forget", "sales.nothing", "1", "--mesh", str(home))
    assert unknown.exit_code != 0 and "sales.nothing" in unknown.stderr
