"""The rule that a data product's value schema, in JSON Schema, describes an object.

Events of a data product are JSON objects with fields; a value schema that accepts anything
(``{}``, ``true``) or a scalar gives the catalog nothing to show and governance nothing to
check, so ``streammesh validate`` and ``plan``/``apply`` refuse it. The rule is not part of
parsing: the Confluent-compatible ``/registry`` accepts any valid JSON Schema, because keys,
referenced schemas and other tools' subjects legitimately have string, number, array or
combined roots.
"""

from __future__ import annotations

from streammesh.schemas.base import ParsedSchema
from streammesh.schemas.errors import InvalidSchema
from streammesh.schemas.json_schema.nodes import Node
from streammesh.schemas.json_schema.schema import JsonSchema
from streammesh.schemas.json_schema.typesets import local_types, type_label


def require_object_root(schema: ParsedSchema) -> None:
    """Raise ``InvalidSchema`` unless a data product's value ``schema`` only admits objects.

    ``type: object`` does it, and so does a ``$ref`` or an ``allOf`` branch that does, or
    ``anyOf``/``oneOf`` branches that all do. Schemas of other formats (Avro records,
    Protobuf messages) always describe a record and pass.
    """
    if not isinstance(schema, JsonSchema):
        return
    if schema.document is True or schema.document == {}:
        raise InvalidSchema(
            "JSON",
            "",
            "schemaless JSON is not accepted for a data product: this schema accepts any "
            'document; declare "type": "object" and the event\'s "properties"',
        )
    admitted = _admitted(Node.root(schema), set())
    if admitted == frozenset({"object"}):
        return
    raise InvalidSchema(
        "JSON",
        "/type",
        "the root schema must describe an object (events of a data product are JSON "
        f'objects), but it admits {type_label(admitted)}; declare "type": "object"',
    )


def _admitted(node: Node, seen: set[int]) -> frozenset[str]:
    """The types ``node`` admits, following ``$ref`` and combinators."""
    if id(node.contents) in seen:
        return local_types(node)
    seen = seen | {id(node.contents)}
    types = local_types(node)
    target = node.follow()
    if target is not None:
        types &= _admitted(target, seen)
    for branch in node.get("allOf") or ():
        types &= _admitted(node.child(branch), seen)
    for keyword in ("anyOf", "oneOf"):
        branches = node.get(keyword)
        if branches:
            union: frozenset[str] = frozenset()
            for branch in branches:
                union |= _admitted(node.child(branch), seen)
            types &= union
    return types
