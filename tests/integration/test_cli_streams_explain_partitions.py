"""``streammesh streams explain`` over inputs of several partitions: a join's state stores with
their changelogs and its repartition topics, a ``GROUP BY``'s repartition topic, and a join
the engine would refuse — and nothing created."""

from __future__ import annotations

import json
from pathlib import Path

from streammesh.config import MeshConfig
from streammesh.log import TopicSpec
from streammesh.runtime import MeshRuntime
from tests.unit.cli.invoking import CliResult, invoke_cli

SCRIPT = """\
CREATE STREAM stocktrades (side STRING, quantity INT, symbol STRING, price INT,
  account STRING, userid STRING) WITH (kafka_topic='stocktrades', value_format='JSON');
CREATE TABLE users (userid STRING PRIMARY KEY, regionid STRING)
  WITH (kafka_topic='users', value_format='JSON');

CREATE STREAM high_value AS
  SELECT t.userid, u.regionid, t.symbol, t.quantity, t.price
  FROM stocktrades t JOIN users u ON t.userid = u.userid
  WHERE price > 500 AND quantity > 2500 EMIT CHANGES;

CREATE TABLE per_symbol AS SELECT symbol, SUM(quantity) AS total FROM stocktrades
  GROUP BY symbol EMIT CHANGES;
"""


def explain(home: Path, sql: Path, *extra: str) -> CliResult:
    return invoke_cli("streams", "explain", str(sql), "--mesh", str(home), "--name", "uc", *extra)


def setup(tmp_path: Path, partitions: dict[str, int]) -> tuple[Path, Path]:
    home = tmp_path / "mesh"
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        for topic, count in partitions.items():
            runtime.log.create_topic(TopicSpec(topic, partitions=count))
    sql = tmp_path / "uc.sql"
    sql.write_text(SCRIPT)
    return home, sql


def test_explain_lists_join_stores_and_repartition_topics_over_two_partitions(
    tmp_path: Path,
) -> None:
    home, sql = setup(tmp_path, {"stocktrades": 2, "users": 2})
    result = explain(home, sql)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    join_store = "CSAS_HIGH_VALUE_0-Join-table"
    assert f"{join_store} (changelog uc-csas_high_value_0-{join_store}-changelog)" in text
    assert "uc-csas_high_value_0-CSAS_HIGH_VALUE_0-repartition-left" in text
    assert "uc-ctas_per_symbol_1-CTAS_PER_SYMBOL_1-repartition" in text
    result = explain(home, sql, "--json")
    document = json.loads(result.stdout)
    join, group = document["queries"]
    assert join["internal_topics"] == [
        f"uc-csas_high_value_0-{join_store}-changelog",
        "uc-csas_high_value_0-CSAS_HIGH_VALUE_0-repartition-left",
        "uc-csas_high_value_0.dead-letter",
    ]
    assert "uc-ctas_per_symbol_1-CTAS_PER_SYMBOL_1-repartition" in group["internal_topics"]
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:  # explain changes nothing
        assert {t.name for t in runtime.log.list_topics()} == {"stocktrades", "users"}


def test_explain_over_one_partition_has_no_repartition_and_a_mismatch_is_not_run(
    tmp_path: Path,
) -> None:
    home, sql = setup(tmp_path, {"stocktrades": 1, "users": 1})
    result = explain(home, sql)
    assert result.exit_code == 0, result.stderr
    assert "repartition" not in result.stdout
    home, sql = setup(tmp_path / "other", {"stocktrades": 2, "users": 1})
    result = explain(home, sql)
    assert result.exit_code == 0, result.stderr
    assert (
        "  Not run yet: Can't join `T` with `U` since the number of partitions don't match."
        in result.stdout
    )
