"""``Node``: a subschema together with what its ``$ref``s resolve against.

Comparing and describing schemas walks through ``$ref``s into ``$defs`` and into other
(referenced) documents; a node carries the resolver of the document it lives in, so a
``"#/$defs/money"`` inside a referenced schema resolves inside that schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from referencing.exceptions import Unresolvable

from streammesh.schemas.json_schema.dialects import Dialect

if TYPE_CHECKING:
    # referencing exports no public name for the resolver type; its own typing module
    # imports it from here the same way.
    from referencing._core import Resolver

    from streammesh.schemas.json_schema.schema import JsonSchema

# Keywords that describe but never reject a value.
ANNOTATIONS = frozenset(
    {
        "$anchor",
        "$comment",
        "$defs",
        "$dynamicAnchor",
        "$id",
        "$schema",
        "$vocabulary",
        "default",
        "definitions",
        "deprecated",
        "description",
        "examples",
        "format",
        "readOnly",
        "title",
        "writeOnly",
    }
)


@dataclass(frozen=True, slots=True)
class Node:
    """A subschema (``dict`` or ``bool``) and the resolver for ``$ref``s inside it."""

    contents: Any
    resolver: Resolver[Any]
    dialect: Dialect

    @classmethod
    def root(cls, schema: JsonSchema) -> Node:
        """The root of a parsed schema."""
        resolver = schema.registry.resolver(base_uri=schema.base_uri)
        return cls(schema.document, resolver, schema.dialect)

    def get(self, keyword: str) -> Any:
        """The value of ``keyword``, ``None`` when absent, in a boolean schema, or ignored
        (draft-04 to draft-07 ignore every keyword next to ``$ref``; a keyword of another
        dialect, such as ``prefixItems`` in draft-07, is ignored too)."""
        if not isinstance(self.contents, dict) or not self.dialect.knows(keyword):
            return None
        if (
            self.dialect.ref_overrides_siblings
            and "$ref" in self.contents
            and keyword not in ("$ref", "description", "title")
        ):
            return None
        return self.contents.get(keyword)

    def child(self, contents: Any) -> Node:
        """A subschema of this node (entering its ``$id`` scope, draft-04's ``id``, if it
        declares one)."""
        if isinstance(contents, dict) and self.dialect.specification.id_of(contents):
            resource = self.dialect.specification.create_resource(contents)
            return Node(contents, self.resolver.in_subresource(resource), self.dialect)
        return Node(contents, self.resolver, self.dialect)

    def follow(self, keyword: str = "$ref") -> Node | None:
        """The target of this node's ``$ref`` (or ``$dynamicRef``), ``None`` without one.

        Parsing already proved every reference resolvable, so a failure here is a bug.
        """
        ref = self.get(keyword)
        if not isinstance(ref, str):
            return None
        try:
            resolved = self.resolver.lookup(ref)
        except Unresolvable as exc:  # pragma: no cover - excluded by parse()
            raise LookupError(f"unresolvable $ref {ref!r} in a parsed schema") from exc
        target = Node(resolved.contents, resolved.resolver, self.dialect)
        return target.child(resolved.contents) if isinstance(resolved.contents, dict) else target

    def siblings_of_ref(self) -> Node | None:
        """This node without its ``$ref``, when the other keywords still constrain values
        (2020-12 applies them next to the reference; draft 7 ignores them)."""
        if self.dialect.ref_overrides_siblings or not isinstance(self.contents, dict):
            return None
        rest = {k: v for k, v in self.contents.items() if k not in ("$ref", "$dynamicRef")}
        if all(keyword in ANNOTATIONS for keyword in rest):
            return None
        return Node(rest, self.resolver, self.dialect)

    def is_unconstrained(self) -> bool:
        """Whether this schema accepts every value (``true`` or only annotations)."""
        if self.contents is True:
            return True
        return isinstance(self.contents, dict) and all(k in ANNOTATIONS for k in self.contents)
