"""Comparing two versions of a schema: compatibility both ways, and a text diff.

``streammesh schemas diff`` and the REST API's ``/products/{reference}/schemas/diff`` both
use :func:`diff_schemas`, so a terminal and a product page give the same verdict.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

from streammesh.schemas.base import Incompatibility, ParsedSchema, SchemaType
from streammesh.schemas.formats import format_for


@dataclass(frozen=True, slots=True)
class SchemaSide:
    """One side of a comparison.

    Attributes:
        schema_type: The schema's format.
        text: The schema as registered.
        parsed: The schema parsed by its format (references resolved).
        label: How the text diff names this side (``subject version 2 (id 7)``).
    """

    schema_type: SchemaType
    text: str
    parsed: ParsedSchema
    label: str


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    """How a newer schema relates to an older one.

    Attributes:
        backward: Why the newer schema cannot read data written with the older (empty:
            BACKWARD compatible).
        forward: Why the older schema cannot read data written with the newer (empty:
            FORWARD compatible).
        text: A unified diff of the two schemas laid out for reading (empty: identical).
    """

    backward: tuple[Incompatibility, ...]
    forward: tuple[Incompatibility, ...]
    text: str


def pretty_schema(schema_type: SchemaType, text: str) -> str:
    """The schema laid out for reading: JSON-based formats indented, Protobuf as written."""
    if schema_type is SchemaType.PROTOBUF:
        return text.strip() + "\n"
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    except ValueError:
        return text.strip() + "\n"


def diff_schemas(old: SchemaSide, new: SchemaSide) -> SchemaDiff:
    """Compatibility of ``new`` with ``old`` in both directions, and their text diff.

    Schemas of different formats are incompatible both ways (``SCHEMA_TYPE_CHANGED``).
    """
    if old.schema_type is new.schema_type:
        schema_format = format_for(old.schema_type)
        backward = schema_format.check_compatibility(reader=new.parsed, writer=old.parsed)
        forward = schema_format.check_compatibility(reader=old.parsed, writer=new.parsed)
    else:
        changed = Incompatibility(
            "", "SCHEMA_TYPE_CHANGED", f"{old.schema_type.value} -> {new.schema_type.value}"
        )
        backward, forward = [changed], [changed]
    text = "".join(
        difflib.unified_diff(
            pretty_schema(old.schema_type, old.text).splitlines(keepends=True),
            pretty_schema(new.schema_type, new.text).splitlines(keepends=True),
            fromfile=old.label,
            tofile=new.label,
        )
    )
    return SchemaDiff(tuple(backward), tuple(forward), text)


__all__ = ["SchemaDiff", "SchemaSide", "diff_schemas", "pretty_schema"]
