"""What ``query_layouts`` (``streams explain``) says a join or a ``GROUP BY`` creates over inputs
of several partitions — checked against the topics the engine really creates when it starts —
and the joins it says the engine refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.log import EventLog, TopicSpec, open_log
from streammesh.streams import query_layouts
from streammesh.streams.engine import StreamApplication
from streammesh.streams.planner import plan_statements
from streammesh.streams.runner import QueryLayout
from streammesh.streams.sql import parse_statements

DECLARE = """
CREATE STREAM trades (id STRING KEY, userid STRING, qty INT)
  WITH (kafka_topic='trades', value_format='JSON');
CREATE STREAM views (id STRING KEY, userid STRING, page STRING)
  WITH (kafka_topic='views', value_format='JSON');
CREATE TABLE users (userid STRING PRIMARY KEY, region STRING)
  WITH (kafka_topic='users', value_format='JSON');
CREATE TABLE accounts (id STRING PRIMARY KEY, userid STRING)
  WITH (kafka_topic='accounts', value_format='JSON');
"""


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    opened = open_log(f"embedded://{tmp_path / 'log'}")
    try:
        yield opened
    finally:
        opened.close()


def layout_of(log: EventLog, query_sql: str, name: str = "app") -> QueryLayout:
    text = DECLARE + query_sql
    [query] = plan_statements(parse_statements(text), text=text).queries
    [layout] = query_layouts(log, [query], name)
    return layout


def created_by_start(log: EventLog, query_sql: str, state_dir: Path, name: str = "app") -> set[str]:
    """The topics the engine creates when it starts and opens its tasks, sink excluded."""
    text = DECLARE + query_sql
    [query] = plan_statements(parse_statements(text), text=text).queries
    before = {topic.name for topic in log.list_topics()}
    with StreamApplication(log, query, name, state_dir=state_dir) as app:
        app.poll_once()  # the group assigns the partitions: tasks open their stores
        sink = app.pipeline.sink.topic
    return {topic.name for topic in log.list_topics()} - before - {sink}


def create(log: EventLog, partitions: int, *topics: str) -> None:
    for topic in topics:
        log.create_topic(TopicSpec(topic, partitions=partitions))


GROUP_BY_USER = (
    "CREATE TABLE per_user AS SELECT userid, SUM(qty) AS total FROM trades GROUP BY userid;"
)


def test_a_group_by_on_a_value_column_over_two_partitions_lists_its_repartition_topic(
    log: EventLog, tmp_path: Path
) -> None:
    create(log, 2, "trades")
    layout = layout_of(log, GROUP_BY_USER)
    topic = "app-CTAS_PER_USER_0-repartition"
    assert layout.repartition_topics == (topic,)
    assert topic in layout.internal_topics
    assert layout.not_supported is None
    assert {t.name for t in log.list_topics()} == {"trades"}  # explain creates nothing
    assert created_by_start(log, GROUP_BY_USER, tmp_path / "state") == set(layout.internal_topics)


def test_a_group_by_over_one_partition_or_on_the_key_has_no_repartition_topic(
    log: EventLog,
) -> None:
    create(log, 1, "trades")
    assert layout_of(log, GROUP_BY_USER).repartition_topics == ()
    on_key = "CREATE TABLE per_id AS SELECT id, COUNT(*) AS n FROM trades GROUP BY id;"
    log.delete_topic("trades")
    create(log, 2, "trades")
    assert layout_of(log, on_key).repartition_topics == ()


def test_an_input_topic_not_created_yet_gives_no_repartition_topic(log: EventLog) -> None:
    layout = layout_of(log, GROUP_BY_USER)
    assert layout.repartition_topics == ()
    assert layout.internal_topics[-1] == "app.dead-letter"


STREAM_TABLE = (
    "CREATE STREAM enriched AS SELECT t.userid, t.qty, u.region FROM trades t"
    " JOIN users u ON t.userid = u.userid EMIT CHANGES;"
)


def test_a_stream_table_join_lists_its_table_store_and_the_stream_side_repartition(
    log: EventLog, tmp_path: Path
) -> None:
    create(log, 2, "trades", "users")
    layout = layout_of(log, STREAM_TABLE)
    store = "CSAS_ENRICHED_0-Join-table"
    assert layout.state_stores == ((store, f"app-{store}-changelog"),)
    assert layout.repartition_topics == ("app-CSAS_ENRICHED_0-repartition-left",)
    assert layout.internal_topics == (
        f"app-{store}-changelog",
        "app-CSAS_ENRICHED_0-repartition-left",
        "app.dead-letter",
    )
    assert created_by_start(log, STREAM_TABLE, tmp_path / "state") == set(layout.internal_topics)


STREAM_STREAM = (
    "CREATE STREAM together AS SELECT t.userid, t.qty, v.page FROM trades t"
    " LEFT JOIN views v WITHIN 1 MINUTE GRACE PERIOD 1 MINUTE ON t.userid = v.userid"
    " EMIT CHANGES;"
)


def test_a_stream_stream_join_lists_its_window_stores_and_both_repartitions(
    log: EventLog, tmp_path: Path
) -> None:
    create(log, 3, "trades", "views")
    layout = layout_of(log, STREAM_STREAM)
    stores = {store for store, _changelog in layout.state_stores}
    assert {
        "CSAS_TOGETHER_0-Join-this-join-store",
        "CSAS_TOGETHER_0-Join-other-join-store",
        "CSAS_TOGETHER_0-Join-outer-shared",
    } <= stores
    assert layout.repartition_topics == (
        "app-CSAS_TOGETHER_0-repartition-left",
        "app-CSAS_TOGETHER_0-repartition-right",
    )
    assert created_by_start(log, STREAM_STREAM, tmp_path / "state") == set(layout.internal_topics)
    # Over one partition nothing moves.
    for topic in ("trades", "views"):
        log.delete_topic(topic)
    create(log, 1, "trades", "views")
    assert layout_of(log, STREAM_STREAM).repartition_topics == ()


def test_joins_the_engine_refuses_at_start_are_not_run_yet(log: EventLog) -> None:
    create(log, 2, "trades")
    create(log, 1, "users")
    mismatch = layout_of(log, STREAM_TABLE)
    assert mismatch.not_supported == (
        "Can't join `T` with `U` since the number of partitions don't match. `T` partitions ="
        " 2; `U` partitions = 1. Please repartition either one so that the number of"
        " partitions match."
    )
    assert mismatch.repartition_topics == ()
    create(log, 2, "accounts")
    foreign_key = (
        "CREATE TABLE owned AS SELECT a.id, a.userid, u.region FROM accounts a"
        " JOIN users u ON a.userid = u.userid;"
    )
    log.delete_topic("users")
    create(log, 2, "users")
    refused = layout_of(log, foreign_key)
    assert refused.not_supported is not None
    assert "foreign-key JOIN over 2 partitions" in refused.not_supported
