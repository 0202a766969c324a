"""Statements as ksqlDB's documentation and tutorials write them parse as written."""

from __future__ import annotations

import pytest

from streammesh.streams import expressions as ex
from streammesh.streams import types
from streammesh.streams.sql import statements as st
from streammesh.streams.sql.parser import parse_statements

DOCS_SCRIPT = """
CREATE STREAM temperature_readings (id VARCHAR KEY, timestamp VARCHAR, reading BIGINT)
    WITH (KAFKA_TOPIC='temperature_readings',
          VALUE_FORMAT='JSON',
          TIMESTAMP='TIMESTAMP',
          TIMESTAMP_FORMAT='yyyy-MM-dd HH:mm:ss',
          PARTITIONS=1);

CREATE TABLE average_temps AS
    SELECT
        id AS key,
        AS_VALUE(id) AS id,
        SUM(reading) / COUNT(reading) AS avg_reading
    FROM temperature_readings
    WINDOW HOPPING (SIZE 10 MINUTES, ADVANCE BY 5 MINUTES)
    GROUP BY id;

CREATE STREAM pageviews (page_id BIGINT KEY, viewtime BIGINT, user_id VARCHAR)
  WITH (KAFKA_TOPIC = 'keyed-pageviews-topic', VALUE_FORMAT = 'JSON');

CREATE TABLE users (id BIGINT PRIMARY KEY, usertimestamp BIGINT, gender VARCHAR,
  region_id VARCHAR) WITH (KAFKA_TOPIC = 'my-users-topic', VALUE_FORMAT = 'JSON');

CREATE STREAM pageviews_enriched AS
  SELECT pv.page_id, pv.viewtime, u.gender, u.region_id
  FROM pageviews pv LEFT JOIN users u ON pv.user_id = u.id
  EMIT CHANGES;

CREATE TABLE pageviews_per_region AS
  SELECT region_id, COUNT(*) FROM pageviews_enriched
  WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS)
  WHERE UCASE(gender)='FEMALE' AND LCASE(region_id) LIKE '%_6'
  GROUP BY region_id
  EMIT CHANGES;

CREATE STREAM orders (id INT KEY, order_ts VARCHAR, total_amount DOUBLE, customer_name VARCHAR)
  WITH (KAFKA_TOPIC='_orders', VALUE_FORMAT='JSON', TIMESTAMP='order_ts',
        TIMESTAMP_FORMAT='yyyy-MM-dd''T''HH:mm:ssX', PARTITIONS=4);

CREATE STREAM shipped_orders AS
  SELECT o.id AS order_id, TIMESTAMPTOSTRING(o.rowtime, 'yyyy-MM-dd HH:mm:ss') AS order_ts,
         o.total_amount, o.customer_name, s.id AS shipment_id, s.warehouse
  FROM orders o INNER JOIN shipments s WITHIN 7 DAYS GRACE PERIOD 15 MINUTES
  ON o.id = s.order_id;

CREATE TABLE pageviews_per_session AS
  SELECT user_id, WINDOWSTART AS session_start, WINDOWEND AS session_end, COUNT(*) AS views
  FROM pageviews WINDOW SESSION (60 SECONDS) GROUP BY user_id EMIT FINAL;

CREATE STREAM pageviews_by_user WITH (KAFKA_TOPIC='pv_by_user', PARTITIONS=6) AS
  SELECT * FROM pageviews PARTITION BY user_id EMIT CHANGES;

INSERT INTO pageviews (page_id, viewtime, user_id) VALUES (1, 1604000000000, 'User_1');

SELECT * FROM pageviews EMIT CHANGES LIMIT 5;

DROP TABLE pageviews_per_region DELETE TOPIC;
"""


def test_a_script_from_the_docs_parses_statement_by_statement() -> None:
    statements = parse_statements(DOCS_SCRIPT)
    assert [type(statement).__name__ for statement in statements] == [
        "CreateSource",
        "CreateAsSelect",
        "CreateSource",
        "CreateSource",
        "CreateAsSelect",
        "CreateAsSelect",
        "CreateSource",
        "CreateAsSelect",
        "CreateAsSelect",
        "CreateAsSelect",
        "InsertValues",
        "Query",
        "Drop",
    ]
    readings, averages = statements[0], statements[1]
    assert isinstance(readings, st.CreateSource) and isinstance(averages, st.CreateAsSelect)
    assert readings.columns[1] == st.ColumnDefinition("TIMESTAMP", types.STRING)
    assert readings.properties.timestamp == "TIMESTAMP"
    assert averages.query.select[0] == st.SelectExpression(ex.Column("ID"), "KEY")
    assert averages.query.window == st.HoppingWindow(600_000, 300_000)
    orders = statements[6]
    assert isinstance(orders, st.CreateSource)
    assert orders.properties.timestamp_format == "yyyy-MM-dd'T'HH:mm:ssX"
    assert orders.properties.timestamp == "ORDER_TS"
    shipped = statements[7]
    assert isinstance(shipped, st.CreateAsSelect)
    assert shipped.query.joins[0].within == st.JoinWindow(7 * 86_400_000, 7 * 86_400_000, 900_000)
    sessions = statements[8]
    assert isinstance(sessions, st.CreateAsSelect)
    assert sessions.query.window == st.SessionWindow(60_000)
    assert sessions.query.emit is st.EmitMode.FINAL
    by_user = statements[9]
    assert isinstance(by_user, st.CreateAsSelect)
    assert by_user.properties.partitions == 6
    assert by_user.query.partition_by == (ex.Column("USER_ID"),)
    push = statements[11]
    assert isinstance(push, st.Query) and push.limit == 5
    assert push.emit is st.EmitMode.CHANGES


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE STREAM s (`Key` STRING KEY, `Value` INT) WITH (kafka_topic='s', format='json');",
        "CREATE TABLE t (k STRING PRIMARY KEY, v INT) WITH (kafka_topic='t', key_format='json',"
        " value_format='delimited', value_delimiter='TAB', wrap_single_value=false);",
        "SELECT ROWTIME, ROWPARTITION, ROWOFFSET, * FROM s EMIT CHANGES;",
        "SELECT FILTER(xs, x => x > 0), TRANSFORM(m, (k, v) => UCASE(k), (k, v) => v + 1)"
        " FROM s EMIT CHANGES;",
        "SELECT address->city, items[1]->price, tags['a'] FROM orders EMIT CHANGES;",
    ],
)
def test_other_documented_forms_parse(statement: str) -> None:
    assert len(parse_statements(statement)) == 1
