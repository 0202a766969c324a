"""``fit_schema``: a schema derived from a table keeps the product's own spelling where the
table holds the same data (record name, enums, docs, field order, logical-type precision)."""

from __future__ import annotations

from typing import Any

from streammesh.connect.columns import Column, fit_schema, record_schema

STATUS = {"type": "enum", "name": "OrderStatus", "symbols": ["PLACED", "PAID"]}
CONTRACT: dict[str, Any] = {
    "type": "record",
    "name": "Order",
    "namespace": "com.example",
    "doc": "One order.",
    "fields": [
        {"name": "id", "type": "string", "doc": "The id."},
        {"name": "status", "type": STATUS, "doc": "Where it is."},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}


def derived(*columns: Column) -> dict[str, Any]:
    return record_schema("public.orders", columns)


def test_the_same_columns_in_another_order_give_the_products_schema_unchanged() -> None:
    table = derived(
        Column.postgres("note", "text"),
        Column.postgres("at", "timestamptz", nullable=False),
        Column.postgres("status", "order_status", nullable=False),
        Column.postgres("id", "text", primary_key=True),
    )
    assert table["name"] == "orders"
    assert fit_schema(table, CONTRACT) == CONTRACT


def test_a_new_column_follows_and_a_changed_type_stays_as_derived() -> None:
    table = derived(
        Column.postgres("id", "int8", primary_key=True),
        Column.postgres("status", "text", nullable=False),
        Column.postgres("at", "timestamptz", nullable=False),
        Column.postgres("note", "text"),
        Column.postgres("total", "numeric(10,2)"),
    )
    fitted = fit_schema(table, CONTRACT)
    assert (fitted["name"], fitted["namespace"]) == ("Order", "com.example")
    assert [field["name"] for field in fitted["fields"]] == ["id", "status", "at", "note", "total"]
    assert fitted["fields"][0] == {"name": "id", "type": "long", "doc": "The id."}
    assert fitted["fields"][1]["type"] == STATUS
    assert fitted["fields"][4]["type"][1]["logicalType"] == "decimal"


def test_a_nullable_column_where_the_product_has_an_enum_stays_nullable() -> None:
    table = derived(
        Column.postgres("id", "text", primary_key=True), Column.postgres("status", "text")
    )
    fitted = fit_schema(table, CONTRACT)
    assert fitted["fields"][1]["type"] == ["null", "string"]
