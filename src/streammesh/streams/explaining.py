"""The document ``streams explain --json``, ``POST /api/v1/streams/explain`` and
``mesh.streams.explain`` answer: a prepared application's queries as they would run."""

from __future__ import annotations

from typing import Any

from streammesh.log import EventLog
from streammesh.registry import SchemaRegistry
from streammesh.serde import RegistryResolver
from streammesh.streams.plan import explain
from streammesh.streams.runner import query_layouts
from streammesh.streams.service import PreparedApplication

__all__ = ["explain_document"]


def explain_document(
    prepared: PreparedApplication, log: EventLog, registry: SchemaRegistry
) -> dict[str, Any]:
    """``application``, ``inputs`` and ``outputs`` (product references) and per persistent
    query its ``id``, engine ``application``, ``sink`` (``name``, ``kind``, ``topic``),
    ``plan`` (the tree), whether it ``runs`` (else ``not_supported`` says why), its
    ``state_stores`` (``name``, ``changelog``) and ``internal_topics``. Nothing is created."""
    layouts = query_layouts(
        log, prepared.queries, prepared.name, resolver=RegistryResolver(registry)
    )
    return {
        "application": prepared.name,
        "inputs": [item.reference for item in prepared.inputs],
        "outputs": [output.reference for output in prepared.outputs],
        "queries": [
            {
                "id": layout.query.id,
                "application": layout.application,
                "sink": {
                    "name": layout.query.plan.name,
                    "kind": layout.query.plan.kind.value.lower(),
                    "topic": layout.query.plan.topic,
                },
                "plan": explain(layout.query.plan),
                "runs": layout.not_supported is None,
                "not_supported": layout.not_supported,
                "state_stores": [
                    {"name": store, "changelog": changelog}
                    for store, changelog in layout.state_stores
                ],
                "internal_topics": list(layout.internal_topics),
            }
            for layout in layouts
        ],
    }
