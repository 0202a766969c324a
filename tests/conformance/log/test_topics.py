"""Topics: create, describe, list and delete, with Kafka's naming rules and settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streammesh.log import (
    CleanupPolicy,
    EventLog,
    InvalidTopicConfig,
    InvalidTopicName,
    Producer,
    Record,
    TopicAlreadyExists,
    TopicNotFound,
    TopicSpec,
)


def test_create_returns_the_spec_and_empty_partitions(
    log: EventLog, topic_name: Callable[[], str]
) -> None:
    spec = TopicSpec(topic_name(), partitions=3)

    created = log.create_topic(spec)

    assert created.spec == spec
    assert created.name == spec.name
    assert created.partitions == 3
    assert dict(created.beginning_offsets) == {0: 0, 1: 0, 2: 0}
    assert dict(created.end_offsets) == {0: 0, 1: 0, 2: 0}


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({}, id="defaults"),
        pytest.param(
            {"partitions": 2, "retention_ms": 60_000, "retention_bytes": 10_000_000},
            id="delete-limited",
        ),
        pytest.param({"retention_ms": None, "retention_bytes": None}, id="delete-unlimited"),
        pytest.param(
            {
                "partitions": 4,
                "cleanup_policy": CleanupPolicy.COMPACT,
                "retention_ms": None,
                "min_compaction_lag_ms": 1_500,
                "delete_retention_ms": 5_000,
            },
            id="compact",
        ),
    ],
)
def test_settings_round_trip_through_describe_and_list(
    log: EventLog, topic_name: Callable[[], str], settings: dict[str, Any]
) -> None:
    spec = TopicSpec(topic_name(), **settings)
    log.create_topic(spec)

    assert log.describe_topic(spec.name).spec == spec
    listed = {topic.name: topic for topic in log.list_topics()}
    assert listed[spec.name].spec == spec


def test_describe_shows_offsets_after_records_arrive(
    log: EventLog, new_topic: Callable[..., str], producer: Producer
) -> None:
    topic = new_topic(partitions=2)
    for _ in range(3):
        producer.send(topic, b"v", partition=1)
    producer.flush()

    described = log.describe_topic(topic)

    assert dict(described.beginning_offsets) == {0: 0, 1: 0}
    assert dict(described.end_offsets) == {0: 0, 1: 3}


def test_list_is_sorted_by_name_and_holds_no_internal_topics(
    log: EventLog, topic_name: Callable[[], str]
) -> None:
    base = topic_name()
    created = [f"{base}-b", f"{base}-c", f"{base}-a"]
    for name in created:
        log.create_topic(TopicSpec(name))

    names = [topic.name for topic in log.list_topics()]

    assert names == sorted(names)
    assert [name for name in names if name.startswith(base)] == sorted(created)
    assert not [name for name in names if name.startswith("__")]


def test_create_existing_topic_raises_and_keeps_the_original(
    log: EventLog, topic_name: Callable[[], str]
) -> None:
    name = topic_name()
    log.create_topic(TopicSpec(name, partitions=2))

    with pytest.raises(TopicAlreadyExists) as raised:
        log.create_topic(TopicSpec(name, partitions=5))

    assert raised.value.topic == name
    assert name in str(raised.value)
    assert log.describe_topic(name).partitions == 2


def test_missing_topic_cannot_be_described_or_deleted(
    log: EventLog, topic_name: Callable[[], str]
) -> None:
    name = topic_name()

    with pytest.raises(TopicNotFound) as described:
        log.describe_topic(name)
    with pytest.raises(TopicNotFound) as deleted:
        log.delete_topic(name)

    assert described.value.topic == name
    assert deleted.value.topic == name
    assert name in str(described.value)


def test_deleted_topic_is_gone(log: EventLog, new_topic: Callable[..., str]) -> None:
    name = new_topic(partitions=2)

    log.delete_topic(name)

    with pytest.raises(TopicNotFound):
        log.describe_topic(name)
    assert name not in [topic.name for topic in log.list_topics()]
    with pytest.raises(TopicNotFound):
        log.delete_topic(name)


def test_recreated_topic_starts_empty(
    log: EventLog,
    new_topic: Callable[..., str],
    producer: Producer,
    read_all: Callable[[str], list[Record]],
) -> None:
    name = new_topic(partitions=1)
    for value in (b"a", b"b", b"c"):
        producer.send(name, value)
    producer.flush()

    log.delete_topic(name)
    recreated = log.create_topic(TopicSpec(name, partitions=2))

    assert dict(recreated.end_offsets) == {0: 0, 1: 0}
    assert dict(log.describe_topic(name).end_offsets) == {0: 0, 1: 0}
    assert read_all(name) == []


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param(".", id="dot"),
        pytest.param("..", id="dotdot"),
        pytest.param("has space", id="space"),
        pytest.param("slash/name", id="slash"),
        pytest.param("star*", id="star"),
        pytest.param("caf\u00e9", id="non-ascii"),
        pytest.param("x" * 250, id="250-chars"),
    ],
)
def test_invalid_topic_name_is_refused_and_nothing_created(log: EventLog, name: str) -> None:
    with pytest.raises(InvalidTopicName) as raised:
        log.create_topic(TopicSpec(name))

    assert "invalid topic name" in str(raised.value)
    assert name not in [topic.name for topic in log.list_topics()]


def test_longest_legal_name_is_accepted(log: EventLog, topic_name: Callable[[], str]) -> None:
    name = topic_name().ljust(249, "x")

    log.create_topic(TopicSpec(name))

    assert log.describe_topic(name).name == name


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("partitions", 0),
        ("partitions", -1),
        ("partitions", 10_001),
        ("partitions", "3"),
        ("retention_ms", 0),
        ("retention_bytes", -1),
        ("min_compaction_lag_ms", -1),
        ("delete_retention_ms", -5),
    ],
)
def test_out_of_range_setting_is_refused_and_nothing_created(
    log: EventLog, topic_name: Callable[[], str], setting: str, value: Any
) -> None:
    name = topic_name()

    with pytest.raises(InvalidTopicConfig) as raised:
        log.create_topic(TopicSpec(name, **{setting: value}))

    assert raised.value.setting == setting
    assert name in str(raised.value)
    with pytest.raises(TopicNotFound):
        log.describe_topic(name)
