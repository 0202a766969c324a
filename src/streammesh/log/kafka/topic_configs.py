"""A ``TopicSpec`` as Kafka topic configs, and back.

Kafka writes "unlimited" as ``-1``; streammesh writes it as ``None``. A cluster may leave out
configs nobody set (tansu returns only the configs a topic was created with), so reading
falls back to Kafka's broker defaults for anything missing.
"""

from __future__ import annotations

from collections.abc import Mapping

from streammesh.log.base import CleanupPolicy, TopicSpec

CLEANUP_POLICY = "cleanup.policy"
RETENTION_MS = "retention.ms"
RETENTION_BYTES = "retention.bytes"
MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms"
DELETE_RETENTION_MS = "delete.retention.ms"

KAFKA_DEFAULTS: Mapping[str, str] = {
    CLEANUP_POLICY: "delete",
    RETENTION_MS: "604800000",
    RETENTION_BYTES: "-1",
    MIN_COMPACTION_LAG_MS: "0",
    DELETE_RETENTION_MS: "86400000",
}
"""Apache Kafka's broker defaults, used for any config a cluster does not report."""

SPEC_CONFIGS = tuple(KAFKA_DEFAULTS)
"""The topic configs a ``TopicSpec`` sets (and reads back)."""


def spec_to_configs(spec: TopicSpec) -> dict[str, str]:
    """The topic configs that make a Kafka topic what ``spec`` (already validated) says."""
    return {
        CLEANUP_POLICY: spec.cleanup_policy.value,
        RETENTION_MS: str(-1 if spec.retention_ms is None else spec.retention_ms),
        RETENTION_BYTES: str(-1 if spec.retention_bytes is None else spec.retention_bytes),
        MIN_COMPACTION_LAG_MS: str(spec.min_compaction_lag_ms),
        DELETE_RETENTION_MS: str(spec.delete_retention_ms),
    }


def spec_from_configs(name: str, partitions: int, configs: Mapping[str, str | None]) -> TopicSpec:
    """The ``TopicSpec`` of a topic with these configs (missing ones take Kafka's defaults)."""

    def value(config: str) -> str:
        found = configs.get(config)
        return KAFKA_DEFAULTS[config] if found is None or found == "" else found

    return TopicSpec(
        name=name,
        partitions=partitions,
        cleanup_policy=_cleanup_policy(value(CLEANUP_POLICY)),
        retention_ms=_limit(value(RETENTION_MS)),
        retention_bytes=_limit(value(RETENTION_BYTES)),
        min_compaction_lag_ms=int(value(MIN_COMPACTION_LAG_MS)),
        delete_retention_ms=int(value(DELETE_RETENTION_MS)),
    )


def _cleanup_policy(value: str) -> CleanupPolicy:
    # Kafka allows "compact,delete" (compaction plus retention); streammesh models the
    # compaction part, which is what decides how a consumer must read the topic.
    policies = {part.strip() for part in value.split(",")}
    return (
        CleanupPolicy.COMPACT if CleanupPolicy.COMPACT.value in policies else CleanupPolicy.DELETE
    )


def _limit(value: str) -> int | None:
    number = int(value)
    return None if number < 0 else number
