"""``streammesh streams test`` end to end with ksqlDB's ksql-test-runner files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.invoking import CliResult, invoke_cli

STATEMENTS = """\
CREATE STREAM pageviews (user_id INT KEY, page STRING, ms BIGINT)
  WITH (kafka_topic='pageviews', value_format='JSON');

CREATE STREAM slow_pages AS
  SELECT user_id, UCASE(page) AS page, ms / 1000 AS secs
  FROM pageviews
  WHERE ms > 2000;
"""

INPUTS = {
    "inputs": [
        {"topic": "pageviews", "key": 1, "value": {"page": "home", "ms": 2500}, "timestamp": 100},
        {"topic": "pageviews", "key": 2, "value": {"page": "cart", "ms": 10}, "timestamp": 200},
        {"topic": "pageviews", "key": 3, "value": {"page": "pay", "ms": 9000}, "timestamp": 300},
    ]
}

OUTPUTS = {
    "outputs": [
        {
            "topic": "SLOW_PAGES",
            "key": 1,
            "value": {"PAGE": "HOME", "SECS": 2},
            "timestamp": 100,
        },
        {"topic": "SLOW_PAGES", "key": 3, "value": {"PAGE": "PAY", "SECS": 9}, "timestamp": 300},
    ]
}


def files(tmp_path: Path, statements: str = STATEMENTS, outputs: object = OUTPUTS) -> list[str]:
    (tmp_path / "statements.sql").write_text(statements)
    (tmp_path / "input.json").write_text(json.dumps(INPUTS))
    (tmp_path / "output.json").write_text(json.dumps(outputs))
    return [
        "--sql-file",
        str(tmp_path / "statements.sql"),
        "--input",
        str(tmp_path / "input.json"),
        "--output",
        str(tmp_path / "output.json"),
    ]


def streams_test(*args: str) -> CliResult:
    return invoke_cli("streams", "test", *args)


def test_matching_output_passes_with_one_line(tmp_path: Path) -> None:
    result = streams_test(*files(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Test passed: 2 expected records matched.\n"


def test_short_options_work(tmp_path: Path) -> None:
    long = files(tmp_path)
    short = ["-s", long[1], "-i", long[3], "-o", long[5]]
    assert streams_test(*short).exit_code == 0


def test_a_difference_prints_the_diff_and_exits_1(tmp_path: Path) -> None:
    wrong = json.loads(json.dumps(OUTPUTS))
    wrong["outputs"][1]["value"]["SECS"] = 8
    wrong["outputs"].append({"topic": "SLOW_PAGES", "key": 4, "value": None})
    result = streams_test(*files(tmp_path, outputs=wrong))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "Topic 'SLOW_PAGES', record count:",
        "  count: expected 3 records",
        "           actual 2 records",
        "Topic 'SLOW_PAGES', record 1:",
        "  value.SECS: expected 8",
        "                actual 9",
        "Topic 'SLOW_PAGES', record 2:",
        "  record: expected key 4, value null",
        "            actual (no record)",
        "Test failed: 3 differences.",
    ]


def test_a_syntax_error_points_at_the_spot(tmp_path: Path) -> None:
    broken = STATEMENTS.replace("FROM pageviews", "FORM pageviews")
    result = streams_test(*files(tmp_path, statements=broken))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ")
    assert "line 6:3: " in lines[0]
    assert lines[1:] == ["  FORM pageviews", "  ^"]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("WHERE ms > 2000", "cannot compare MS (BIGINT) with 'x' (STRING)"),
        ("SELECT user_id,", "must include the key column USER_ID"),
        ("FROM pageviews", "PAGEVIEW does not exist; did you mean PAGEVIEWS?"),
    ],
)
def test_statement_errors_are_one_error(tmp_path: Path, change: str, message: str) -> None:
    replacement = {
        "WHERE ms > 2000": "WHERE ms > 'x'",
        "SELECT user_id,": "SELECT",
        "FROM pageviews": "FROM pageview",
    }[change]
    result = streams_test(*files(tmp_path, statements=STATEMENTS.replace(change, replacement)))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


def test_malformed_files_and_missing_options(tmp_path: Path) -> None:
    args = files(tmp_path)
    (tmp_path / "input.json").write_text('{"inputs": [{"value": 1}]}')
    result = streams_test(*args)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "input.json" in result.stderr and "topic" in result.stderr
    usage = streams_test("-s", args[1])
    assert usage.exit_code == 2
    assert "--input" in usage.stderr


TRENDING = """\
CREATE STREAM stocktrades (side STRING, quantity INT, symbol STRING, price INT,
  account STRING, userid STRING) WITH (kafka_topic='stocktrades', value_format='JSON');

CREATE TABLE trending_stocks AS
  SELECT symbol, SUM(quantity) AS total_quantity, WINDOWSTART, WINDOWEND
  FROM stocktrades WINDOW TUMBLING (SIZE 15 MINUTES) GROUP BY symbol EMIT CHANGES;
