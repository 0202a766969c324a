"""``Conjunction``: what a writer schema guarantees, as the ``allOf`` of its parts.

A writer schema with ``$ref``s and ``allOf`` branches is the intersection of all of them;
comparing a reader against that intersection (rather than branch by branch) is what makes
``allOf: [{"$ref": "base.json"}, {...extra fields...}]`` comparable with a flat schema.
``anyOf``/``oneOf`` in a writer are distributed: ``A and (B or C)`` becomes the
alternatives ``A and B``, ``A and C``, each compared on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streammesh.schemas.json_schema.nodes import Node
from streammesh.schemas.json_schema.patterns import search
from streammesh.schemas.json_schema.typesets import ALL_TYPES, enum_values, local_types

# Past this many alternatives a writer's nested anyOf/oneOf stop being distributed
# (each branch is then compared whole), bounding the work on pathological schemas.
_MAX_ALTERNATIVES = 64


@dataclass(frozen=True, slots=True)
class Branch:
    """Which writer ``anyOf``/``oneOf`` branch a conjunction came from."""

    keyword: str
    index: int
    count: int


@dataclass(frozen=True, slots=True)
class Conjunction:
    """Writer schema parts that all hold for every document the writer accepts."""

    nodes: tuple[Node, ...]
    branch: Branch | None = None
    # Parts whose anyOf/oneOf this conjunction already stands for one branch of.
    distributed: frozenset[int] = frozenset()

    @classmethod
    def of(cls, *nodes: Node) -> Conjunction:
        """The conjunction of ``nodes`` with their ``$ref`` targets and ``allOf`` branches."""
        flat: list[Node] = []
        seen: set[int] = set()
        for node in nodes:
            _flatten(node, flat, seen)
        return cls(tuple(flat))

    @property
    def key(self) -> tuple[int, ...]:
        """Identity of the parts, for recursion guards."""
        return tuple(sorted({id(node.contents) for node in self.nodes}))

    def alternatives(self) -> list[Conjunction]:
        """This conjunction with writer ``anyOf``/``oneOf`` distributed into alternatives."""
        results = [self]
        for node in self.nodes:
            if id(node.contents) in self.distributed:
                continue
            for keyword in ("anyOf", "oneOf"):
                branches = node.get(keyword)
                if (
                    not isinstance(branches, list)
                    or len(results) * len(branches) > _MAX_ALTERNATIVES
                ):
                    continue
                expanded: list[Conjunction] = []
                for current in results:
                    for index, branch in enumerate(branches):
                        extra = Conjunction.of(node.child(branch)).nodes
                        tag = current.branch or Branch(keyword, index, len(branches))
                        done = current.distributed | {id(node.contents)}
                        expanded.append(Conjunction(current.nodes + extra, tag, done))
                results = expanded
        return results

    def types(self) -> frozenset[str]:
        """The JSON types every part admits."""
        types = ALL_TYPES
        for node in self.nodes:
            types &= local_types(node)
        return types

    def enum(self) -> list[Any] | None:
        """The values every part's ``enum``/``const`` allows, ``None`` if none restricts."""
        values: list[Any] | None = None
        for node in self.nodes:
            allowed = enum_values(node)
            if allowed is None:
                continue
            values = allowed if values is None else [v for v in values if contains(allowed, v)]
        return values

    def values(self, keyword: str) -> list[Any]:
        """Every part's value of ``keyword`` (parts without it left out)."""
        return [value for node in self.nodes if (value := node.get(keyword)) is not None]

    def required(self) -> set[str]:
        """The property names some part requires."""
        names: set[str] = set()
        for value in self.values("required"):
            names.update(name for name in value if isinstance(name, str))
        return names

    def declares(self, name: str) -> bool:
        """Whether some part lists ``name`` under ``properties``."""
        return any(name in (node.get("properties") or {}) for node in self.nodes)

    def property(self, name: str) -> Conjunction:
        """What the writer guarantees about property ``name`` (empty: never written)."""
        evaluated = self.declares(name)
        return Conjunction.of(
            *(part for node in self.nodes if (part := member(node, name, evaluated=evaluated)))
        )

    def additional(self) -> Conjunction:
        """What the writer guarantees about properties no part declares or patterns."""
        parts = []
        for node in self.nodes:
            part = extra_member(node)
            if part is not None:
                parts.append(part)
        return Conjunction.of(*parts)

    def never(self) -> bool:
        """Whether some part is ``false``: the writer produces nothing here."""
        return any(node.contents is False for node in self.nodes)


def member(node: Node, name: str, *, evaluated: bool = False) -> Node | None:
    """The schema ``node`` applies to its property ``name``: declared, by pattern, or
    ``additionalProperties``; ``None`` when it does not constrain it.

    ``evaluated``: a sibling part (``allOf`` branch, ``$ref`` target) declares ``name``,
    which exempts it from this node's ``unevaluatedProperties``.
    """
    properties = node.get("properties") or {}
    if name in properties:
        return node.child(properties[name])
    for pattern, subschema in (node.get("patternProperties") or {}).items():
        if search(pattern, name):
            return node.child(subschema)
    if evaluated and node.get("additionalProperties") is None:
        return None
    return extra_member(node)


def extra_member(node: Node) -> Node | None:
    """The schema ``node`` applies to undeclared properties, ``None`` when open."""
    if node.contents is False:
        return node
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        value = node.get(keyword)
        if value is not None and value is not True:
            return node.child(value)
    return None


def contains(values: list[Any], value: Any) -> bool:
    """``value in values`` with JSON equality (``true`` is not ``1``)."""
    return any(v == value and isinstance(v, bool) == isinstance(value, bool) for v in values)


def _flatten(node: Node, flat: list[Node], seen: set[int]) -> None:
    if id(node.contents) in seen or node.contents is True:
        return
    seen.add(id(node.contents))
    flat.append(node)
    target = node.follow()
    if target is not None:
        _flatten(target, flat, seen)
    for branch in node.get("allOf") or ():
        _flatten(node.child(branch), flat, seen)
