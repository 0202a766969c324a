"""A DSL pipeline runs through the engine as the script it compiles to, with the results of its
SQL twin: the issue's use cases 1 (trending stocks) and 2 (high-value trades) as
ksql-test-runner cases."""

from __future__ import annotations

import json

from streammesh.streams.dsl import (
    col,
    pipeline_script,
    stream,
    sum_,
    table,
    tumbling,
    window_end,
    window_start,
)
from streammesh.streams.engine.harness import run_test
from streammesh.streams.testing import parse_records

MINUTE = 60_000
DECLARATIONS = """\
CREATE STREAM stocktrades (side STRING, quantity INT, symbol STRING, price INT, userid STRING)
  WITH (kafka_topic='stocktrades', value_format='JSON', partitions=1);
CREATE TABLE users (userid STRING PRIMARY KEY, regionid STRING)
  WITH (kafka_topic='users', value_format='JSON', partitions=1);
"""


def _check(sql: str, inputs: list[dict[str, object]], outputs: list[dict[str, object]]) -> None:
    given = parse_records(json.dumps({"inputs": inputs}), "inputs", "input.json")
    expected = parse_records(json.dumps({"outputs": outputs}), "outputs", "output.json")
    comparison = run_test(sql, given, expected)
    assert comparison.passed, comparison.render()


def _trade(symbol: str, quantity: int, price: int, user: str, ts: int) -> dict[str, object]:
    value = {"side": "BUY", "quantity": quantity, "symbol": symbol, "price": price, "userid": user}
    return {"topic": "stocktrades", "key": None, "value": value, "timestamp": ts}


def test_the_trending_stocks_pipeline_runs_through_the_engine() -> None:
    trending = (
        stream("stocktrades")
        .window(tumbling(size="15 minutes"))
        .group_by("symbol")
        .aggregate("symbol", sum_("quantity").alias("total_quantity"), window_start(), window_end())
        .to("trending_stocks")
    )
    size = 15 * MINUTE

    def out(key: str, total: int, ts: int, start: int) -> dict[str, object]:
        value = {"TOTAL_QUANTITY": total, "WINDOWSTART": start, "WINDOWEND": start + size}
        window = {"start": start, "end": start + size, "type": "time"}
        return {"topic": "TRENDING_STOCKS", "key": key, "value": value, "timestamp": ts,
                "window": window}  # fmt: skip

    _check(
        DECLARATIONS + pipeline_script([trending]),
        [
            _trade("ZTEST", 100, 1, "u1", 1_000),
            _trade("ZVV", 7, 1, "u1", 2_000),
            _trade("ZTEST", 50, 1, "u2", 3_000),
            _trade("ZTEST", 1, 1, "u2", size + 5),
        ],
        [
            out("ZTEST", 100, 1_000, 0),
            out("ZVV", 7, 2_000, 0),
            out("ZTEST", 150, 3_000, 0),
            out("ZTEST", 1, size + 5, size),
        ],
    )


def test_the_high_value_trades_join_runs_through_the_engine() -> None:
    high_value = (
        stream("stocktrades", "t")
        .join(table("users", "u"), on=col("userid", "t") == col("userid", "u"))
        .filter((col("price") > 500) & (col("quantity") > 2500))
        .select(col("userid", "t"), col("symbol", "t"), col("price"), col("regionid", "u"))
        .to("high_value_trades")
    )
    user = {"topic": "users", "key": "u1", "value": {"regionid": "REGION_1"}, "timestamp": 1}
    _check(
        DECLARATIONS + pipeline_script([high_value]),
        [
            user,
            _trade("ACME", 3000, 600, "u1", 10),  # kept
            _trade("ACME", 100, 900, "u1", 20),  # too few shares
            _trade("ACME", 3000, 400, "u1", 30),  # too cheap
            _trade("ACME", 5000, 700, "u9", 40),  # no such user: an inner join drops it
        ],
        [
            {
                "topic": "HIGH_VALUE_TRADES",
                "key": "u1",
                "value": {"SYMBOL": "ACME", "PRICE": 600, "REGIONID": "REGION_1"},
                "timestamp": 10,
            }
        ],
    )
