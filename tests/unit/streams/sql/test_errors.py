"""Mistakes in SQL get one clear error pointing at line and column with a caret."""

from __future__ import annotations

import pytest

from streammesh.streams.sql import (
    InvalidSqlProperty,
    SqlError,
    SqlSyntaxError,
    UnsupportedSql,
    parse_statements,
)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        (
            "SELECT * FORM trades EMIT CHANGES;",
            SqlSyntaxError,
            "line 1:10: mismatched input 'FORM' expecting 'FROM'\n"
            "SELECT * FORM trades EMIT CHANGES;\n"
            "         ^",
        ),
        (
            "CREATE STREAM s (a INT)\n  WITH (kafka_topic='s', value_format='json')\n"
            "SELECT a FROM s;",
            SqlSyntaxError,
            "line 3:1: mismatched input 'SELECT' expecting ';'\nSELECT a FROM s;\n^",
        ),
        (
            "SELECT a FROM t\n  WINDOW TUMBLING (SIZE 15 WEEKS) GROUP BY a;",
            SqlSyntaxError,
            "line 2:28: mismatched input 'WEEKS' expecting a time unit (MILLISECONDS, SECONDS,"
            " MINUTES, HOURS or DAYS)\n"
            "  WINDOW TUMBLING (SIZE 15 WEEKS) GROUP BY a;\n"
            "                           ^",
        ),
        (
            "SELECT a +  FROM t;",
            SqlSyntaxError,
            "line 1:13: mismatched input 'FROM' expecting an expression\n"
            "SELECT a +  FROM t;\n"
            "            ^",
        ),
        (
            "SELECT a FROM t\n\tWHERE a IN (1, 2 EMIT CHANGES;",
            SqlSyntaxError,
            "line 2:19: mismatched input 'EMIT' expecting ')'\n"
            "\tWHERE a IN (1, 2 EMIT CHANGES;\n"
            "\t                 ^",
        ),
        (
            "SELECT CAST(a AS FLOAT) FROM t;",
            SqlSyntaxError,
            "line 1:18: unknown type 'FLOAT'\nSELECT CAST(a AS FLOAT) FROM t;\n                 ^",
        ),
        (
            "SELECT a,\n  'it''s FROM t;",
            SqlSyntaxError,
            "line 2:3: unterminated quoted string, identifier or comment\n  'it''s FROM t;\n  ^",
        ),
        (
            "SELECT a FROM t WHERE a = 1 EMIT CHANGES GROUP BY a;",
            SqlSyntaxError,
            "line 1:42: mismatched input 'GROUP' expecting 'LIMIT' or ';'\n"
            "SELECT a FROM t WHERE a = 1 EMIT CHANGES GROUP BY a;\n"
            "                                         ^",
        ),
        (
            "DROP STREAM",
            SqlSyntaxError,
            "line 1:12: mismatched input '<EOF>' expecting a stream or table name\n"
            "DROP STREAM\n"
            "           ^",
        ),
        (
            "SELECT CASE WHEN a THEN 1 FROM t;",
            SqlSyntaxError,
            "line 1:27: mismatched input 'FROM' expecting 'END'\n"
            "SELECT CASE WHEN a THEN 1 FROM t;\n"
            "                          ^",
        ),
        (
            "SELECT 9223372036854775808 FROM t;",
            SqlSyntaxError,
            "line 1:8: invalid numeric literal '9223372036854775808': out of the BIGINT range\n"
            "SELECT 9223372036854775808 FROM t;\n"
            "       ^",
        ),
        (
            "CREATE TABLE t (id INT KEY) WITH (kafka_topic='t');",
            SqlSyntaxError,
            "line 1:24: column 'ID' is a KEY column: a table's key is declared PRIMARY KEY\n"
            "CREATE TABLE t (id INT KEY) WITH (kafka_topic='t');\n"
            "                       ^",
        ),
        (
            "SELECT * FROM a JOIN b WITHIN 1 HOUR a.x = b.x EMIT CHANGES;",
            SqlSyntaxError,
            "line 1:38: mismatched input 'a' expecting 'ON'\n"
            "SELECT * FROM a JOIN b WITHIN 1 HOUR a.x = b.x EMIT CHANGES;\n"
            "                                     ^",
        ),
        (
            "SELECT !a FROM t;",
            SqlSyntaxError,
            "line 1:8: mismatched input '!' expecting an expression\nSELECT !a FROM t;\n       ^",
        ),
        (
            "SELECT a = b = c FROM t;",
            SqlSyntaxError,
            "line 1:14: mismatched input '=' expecting 'FROM'\nSELECT a = b = c FROM t;\n"
            "             ^",
        ),
        (
            "CREATE STREAM s AS SELECT * FROM t LIMIT 3;",
            UnsupportedSql,
            "line 1:36: LIMIT in a persistent query (CREATE ... AS SELECT, INSERT INTO) is not"
            " supported\nCREATE STREAM s AS SELECT * FROM t LIMIT 3;\n"
            "                                   ^",
        ),
        (
            "SELECT 1.5E999 FROM t;",
            SqlSyntaxError,
            "line 1:8: invalid numeric literal '1.5E999': out of the DOUBLE range\n"
            "SELECT 1.5E999 FROM t;\n"
            "       ^",
        ),
        (
            "SELECT $a FROM t;",
            SqlSyntaxError,
            "line 1:8: mismatched input '$a' expecting an expression\nSELECT $a FROM t;\n       ^",
        ),
        (
            "SELECT * FROM t WINDOW TUMBLING (SIZE 9999999999999999 DAYS) EMIT CHANGES;",
            SqlSyntaxError,
            "line 1:56: duration 9999999999999999 DAYS is too long (over BIGINT milliseconds)\n"
            "SELECT * FROM t WINDOW TUMBLING (SIZE 9999999999999999 DAYS) EMIT CHANGES;\n"
            "                                                       ^",
        ),
        (
            "SELECT ${column} FROM t;",
            UnsupportedSql,
            "line 1:8: variable substitution '${...}' is not supported\n"
            "SELECT ${column} FROM t;\n"
            "       ^",
        ),
        (
            "SHOW STREAMS;",
            UnsupportedSql,
            "line 1:1: the SHOW statement is not supported\nSHOW STREAMS;\n^",
        ),
        (
            "SELECT * FROM t WHERE WINDOWSTART > 5;",
            UnsupportedSql,
            "line 1:17: a pull query's WHERE on the window bounds (WINDOWSTART) is not supported\n"
            "SELECT * FROM t WHERE WINDOWSTART > 5;\n"
            "                ^",
        ),
        (
            "SELECT COUNT(DISTINCT a) FROM t EMIT CHANGES;",
            UnsupportedSql,
            "line 1:14: DISTINCT inside COUNT(...) (use COUNT_DISTINCT for distinct counts) is"
            " not supported\n"
            "SELECT COUNT(DISTINCT a) FROM t EMIT CHANGES;\n"
            "             ^",
        ),
        (
            "SELECT a FROM t WHERE a IS TRUE EMIT CHANGES;",
            UnsupportedSql,
            "line 1:28: IS followed by anything but [NOT] NULL is not supported\n"
            "SELECT a FROM t WHERE a IS TRUE EMIT CHANGES;\n"
            "                           ^",
        ),
        (
            "CREATE STREAM s (a INT) WITH (kafka_topc='s');",
            InvalidSqlProperty,
            "line 1:31: property 'KAFKA_TOPC' is not a known property (known: FORMAT,"
            " KAFKA_TOPIC, KEY_DELIMITER, KEY_FORMAT, PARTITIONS, PRODUCT, QUERY_ID, REPLICAS,"
            " RETENTION_MS, TIMESTAMP, TIMESTAMP_FORMAT, VALUE_DELIMITER, VALUE_FORMAT,"
            " WRAP_SINGLE_VALUE)\n"
            "CREATE STREAM s (a INT) WITH (kafka_topc='s');\n"
            "                              ^",
        ),
        (
            "CREATE STREAM s (a INT) WITH (kafka_topic='s', value_format='jsn');",
            InvalidSqlProperty,
            "line 1:48: property 'VALUE_FORMAT' names an unknown format 'jsn' (known: AVRO,"
            " DELIMITED, JSON, JSON_SR, KAFKA, NONE, PROTOBUF, PROTOBUF_NOSR)\n"
            "CREATE STREAM s (a INT) WITH (kafka_topic='s', value_format='jsn');\n"
            "                                               ^",
        ),
        (
            "CREATE STREAM s (a INT) WITH (kafka_topic='s', partitions='many');",
            InvalidSqlProperty,
            "line 1:48: property 'PARTITIONS' must be an integer\n"
            "CREATE STREAM s (a INT) WITH (kafka_topic='s', partitions='many');\n"
            "                                               ^",
        ),
        (
            "CREATE STREAM s (a INT) WITH (format='json', value_format='json');",
            InvalidSqlProperty,
            "line 1:46: property 'VALUE_FORMAT' cannot be given together with 'FORMAT'\n"
            "CREATE STREAM s (a INT) WITH (format='json', value_format='json');\n"
            "                                             ^",
        ),
    ],
)
def test_error_names_the_mistake_and_points_at_it(
    text: str, kind: type[SqlError], message: str
) -> None:
    with pytest.raises(kind) as caught:
        parse_statements(text)
    assert str(caught.value) == message


def test_syntax_error_carries_structured_attributes() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse_statements("CREATE STREAM ok (a INT);\nSELECT * FORM trades;")
    error = caught.value
    assert (error.line, error.column) == (2, 10)
    assert error.found == "FORM"
    assert error.expected == ("'FROM'",)