"""


def test_reference_use_case_1_with_windowed_outputs(tmp_path: Path) -> None:
    def trade(symbol: str, quantity: int, ts: int) -> dict[str, object]:
        value = {"side": "BUY", "quantity": quantity, "symbol": symbol, "price": 10}
        return {"topic": "stocktrades", "key": None, "value": value, "timestamp": ts}

    def total(symbol: str, quantity: int, ts: int, start: int) -> dict[str, object]:
        end = start + 900_000
        value = {"TOTAL_QUANTITY": quantity, "WINDOWSTART": start, "WINDOWEND": end}
        window = {"start": start, "end": end, "type": "TIME"}
        return {"topic": "TRENDING_STOCKS", "key": symbol, "value": value, "timestamp": ts,
                "window": window}  # fmt: skip

    (tmp_path / "statements.sql").write_text(TRENDING)
    inputs = [trade("ZTEST", 10, 5), trade("ZTEST", 20, 600_000), trade("ZTEST", 1, 900_000)]
    (tmp_path / "input.json").write_text(json.dumps({"inputs": inputs}))
    outputs = [total("ZTEST", 10, 5, 0), total("ZTEST", 30, 600_000, 0)]
    outputs.append(total("ZTEST", 1, 900_000, 900_000))
    (tmp_path / "output.json").write_text(json.dumps({"outputs": outputs}))
    args = ["-s", str(tmp_path / "statements.sql"), "-i", str(tmp_path / "input.json")]
    result = streams_test(*args, "-o", str(tmp_path / "output.json"))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == "Test passed: 3 expected records matched.\n"
    outputs[2] = total("ZTEST", 1, 900_000, 0)  # the wrong window
    (tmp_path / "output.json").write_text(json.dumps({"outputs": outputs}))
    result = streams_test(*args, "-o", str(tmp_path / "output.json"))
    assert result.exit_code == 1
    assert "window" in result.stdout


TRADES_AND_USERS = """\
CREATE STREAM stocktrades (side STRING, quantity INT, symbol STRING, price INT,
  account STRING, userid STRING) WITH (kafka_topic='stocktrades', value_format='JSON');
CREATE TABLE users (userid STRING PRIMARY KEY, registertime BIGINT, gender STRING,
  regionid STRING) WITH (kafka_topic='users', value_format='JSON');

CREATE STREAM high_value AS
  SELECT t.userid, u.regionid, t.symbol, t.quantity, t.price
  FROM stocktrades t JOIN users u ON t.userid = u.userid
  WHERE price > 500 AND quantity > 2500 EMIT CHANGES;

CREATE STREAM us_trades AS
  SELECT t.userid, u.regionid, t.symbol, t.quantity, t.price
  FROM stocktrades t JOIN users u ON t.userid = u.userid
  WHERE regionid = 'REGION_1' EMIT CHANGES;
"""


def test_reference_use_cases_2_and_3_join_trades_with_users(tmp_path: Path) -> None:
    def user(userid: str, region: str, ts: int) -> dict[str, object]:
        value = {"registertime": 1, "gender": "OTHER", "regionid": region}
        return {"topic": "users", "key": userid, "value": value, "timestamp": ts}

    def trade(userid: str, quantity: int, price: int, ts: int) -> dict[str, object]:
        value = {"side": "SELL", "quantity": quantity, "symbol": "ZJZZT", "price": price,
                 "account": "XYZ789", "userid": userid}  # fmt: skip
        return {"topic": "stocktrades", "key": None, "value": value, "timestamp": ts}

    def out(topic: str, userid: str, region: str, quantity: int, price: int, ts: int) -> object:
        value = {"REGIONID": region, "SYMBOL": "ZJZZT", "QUANTITY": quantity, "PRICE": price}
        return {"topic": topic, "key": userid, "value": value, "timestamp": ts}

    inputs = [
        user("User_1", "REGION_1", 0),
        user("User_2", "REGION_2", 0),
        trade("User_1", 3000, 900, 10),  # both
        trade("User_2", 4000, 700, 11),  # high value only
        trade("User_1", 10, 10, 12),  # US only
        trade("User_3", 5000, 999, 13),  # no such user
    ]
    outputs = [
        out("HIGH_VALUE", "User_1", "REGION_1", 3000, 900, 10),
        out("HIGH_VALUE", "User_2", "REGION_2", 4000, 700, 11),
        out("US_TRADES", "User_1", "REGION_1", 3000, 900, 10),
        out("US_TRADES", "User_1", "REGION_1", 10, 10, 12),
    ]
    (tmp_path / "statements.sql").write_text(TRADES_AND_USERS)
    (tmp_path / "input.json").write_text(json.dumps({"inputs": inputs}))
    (tmp_path / "output.json").write_text(json.dumps({"outputs": outputs}))
    args = ["-s", str(tmp_path / "statements.sql"), "-i", str(tmp_path / "input.json")]
    result = streams_test(*args, "-o", str(tmp_path / "output.json"))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == "Test passed: 4 expected records matched.\n"
