"""A data product named in ``FROM`` plans as a source whose columns come from the registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streammesh.control import read_product_sources
from streammesh.runtime import MeshRuntime
from streammesh.streams.formats import FormatName
from streammesh.streams.plan import Source, children, explain
from streammesh.streams.planner import plan_statements
from streammesh.streams.products import ProductCatalog, ProductNotQueryable, UnknownProduct
from streammesh.streams.sql import parse_statements
from streammesh.streams.sql.statements import SourceKind
from streammesh.streams.types import INTEGER, STRING


def _plan(mesh: MeshRuntime, sql: str) -> Source:
    catalog = ProductCatalog(mesh.plane, mesh.registry)
    script = plan_statements(parse_statements(sql), text=sql, products=catalog)
    node = script.queries[0].plan
    while not isinstance(node, Source):
        node = children(node)[0]
    return node


def test_a_product_in_from_plans_with_its_columns_key_topic_and_format(mesh: MeshRuntime) -> None:
    source = _plan(
        mesh,
        "CREATE STREAM big AS SELECT symbol, price, quantity * price AS amount"
        " FROM execution.stocktrades WHERE quantity > 100 EMIT CHANGES;",
    )
    assert source.name == "execution.stocktrades"
    assert source.topic == "execution.stocktrades.v1"
    assert source.kind is SourceKind.STREAM
    assert [(c.name, c.type) for c in source.key_columns] == [("SYMBOL", STRING)]
    assert [c.name for c in source.value_columns] == [
        "SIDE",
        "QUANTITY",
        "PRICE",
        "USERID",
        "TRADER_EMAIL",
    ]
    assert source.value_columns[1].type == INTEGER
    assert (source.formats.key_format, source.formats.value_format) == (
        FormatName.KAFKA,
        FormatName.AVRO,
    )
    assert source.timestamp_column is None  # the record timestamp is the event time


def test_a_state_product_in_json_schema_is_a_table_read_as_json_sr(mesh: MeshRuntime) -> None:
    source = _plan(mesh, "CREATE TABLE regions AS SELECT userid, regionid FROM members.users.v1 u;")
    assert source.kind is SourceKind.TABLE
    assert source.formats.value_format is FormatName.JSON_SR
    assert [c.name for c in source.key_columns] == ["USERID"]
    assert source.alias == "U"


def test_an_unknown_product_suggests_the_nearest_and_points_at_it(mesh: MeshRuntime) -> None:
    sql = "CREATE STREAM s AS SELECT symbol FROM execution.stocktrade EMIT CHANGES;"
    with pytest.raises(UnknownProduct) as refused:
        _plan(mesh, sql)
    assert refused.value.suggestion == "execution.stocktrades"
    assert "did you mean execution.stocktrades?" in str(refused.value)
    assert (refused.value.line, refused.value.column) == (1, 39)


def test_an_unknown_column_of_a_product_is_refused_naming_it(mesh: MeshRuntime) -> None:
    with pytest.raises(Exception, match="PRICES"):
        _plan(mesh, "CREATE STREAM s AS SELECT symbol, prices FROM execution.stocktrades;")


def test_explain_shows_the_product_topic(mesh: MeshRuntime) -> None:
    catalog = ProductCatalog(mesh.plane, mesh.registry)
    sql = "CREATE STREAM s AS SELECT symbol, price FROM execution.stocktrades;"
    script = plan_statements(parse_statements(sql), text=sql, products=catalog)
    assert "execution.stocktrades.v1" in explain(script.queries[0].plan)
    assert [item.reference for item in catalog.resolved] == ["execution.stocktrades.v1"]


def _apply(mesh: MeshRuntime, folder: Path, name: str, fields: list[dict[str, object]]) -> None:
    """Apply a published ``execution.<name>`` keyed on ``id`` with these Avro fields."""
    folder.mkdir()
    schema = {"type": "record", "name": "Reading", "fields": fields}
    (folder / f"{name}.avsc").write_text(json.dumps(schema), encoding="utf-8")
    (folder / f"{name}.yaml").write_text(
        f"name: execution.{name}\nowner: {{name: A, email: a@example.com}}\n"
        "team: trading-team\ndescription: Readings.\nalignment: source\nkind: measurement\n"
        f"key: {{field: id, type: string}}\nschema: {name}.avsc\nsla: {{tier: 3}}\n"
        "retention: recent:7d\n",
        encoding="utf-8",
    )
    mesh.plane.apply(read_product_sources([folder]), actor="owner")


_ID = {"name": "id", "type": "string", "doc": "Id."}


def test_a_product_whose_schema_has_no_sql_columns_is_refused_naming_the_field(
    mesh: MeshRuntime, tmp_path: Path
) -> None:
    either = {"name": "reading", "type": ["null", "string", "double"], "doc": "Either."}
    _apply(mesh, tmp_path / "mixed", "mixed", [_ID, either])
    with pytest.raises(ProductNotQueryable, match=r"execution\.mixed\.v1.*reading") as refused:
        _plan(mesh, "CREATE STREAM s AS SELECT id, reading FROM execution.mixed;")
    assert refused.value.line == 1


def test_struct_fields_of_a_product_are_named_as_ksqldb_infers_them(
    mesh: MeshRuntime, tmp_path: Path
) -> None:
    place = {"type": "record", "name": "Place", "fields": [{"name": "city", "type": "string"}]}
    _apply(mesh, tmp_path / "sites", "sites", [_ID, {"name": "place", "type": place, "doc": "P."}])
    sql = "CREATE STREAM s AS SELECT id, place->city AS city FROM execution.sites;"
    catalog = ProductCatalog(mesh.plane, mesh.registry)
    script = plan_statements(parse_statements(sql), text=sql, products=catalog)
    assert [(c.name, c.type) for c in script.queries[0].plan.schema.values] == [("CITY", STRING)]
