"""``streammesh init``: scaffolds a product that loads, and refuses to overwrite anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.products.loading import load_descriptor
from streammesh.schemas.formats import format_for
from tests.unit.cli.invoking import invoke_cli


def files_under(path: Path) -> dict[Path, bytes]:
    return {file: file.read_bytes() for file in sorted(path.rglob("*")) if file.is_file()}


@pytest.mark.parametrize(
    ("schema_format", "extension"), [("avro", ".avsc"), ("json", ".json"), ("protobuf", ".proto")]
)
def test_init_writes_a_descriptor_that_loads(
    tmp_path: Path, schema_format: str, extension: str
) -> None:
    result = invoke_cli(
        "init", "execution", "--dir", str(tmp_path), "--product", "stock_trades",
        "--format", schema_format,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "execution"
    assert set(files_under(tmp_path)) == {
        folder / "stock_trades.yaml",
        folder / f"stock_trades{extension}",
    }
    assert f"created {folder / 'stock_trades.yaml'}" in result.stdout
    descriptor = load_descriptor(folder / "stock_trades.yaml")
    assert descriptor.topic == "execution.stock_trades.v1"
    schema = format_for(descriptor.schema_ref.format.schema_type).parse(
        (folder / descriptor.schema_ref.path).read_text()
    )
    field_paths = {field.path for field in schema.fields()}
    assert descriptor.key.field in field_paths
    assert set(descriptor.classifications) <= field_paths


def test_init_defaults_to_an_avro_orders_product_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke_cli("init", "sales").exit_code == 0
    assert load_descriptor(Path("sales/orders.yaml")).name == "sales.orders"


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    assert invoke_cli("init", "execution", "--dir", str(tmp_path)).exit_code == 0
    schema = tmp_path / "execution" / "orders.avsc"
    schema.unlink()  # one file left: still nothing may be written
    (tmp_path / "execution" / "orders.yaml").write_text("mine\n")
    before = files_under(tmp_path)
    result = invoke_cli("init", "execution", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: not overwriting")
    assert "orders.yaml" in result.stderr
    assert files_under(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("Execution",), "not a valid domain name"),
        (("execution", "--product", "Stock Trades"), "'stock_trades'"),
        (("execution", "--format", "xml"), "'--format'"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    result = invoke_cli("init", *args, "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert files_under(tmp_path) == {}
