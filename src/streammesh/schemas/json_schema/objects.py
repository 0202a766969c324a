"""Compatibility of object schemas: properties, open and closed content models, required.

A writer's *content model* is open when it lets undeclared properties through with any
value (``additionalProperties`` absent or ``true``), closed when it refuses them
(``false``), partially open when a schema constrains them. A property the reader
declares but the writer does not is only safe when the writer could never write it with
a value the reader refuses. Property dependencies (draft-07 ``dependencies``, 2019-09
``dependentRequired``/``dependentSchemas``, compared across dialects) and ``propertyNames``
(a string schema over the names the writer may write) are compared too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streammesh.schemas.base import Incompatibility
from streammesh.schemas.json_schema.conjunction import Conjunction, extra_member, member
from streammesh.schemas.json_schema.nodes import Node
from streammesh.schemas.json_schema.subschemas import pointer

Check = Callable[[Node, Conjunction, str], list[Incompatibility]]


def object_rules(
    reader: Node, writer: Conjunction, path: str, check: Check
) -> list[Incompatibility]:
    """Every object-level incompatibility between ``reader`` and ``writer``."""
    return [
        *_properties(reader, writer, path, check),
        *_additional(reader, writer, path, check),
        *_required(reader, writer, path),
        *_dependencies(reader, writer, path, check),
        *_property_names(reader, writer, path, check),
    ]


def _properties(
    reader: Node, writer: Conjunction, path: str, check: Check
) -> list[Incompatibility]:
    declared: dict[str, Any] = reader.get("properties") or {}
    names = list(declared)
    for values in writer.values("properties"):
        names.extend(name for name in values if name not in names)
    problems = []
    parts = Conjunction.of(reader)
    for name in names:
        written = writer.property(name)
        read = member(reader, name, evaluated=parts.declares(name))
        if written.never() or read is None:
            continue  # the writer never writes it, or the reader takes any value
        at = pointer(path, "properties", name)
        found = check(read, written, at)
        if not found:
            continue
        if name in declared and writer.declares(name):
            problems.extend(found)
        elif name in declared:
            rule = (
                "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                if written.nodes
                else "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            )
            problems.append(
                Incompatibility(
                    at,
                    rule,
                    f"the writer does not declare {name!r} but may write it with any value "
                    f"its content model allows; the reader constrains it: {found[0].reason}",
                )
            )
        elif read.contents is False:
            problems.append(
                Incompatibility(
                    at,
                    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                    f"the writer writes {name!r}, which the reader no longer declares and "
                    "its closed content model (additionalProperties false) refuses",
                )
            )
        else:
            problems.append(
                Incompatibility(
                    at,
                    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                    f"the writer writes {name!r}, which the reader no longer declares and its "
                    f"additionalProperties schema does not accept: {found[0].reason}",
                )
            )
    return problems


def _additional(
    reader: Node, writer: Conjunction, path: str, check: Check
) -> list[Incompatibility]:
    read = extra_member(reader)
    written = writer.additional()
    if read is None or written.never():
        return []
    at = pointer(path, "additionalProperties")
    found = check(read, written, at)
    if not found:
        return []
    if read.contents is False:
        return [
            Incompatibility(
                at,
                "ADDITIONAL_PROPERTIES_REMOVED",
                "the reader refuses undeclared properties (additionalProperties false), "
                "the writer allows them",
            )
        ]
    return [
        Incompatibility(
            at,
            "ADDITIONAL_PROPERTIES_NARROWED",
            f"the reader's additionalProperties accepts less than the writer's: {found[0].reason}",
        )
    ]


def _required(reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
    required = writer.required()
    problems = []
    for name in reader.get("required") or ():
        if name in required or _has_default(reader, name):
            # Confluent: REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED and
            # REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL are compatible.
            continue
        at = pointer(path, "properties", name)
        if writer.property(name).never() or (
            not writer.declares(name) and writer.additional().nodes
        ):
            problems.append(
                Incompatibility(
                    at,
                    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                    f"the reader requires {name!r}, which the writer's closed content model "
                    "does not declare, so no written document has it",
                )
            )
        else:
            problems.append(
                Incompatibility(
                    at,
                    "REQUIRED_ATTRIBUTE_ADDED",
                    f"the reader requires {name!r}, which the writer does not require",
                )
            )
    return problems


def _has_default(reader: Node, name: str) -> bool:
    declared = (reader.get("properties") or {}).get(name)
    return isinstance(declared, dict) and "default" in declared


# Where each dialect keeps property dependencies: draft-04 to -07 in "dependencies" (a list
# of names or a schema), 2019-09 on in "dependentRequired" and "dependentSchemas".
_DEPENDENCY_KEYWORDS = ("dependentRequired", "dependencies", "dependentSchemas")


def _dependencies(
    reader: Node, writer: Conjunction, path: str, check: Check
) -> list[Incompatibility]:
    problems = []
    for keyword in _DEPENDENCY_KEYWORDS:
        for trigger, needed in (reader.get(keyword) or {}).items():
            at = pointer(path, keyword, trigger)
            written = [
                deps[trigger]
                for other in _DEPENDENCY_KEYWORDS
                for deps in writer.values(other)
                if isinstance(deps, dict) and trigger in deps
            ]
            if isinstance(needed, list):
                problems.extend(_dependency_array(trigger, needed, written, writer, at))
                continue
            schemas = [reader.child(w) for w in written if not isinstance(w, list)]
            if not schemas:
                problems.append(
                    Incompatibility(
                        at,
                        "DEPENDENCY_SCHEMA_ADDED",
                        f"with {trigger!r} the reader applies a schema the writer does not",
                    )
                )
            else:
                problems.extend(check(reader.child(needed), Conjunction.of(*schemas), at))
    return problems


def _dependency_array(
    trigger: str, needed: list[Any], written: list[Any], writer: Conjunction, at: str
) -> list[Incompatibility]:
    lists = [set(w) for w in written if isinstance(w, list)]
    covered = writer.required().union(*lists)
    missing = [name for name in needed if name not in covered]
    if not missing:
        return []
    if not lists:
        rule = "DEPENDENCY_ARRAY_ADDED"
    elif set(needed) >= set().union(*lists):
        rule = "DEPENDENCY_ARRAY_EXTENDED"
    else:
        rule = "DEPENDENCY_ARRAY_CHANGED"
    return [Incompatibility(at, rule, f"with {trigger!r} the reader also requires {missing!r}")]


def _property_names(
    reader: Node, writer: Conjunction, path: str, check: Check
) -> list[Incompatibility]:
    """A reader ``propertyNames`` must accept every name the writer may write: the names its
    own ``propertyNames`` allow, or, for a closed writer, the names it declares."""
    wanted = reader.get("propertyNames")
    if wanted is None:
        return []
    at = pointer(path, "propertyNames")
    read = reader.child(wanted)
    written = [
        node.child(n) for node in writer.nodes if (n := node.get("propertyNames")) is not None
    ]
    if written:
        return check(read, Conjunction.of(*written), at)
    names: dict[str, Any] = {"type": "string"}
    if writer.additional().never() and not writer.values("patternProperties"):
        # A closed writer only writes the names it declares.
        names["enum"] = sorted({name for values in writer.values("properties") for name in values})
    return check(read, Conjunction.of(Node(names, reader.resolver, reader.dialect)), at)
