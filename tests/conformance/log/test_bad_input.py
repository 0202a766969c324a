"""Bad input: a typed ``LogError`` naming the problem, and nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streammesh.log import (
    EventLog,
    InvalidPartition,
    InvalidRecord,
    LogConfig,
    Producer,
    Record,
    RecordTooLarge,
    TopicNotFound,
)


def end_offsets(log: EventLog, topic: str) -> dict[int, int]:
    return dict(log.describe_topic(topic).end_offsets)


def test_unknown_topic_is_refused_and_not_created(
    log: EventLog, topic_name: Callable[[], str], producer: Producer
) -> None:
    missing = topic_name()

    with pytest.raises(TopicNotFound) as raised:
        producer.send(missing, b"v")
        producer.flush()

    assert raised.value.topic == missing
    with pytest.raises(TopicNotFound):
        log.describe_topic(missing)


@pytest.mark.parametrize("partition", [3, 100, -1])
def test_partition_outside_the_topic_is_refused_and_nothing_written(
    log: EventLog, new_topic: Callable[..., str], producer: Producer, partition: int
) -> None:
    topic = new_topic(partitions=3)
    producer.send(topic, b"good", partition=1)
    producer.flush()

    with pytest.raises(InvalidPartition) as raised:
        producer.send(topic, b"bad", partition=partition)
    producer.flush()

    assert raised.value.partition == partition
    assert f"partition {partition}" in str(raised.value)
    assert end_offsets(log, topic) == {0: 0, 1: 1, 2: 0}


@pytest.mark.parametrize(
    ("field", "send_kwargs"),
    [
        pytest.param("key", {"key": "text"}, id="str-key"),
        pytest.param("key", {"key": 42}, id="int-key"),
        pytest.param("value", {"value": "text"}, id="str-value"),
        pytest.param("value", {"value": bytearray(b"v")}, id="bytearray-value"),
        pytest.param("value", {"value": {"a": 1}}, id="dict-value"),
        pytest.param("header", {"headers": [("h", "text")]}, id="str-header-value"),
        pytest.param("header", {"headers": [(b"h", b"v")]}, id="bytes-header-name"),
        pytest.param("header", {"headers": [("h",)]}, id="short-header"),
        pytest.param("header", {"headers": {"h": b"v"}}, id="dict-headers"),
        pytest.param("timestamp_ms", {"timestamp_ms": "now"}, id="str-timestamp"),
        pytest.param("timestamp_ms", {"timestamp_ms": 1.5}, id="float-timestamp"),
        pytest.param("timestamp_ms", {"timestamp_ms": -1}, id="negative-timestamp"),
        pytest.param("timestamp_ms", {"timestamp_ms": True}, id="bool-timestamp"),
        pytest.param("timestamp_ms", {"timestamp_ms": 2**63}, id="timestamp-beyond-int64"),
    ],
)
def test_wrong_type_is_refused_and_nothing_written(
    log: EventLog,
    new_topic: Callable[..., str],
    producer: Producer,
    field: str,
    send_kwargs: dict[str, Any],
) -> None:
    topic = new_topic()
    kwargs = {"value": b"v", **send_kwargs}  # a copy: the parameters are shared by backends

    with pytest.raises(InvalidRecord) as raised:
        producer.send(topic, **kwargs)
    producer.flush()

    assert raised.value.field.startswith(field)
    assert field in str(raised.value)
    assert end_offsets(log, topic) == {0: 0}


def test_producer_stays_usable_after_refusing_a_record(
    new_topic: Callable[..., str], producer: Producer, read_all: Callable[[str], list[Record]]
) -> None:
    topic = new_topic()

    with pytest.raises(InvalidRecord):
        producer.send(topic, "not bytes")  # type: ignore[arg-type]
    producer.send(topic, b"fine")
    producer.flush()

    assert [r.value for r in read_all(topic)] == [b"fine"]


@pytest.mark.parametrize(
    "send_kwargs",
    [
        pytest.param({"value": b"x" * 1_025}, id="value"),
        pytest.param({"value": b"x" * 600, "key": b"k" * 425}, id="key-plus-value"),
        pytest.param({"value": b"x" * 1_000, "headers": [("h", b"y" * 100)]}, id="headers"),
    ],
)
def test_record_above_the_configured_maximum_is_refused_and_nothing_written(
    open_backend: Callable[[LogConfig | None], EventLog],
    new_topic: Callable[..., str],
    send_kwargs: dict[str, Any],
) -> None:
    topic = new_topic()
    small = open_backend(LogConfig(max_record_bytes=1_024))

    with small.producer() as producer:
        with pytest.raises(RecordTooLarge) as raised:
            producer.send(topic, **send_kwargs)
        producer.flush()

        assert raised.value.limit == 1_024
        assert raised.value.size > 1_024
        assert end_offsets(small, topic) == {0: 0}


def test_record_at_the_configured_maximum_is_accepted(
    open_backend: Callable[[LogConfig | None], EventLog],
    new_topic: Callable[..., str],
    read_all: Callable[[str], list[Record]],
) -> None:
    topic = new_topic()
    small = open_backend(LogConfig(max_record_bytes=1_024))

    with small.producer() as producer:
        producer.send(topic, b"x" * 1_000, key=b"k" * 24)
        producer.flush()

    assert [(r.key, r.value) for r in read_all(topic)] == [(b"k" * 24, b"x" * 1_000)]
