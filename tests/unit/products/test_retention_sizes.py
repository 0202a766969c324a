"""Retention semantics map onto topic settings; sizes onto partition counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from streammesh.log.base import CleanupPolicy
from streammesh.products.durations import format_duration, parse_duration
from streammesh.products.retention import Retention, RetentionMode, RetentionSyntaxError
from streammesh.products.sizes import PartitionSize


def test_sizes_are_the_documented_partition_counts() -> None:
    assert {size.value: size.partitions for size in PartitionSize} == {
        "xs": 1, "s": 4, "m": 8, "l": 16, "xl": 32, "xxl": 64, "jumbo": 256,
    }  # fmt: skip
    assert PartitionSize.for_partitions(16) is PartitionSize.L
    assert PartitionSize.for_partitions(5) is None


@pytest.mark.parametrize(
    ("text", "policy", "retention_ms"),
    [
        ("recent:7d", CleanupPolicy.DELETE, 7 * 86_400_000),
        ("recent:1d12h", CleanupPolicy.DELETE, 36 * 3_600_000),
        ("compacted", CleanupPolicy.COMPACT, None),
        ("full-history", CleanupPolicy.DELETE, None),
    ],
)
def test_retention_maps_to_a_topic_spec(
    text: str, policy: CleanupPolicy, retention_ms: int | None
) -> None:
    retention = Retention.parse(text)
    spec = retention.topic_spec("execution.stocktrades.v1", 8)
    assert (spec.cleanup_policy, spec.retention_ms, spec.partitions) == (policy, retention_ms, 8)
    assert str(retention) == text


@pytest.mark.parametrize("text", ["recent", "recent:", "recent:0s", "forever", "compacted:1d"])
def test_bad_retention_says_what_is_accepted(text: str) -> None:
    with pytest.raises(RetentionSyntaxError):
        Retention.parse(text)


def test_window_only_goes_with_recent() -> None:
    with pytest.raises(RetentionSyntaxError):
        Retention(RetentionMode.COMPACTED, timedelta(days=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", "1m30s"), ("15m", "15m"), ("1h", "1h"), ("7d", "7d"), ("2w", "14d")],
)
def test_durations_parse_and_print(text: str, expected: str) -> None:
    assert format_duration(parse_duration(text)) == expected
