"""Reader/writer compatibility of JSON Schemas.

The question asked everywhere: can *every* document valid under the writer schema be
accepted by the reader schema? The writer side is a :class:`Conjunction` (its ``$ref``
targets and ``allOf`` branches together; ``anyOf``/``oneOf`` distributed into
alternatives, each of which the reader must accept). The reader side is split the other
way: a reader ``allOf`` (or ``$ref``) holds only if each part accepts the writer, a reader
``anyOf``/``oneOf`` if some branch does. Keyword rules then compare like with like:
types, enums, bounds, object content models, array items.

The answer is conservative where JSON Schema makes exact answers impractical (regexes
are compared by text, ``if``/``then``/``else`` and ``not`` by structure): it may report a
change as incompatible that is not, never the reverse for the keywords it knows.
Recursive schemas are compared coinductively: a pair already being compared is assumed
compatible, which is what makes the recursion terminate.
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import ValidationError

from streammesh.schemas.base import Incompatibility
from streammesh.schemas.json_schema.arrays import array_rules
from streammesh.schemas.json_schema.bounds import numeric_bounds, size_bounds, string_pattern
from streammesh.schemas.json_schema.canonical import canonical_text
from streammesh.schemas.json_schema.conjunction import Conjunction, contains
from streammesh.schemas.json_schema.nodes import Node
from streammesh.schemas.json_schema.objects import object_rules
from streammesh.schemas.json_schema.schema import JsonSchema
from streammesh.schemas.json_schema.subschemas import pointer
from streammesh.schemas.json_schema.typesets import enum_values, local_types, type_label

# Keywords whose check on single values maps to a rule; used for writer enum values.
_VALUE_RULES = {
    "maxLength": "MAX_LENGTH_DECREASED",
    "minLength": "MIN_LENGTH_INCREASED",
    "pattern": "PATTERN_CHANGED",
    "maximum": "MAXIMUM_DECREASED",
    "minimum": "MINIMUM_INCREASED",
    "exclusiveMaximum": "EXCLUSIVE_MAXIMUM_DECREASED",
    "exclusiveMinimum": "EXCLUSIVE_MINIMUM_INCREASED",
    "multipleOf": "MULTIPLE_OF_CHANGED",
}
_CONDITIONAL = ("if", "then", "else")


def compare(reader: JsonSchema, writer: JsonSchema) -> list[Incompatibility]:
    """Every incompatibility found between ``reader`` and ``writer``, without duplicates."""
    checker = _Checker()
    found = checker.check(Node.root(reader), Conjunction.of(Node.root(writer)), "#")
    unique: dict[tuple[str, str, str], Incompatibility] = {}
    for problem in found:
        unique.setdefault((problem.path, problem.rule, problem.reason), problem)
    return list(unique.values())


class _Checker:
    def __init__(self) -> None:
        self._active: set[tuple[int, tuple[int, ...]]] = set()
        # Reader "siblings of $ref" nodes are built on the fly; caching them keeps their
        # identity stable, which the recursion guard relies on.
        self._siblings: dict[int, Node | None] = {}

    def check(self, reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
        if writer.never() or reader.is_unconstrained():
            return []
        key = (id(reader.contents), writer.key)
        if key in self._active:
            return []
        self._active.add(key)
        try:
            alternatives = writer.alternatives()
            problems: list[Incompatibility] = []
            for alternative in alternatives:
                problems.extend(self._against(reader, alternative, path))
            return problems
        finally:
            self._active.discard(key)

    def _against(self, reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
        """``reader`` against one writer alternative (no writer anyOf/oneOf left)."""
        if writer.never():
            return []
        if reader.contents is False:
            return [
                Incompatibility(
                    path, "TYPE_NARROWED", "the reader accepts nothing here (schema false)"
                )
            ]
        problems = self._local(reader, writer, path)
        target = reader.follow()
        if target is not None:
            problems.extend(self.check(target, writer, path))
            siblings = self._siblings_of(reader)
            if siblings is not None:
                problems.extend(self._local(siblings, writer, path))
        problems.extend(self._all_of(reader, writer, path))
        problems.extend(self._sum(reader, writer, path))
        return problems

    def _siblings_of(self, reader: Node) -> Node | None:
        key = id(reader.contents)
        if key not in self._siblings:
            self._siblings[key] = reader.siblings_of_ref()
        return self._siblings[key]

    def _local(self, reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
        """The reader node's own keywords (not ``$ref``/combinators) against the writer."""
        if reader.get("$ref") is not None:
            return []  # its siblings are compared through _siblings_of
        accepted = local_types(reader)
        written = writer.types()
        if not written:
            return []  # the writer's parts contradict each other: it writes nothing
        problems = _types(accepted, written, path)
        shared = accepted & written
        values = writer.enum()
        problems.extend(_enum(reader, values, path))
        if values is not None:
            problems.extend(_enum_values(reader, values, path))
        elif shared:
            problems.extend(self._by_type(reader, writer, shared, path))
        problems.extend(self._not(reader, writer, path))
        problems.extend(_conditional(reader, writer, path))
        return problems

    def _by_type(
        self, reader: Node, writer: Conjunction, shared: frozenset[str], path: str
    ) -> list[Incompatibility]:
        problems = []
        if shared & {"number", "integer"}:
            problems.extend(numeric_bounds(reader, writer, path))
        if "string" in shared:
            problems.extend(size_bounds(reader, writer, "string", path))
            problems.extend(string_pattern(reader, writer, path))
        if "array" in shared:
            problems.extend(array_rules(reader, writer, path, self.check))
        if "object" in shared:
            problems.extend(size_bounds(reader, writer, "object", path))
            problems.extend(object_rules(reader, writer, path, self.check))
        return problems

    def _all_of(self, reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
        branches = reader.get("allOf") or []
        written = max((len(node.get("allOf") or ()) for node in writer.nodes), default=0)
        problems = []
        for index, branch in enumerate(branches):
            at = pointer(path, "allOf", index)
            found = self.check(reader.child(branch), writer, at)
            if found and 0 < written < len(branches):
                problems.append(
                    Incompatibility(
                        at,
                        "PRODUCT_TYPE_EXTENDED",
                        f"the reader's allOf branch {index} (of {len(branches)}, the writer "
                        f"has {written}) refuses written documents: {found[0].reason}",
                    )
                )
            else:
                problems.extend(found)
        return problems

    def _sum(self, reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
        problems = []
        for keyword in ("anyOf", "oneOf"):
            branches = reader.get(keyword)
            if not isinstance(branches, list):
                continue
            if keyword == "oneOf" and writer.branch and writer.branch.keyword == "anyOf":
                problems.append(
                    Incompatibility(
                        path,
                        "COMBINED_TYPE_CHANGED",
                        "the writer's anyOf became oneOf: a document matching several "
                        "branches is refused by the reader",
                    )
                )
            attempts = [self.check(reader.child(b), writer, path) for b in branches]
            if any(not found for found in attempts):
                continue
            # The nearest branch is one of the right type with the fewest problems.
            closest = min(attempts, key=lambda found: (_type_mismatch(found), len(found)))
            origin = writer.branch
            what = (
                f"the writer's {origin.keyword} branch {origin.index}" if origin else "the writer"
            )
            rule = "COMBINED_TYPE_SUBSCHEMAS_CHANGED"
            if origin is not None and len(branches) < origin.count:
                rule = "SUM_TYPE_NARROWED"
            problems.append(
                Incompatibility(
                    pointer(path, keyword),
                    rule,
                    f"no branch of the reader's {keyword} accepts {what} "
                    f"({type_label(writer.types())})",
                )
            )
            if not _type_mismatch(closest):
                problems.extend(closest)  # the branch meant for it: say what broke there
        return problems

    def _not(self, reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
        excluded = reader.get("not")
        if excluded is None:
            return []
        # Writer documents avoid each writer "not" schema; the reader's exclusion is safe if
        # it lies inside one of them, i.e. that writer "not" accepts all the reader excludes.
        for written in writer.values("not"):
            node = next(n for n in writer.nodes if n.get("not") is written)
            if not self.check(node.child(written), Conjunction.of(reader.child(excluded)), path):
                return []
        return [
            Incompatibility(
                pointer(path, "not"),
                "NOT_TYPE_EXTENDED",
                "the reader excludes documents (with 'not') that the writer does not exclude",
            )
        ]


def _type_mismatch(found: list[Incompatibility]) -> bool:
    return any(problem.rule == "TYPE_CHANGED" for problem in found)


def _types(accepted: frozenset[str], written: frozenset[str], path: str) -> list[Incompatibility]:
    missing = written - accepted
    if not missing:
        return []
    rule = "TYPE_CHANGED" if not written & accepted else "TYPE_NARROWED"
    return [
        Incompatibility(
            path,
            rule,
            f"the writer allows {type_label(written)}, the reader only {type_label(accepted)}",
        )
    ]


def _enum(reader: Node, written: list[Any] | None, path: str) -> list[Incompatibility]:
    allowed = enum_values(reader)
    if allowed is None:
        return []
    if written is None:
        reason = f"the reader allows only {allowed!r}, the writer any value"
        return [Incompatibility(path, "ENUM_ARRAY_NARROWED", reason)]
    missing = [value for value in written if not contains(allowed, value)]
    if not missing:
        return []
    reason = f"the writer may write {missing!r}, which the reader's enum {allowed!r} lacks"
    return [Incompatibility(path, "ENUM_ARRAY_NARROWED", reason)]


def _enum_values(reader: Node, written: list[Any], path: str) -> list[Incompatibility]:
    """Check each value of a writer enum against the reader's value bounds directly."""
    if not isinstance(reader.contents, dict):
        return []
    local = {k: v for k, v in reader.contents.items() if k in _VALUE_RULES}
    if not local:
        return []
    validator = reader.dialect.validator_class(local)
    problems = []
    for value in written:
        error: ValidationError | None = next(validator.iter_errors(value), None)
        if error is not None and isinstance(error.validator, str):
            rule = _VALUE_RULES[error.validator]
            reason = f"the writer's enum value {value!r} breaks the reader's {error.validator}"
            problems.append(Incompatibility(path, rule, reason))
    return problems


def _conditional(reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
    """``if``/``then``/``else`` are not reasoned about: the reader's must be the writer's."""
    mine = {k: reader.get(k) for k in _CONDITIONAL if reader.get(k) is not None}
    if not mine:
        return []
    text = canonical_text(mine)
    for node in writer.nodes:
        theirs = {k: node.get(k) for k in _CONDITIONAL if node.get(k) is not None}
        if theirs and canonical_text(theirs) == text:
            return []
    return [
        Incompatibility(
            path,
            "CONDITIONAL_CHANGED",
            "the reader applies an if/then/else the writer does not have; streammesh only "
            "accepts conditionals the writer already enforces",
        )
    ]
