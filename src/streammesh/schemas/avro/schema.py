"""``AvroSchema``: a parsed Avro schema, with what serialization and the catalog need of it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from streammesh.schemas.avro.compiled import Check
from streammesh.schemas.avro.names import PRIMITIVES
from streammesh.schemas.base import ParsedSchema, SchemaField, SchemaType


@dataclass(frozen=True, slots=True)
class AvroSchema:
    """A parsed and checked Avro schema (implements ``ParsedSchema``).

    Two instances are equal when their text and canonical form are; the other attributes
    follow from those and the references, which the fingerprint covers.
    """

    text: str
    canonical: str
    fingerprint: str
    name: str
    references: Mapping[str, ParsedSchema] = field(compare=False)
    tree: Any = field(compare=False, repr=False)
    """The normalised schema tree (see ``parsing``)."""
    named: Mapping[str, Any] = field(compare=False, repr=False)
    """Normalised definitions of every named type the tree may use, references' included."""
    parsed: Any = field(compare=False, repr=False)
    """fastavro's parsed form, kept so that no call parses the schema again."""
    fastavro_named: Mapping[str, Any] = field(compare=False, repr=False)
    """fastavro's named types, references' included: what a schema referencing this one needs."""
    check: Check = field(compare=False, repr=False)
    """The fast event check of ``compiled.compile_check``."""
    field_list: tuple[SchemaField, ...] = field(compare=False, repr=False)

    @property
    def schema_type(self) -> SchemaType:
        """Always ``SchemaType.AVRO``."""
        return SchemaType.AVRO

    def fields(self) -> tuple[SchemaField, ...]:
        """Every field reachable from the root record, depth first, in declaration order."""
        return self.field_list


def root_name(tree: Any) -> str:
    """The full name of the top-level named type, or the kind of an unnamed top-level type."""
    if isinstance(tree, str):
        return tree
    if isinstance(tree, list):
        return "union"
    return str(tree.get("name", tree["type"]))


def list_fields(tree: Any, named: Mapping[str, Any]) -> tuple[SchemaField, ...]:
    """The catalog's view of a schema: dotted field paths with type names and docs.

    Array items add ``[]`` and map values ``{}`` to the path; records inside unions are
    listed under the union field's path. A recursive type is listed once.
    """
    return tuple(_walk(tree, named, "", set()))


def type_name(node: Any) -> str:
    """A readable type name: full names for named types, ``array<...>``, ``a|b`` for unions."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "|".join(type_name(branch) for branch in node)
    kind = node["type"]
    if "name" in node:
        return str(node["name"])
    if kind == "array":
        return f"array<{type_name(node['items'])}>"
    if kind == "map":
        return f"map<{type_name(node['values'])}>"
    return str(node.get("logicalType", kind))


def _nullable(node: Any) -> bool:
    """Whether a field of this type may hold null (a union with a null branch, or null)."""
    if isinstance(node, list):
        return any(_nullable(branch) for branch in node)
    return node == "null" or (isinstance(node, dict) and node.get("type") == "null")


def _walk(node: Any, named: Mapping[str, Any], path: str, seen: set[str]) -> Iterator[SchemaField]:
    if isinstance(node, str) and node not in PRIMITIVES:
        node = named[node]
    if isinstance(node, list):
        for branch in node:
            yield from _walk(branch, named, path, seen)
    elif isinstance(node, dict) and node["type"] == "array":
        yield from _walk(node["items"], named, f"{path}[]", seen)
    elif isinstance(node, dict) and node["type"] == "map":
        yield from _walk(node["values"], named, f"{path}{{}}", seen)
    elif isinstance(node, dict) and node["type"] == "record" and node["name"] not in seen:
        inner = seen | {node["name"]}
        for record_field in node["fields"]:
            field_path = f"{path}.{record_field['name']}" if path else record_field["name"]
            yield SchemaField(
                field_path,
                type_name(record_field["type"]),
                record_field.get("doc"),
                default=json.dumps(record_field["default"]) if "default" in record_field else None,
                required=not _nullable(record_field["type"]),
            )
            yield from _walk(record_field["type"], named, field_path, inner)
