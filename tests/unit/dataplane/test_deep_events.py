"""An event nested deeper than Python's stack allows (about 1,000 levels) is refused like any
other invalid event — one error naming the rule, nothing written — not a ``RecursionError``.
A real embedded mesh with a JSON Schema product whose ``body`` takes any JSON value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streammesh.dataplane import InvalidEvent
from streammesh.sdk import Mesh

DESCRIPTOR = """\
name: lab.docs
owner: {name: Ada Lovelace, email: ada@example.com}
team: lab-team
description: Free-form documents.
alignment: source
kind: measurement
key: {field: id, type: string}
schema: docs.json
partitions: xs
sla: {tier: 3}
status: published
"""
SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Doc",
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "Id."},
        "body": {"description": "Any JSON value."},
    },
    "required": ["id"],
}


def nested(depth: int) -> dict[str, Any]:
    body: dict[str, Any] = {}
    inner = body
    for _ in range(depth):
        inner["a"] = {}
        inner = inner["a"]
    return body


@pytest.mark.parametrize("depth", [3_000, 100_000])
def test_an_event_nested_too_deeply_is_refused_by_rule_and_nothing_is_written(
    tmp_path: Path, depth: int
) -> None:
    (tmp_path / "docs.yaml").write_text(DESCRIPTOR, encoding="utf-8")
    (tmp_path / "docs.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    with Mesh.open(tmp_path / "mesh") as mesh:
        mesh.apply([tmp_path])
        with pytest.raises(InvalidEvent) as refused, mesh.producer("lab.docs") as producer:
            producer.send({"id": "deep", "body": nested(depth)})
        with mesh.producer("lab.docs") as producer:
            producer.send({"id": "shallow", "body": nested(50)})
        topic = mesh.product("lab.docs").topic
        written = sum(mesh.local.log.describe_topic(topic).end_offsets.values())
    assert refused.value.rule == "event.depth"
    assert "too deeply" in str(refused.value)
    assert written == 1  # the shallow one only
