"""Validation of topic names and specs, shared by every backend (Kafka's own rules)."""

from __future__ import annotations

import re

from streammesh.log.base import CleanupPolicy, TopicSpec
from streammesh.log.errors import InvalidTopicConfig, InvalidTopicName

MAX_TOPIC_NAME_LENGTH = 249
MAX_PARTITIONS = 10_000
_LEGAL = re.compile(r"[A-Za-z0-9._-]+")


def validate_topic_name(name: object) -> str:
    """Return ``name`` if Kafka would accept it as a topic name, else raise ``InvalidTopicName``."""
    if not isinstance(name, str):
        raise InvalidTopicName(repr(name), f"must be a string, not {type(name).__name__}")
    if not name:
        raise InvalidTopicName(name, "it is empty")
    if name in {".", ".."}:
        raise InvalidTopicName(name, "'.' and '..' are reserved")
    if len(name) > MAX_TOPIC_NAME_LENGTH:
        raise InvalidTopicName(name[:40] + "...", f"it is {len(name)} characters long")
    if not _LEGAL.fullmatch(name):
        bad = sorted({c for c in name if not _LEGAL.fullmatch(c)})
        raise InvalidTopicName(name, "it contains " + ", ".join(repr(c) for c in bad))
    return name


def validate_topic_spec(spec: TopicSpec) -> TopicSpec:
    """Return ``spec`` if every setting is in range, else raise the first problem found."""
    validate_topic_name(spec.name)
    name = spec.name
    if isinstance(spec.partitions, bool) or not isinstance(spec.partitions, int):
        raise InvalidTopicConfig(name, "partitions", "must be an integer")
    if not 1 <= spec.partitions <= MAX_PARTITIONS:
        raise InvalidTopicConfig(
            name, "partitions", f"{spec.partitions} is outside 1..{MAX_PARTITIONS}"
        )
    if not isinstance(spec.cleanup_policy, CleanupPolicy):
        raise InvalidTopicConfig(name, "cleanup_policy", "must be 'delete' or 'compact'")
    for setting in ("retention_ms", "retention_bytes"):
        value = getattr(spec, setting)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidTopicConfig(name, setting, "must be an integer or None (unlimited)")
        if value is not None and value <= 0:
            raise InvalidTopicConfig(name, setting, f"{value} must be positive (None = unlimited)")
    for setting in ("min_compaction_lag_ms", "delete_retention_ms"):
        value = getattr(spec, setting)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidTopicConfig(name, setting, f"{value!r} must be a non-negative integer")
    return spec
