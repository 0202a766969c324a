"""A product's Avro value schema as the Arrow schema an Iceberg table takes.

The mapping itself is the Parquet sink's (:mod:`streammesh.connect.parquet.arrow_schema`:
logical types to Arrow types, uuids as strings, records as structs...); Iceberg keeps fewer
units, so timestamps and times become microseconds here, and a decimal past 38 digits, which
Iceberg cannot hold, is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from streammesh.connect.iceberg.errors import UnsupportedAvroType
from streammesh.connect.parquet.arrow_schema import Convert, arrow_layout

_ICEBERG_MAX_PRECISION = 38


@dataclass(frozen=True, slots=True)
class IcebergLayout:
    """A product's value schema for an Iceberg table: its Arrow schema and conversions."""

    schema: pa.Schema
    converters: Mapping[str, Convert]

    def row(self, value: Mapping[str, Any]) -> dict[str, Any]:
        """``value``'s fields as Arrow takes them (fields outside the schema are left out)."""
        row: dict[str, Any] = {}
        for name in self.schema.names:
            item = value.get(name)
            convert = self.converters.get(name)
            row[name] = convert(item) if convert is not None and item is not None else item
        return row


def iceberg_layout(product: str, schema_text: str) -> IcebergLayout:
    """The Iceberg-ready Arrow layout of ``product``'s Avro value schema ``schema_text``.

    Raises:
        UnsupportedSchema: (the Parquet sink's) the schema is not a record or holds a union of
            several types.
        UnsupportedAvroType: A field is a decimal of more than 38 digits.
    """
    layout = arrow_layout(schema_text, subject=product)
    fields = [
        pa.field(field.name, _iceberg_type(product, field.name, field.type), field.nullable)
        for field in layout.schema
    ]
    return IcebergLayout(pa.schema(fields), layout.converters)


def _iceberg_type(product: str, path: str, kind: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(kind):
        return pa.timestamp("us", tz=kind.tz)
    if pa.types.is_time(kind):
        return pa.time64("us")
    if pa.types.is_decimal(kind) and kind.precision > _ICEBERG_MAX_PRECISION:
        raise UnsupportedAvroType(
            product, path, f"decimal({kind.precision}, {kind.scale}): more than 38 digits"
        )
    if pa.types.is_struct(kind):
        return pa.struct(
            [
                pa.field(
                    child.name, _iceberg_type(product, f"{path}.{child.name}", child.type)
                ).with_nullable(child.nullable)
                for child in kind
            ]
        )
    if pa.types.is_list(kind):
        item = kind.value_field
        return pa.list_(item.with_type(_iceberg_type(product, f"{path}[]", item.type)))
    if pa.types.is_map(kind):
        item = kind.item_field
        return pa.map_(
            kind.key_type, item.with_type(_iceberg_type(product, f"{path}{{}}", item.type))
        )
    return kind
