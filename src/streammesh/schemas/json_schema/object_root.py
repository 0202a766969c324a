"""The rule that a data product's JSON Schema describes an object.

Events of a data product are JSON objects with fields; a schema that accepts anything
(``{}``, ``true``) or a scalar gives the catalog nothing to show and governance nothing to
check, so it is refused at parse time.
"""

from __future__ import annotations

from streammesh.schemas.errors import InvalidSchema
from streammesh.schemas.json_schema.nodes import Node
from streammesh.schemas.json_schema.typesets import local_types, type_label


def require_object_root(root: Node) -> None:
    """Raise ``InvalidSchema`` unless ``root`` only admits JSON objects.

    ``type: object`` does it, and so does a ``$ref`` or an ``allOf`` branch that does, or
    ``anyOf``/``oneOf`` branches that all do.
    """
    admitted = _admitted(root, set())
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
