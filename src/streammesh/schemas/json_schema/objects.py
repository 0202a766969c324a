"""Compatibility of object schemas: properties, open and closed content models, required.

A writer's *content model* is open when it lets undeclared properties through with any
value (``additionalProperties`` absent or ``true``), closed when it refuses them
(``false``), partially open when a schema constrains them. A property the reader
declares but the writer does not is only safe when the writer could never write it with
a value the reader refuses.
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
        if name in required:
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


def _dependencies(
    reader: Node, writer: Conjunction, path: str, check: Check
) -> list[Incompatibility]:
    problems = []
    for keyword in ("dependentRequired", "dependencies", "dependentSchemas"):
        for trigger, needed in (reader.get(keyword) or {}).items():
            at = pointer(path, keyword, trigger)
            written = [deps[trigger] for deps in writer.values(keyword) if trigger in deps]
            if isinstance(needed, list):
                covered = writer.required().union(*(w for w in written if isinstance(w, list)))
                missing = [name for name in needed if name not in covered]
                if missing:
                    rule = "DEPENDENCY_ARRAY_EXTENDED" if written else "DEPENDENCY_ARRAY_ADDED"
                    problems.append(
                        Incompatibility(
                            at, rule, f"with {trigger!r} the reader also requires {missing!r}"
                        )
                    )
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
