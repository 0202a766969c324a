"""``streammesh streams test`` with ksqlDB's ksql-test-runner files: ``EMIT FINAL`` over
``SESSION`` windows, as ksqlDB's suppress tests write them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.cli.invoking import CliResult, invoke_cli

STATEMENTS = """\
CREATE STREAM INPUT (ID STRING KEY, COL1 STRING)
  WITH (kafka_topic='input_topic',value_format='JSON');
CREATE TABLE OUTPUT AS SELECT ID, COUNT(*) as COUNT FROM INPUT
  WINDOW SESSION (5 MILLISECONDS, GRACE PERIOD 0 MILLISECONDS) GROUP BY ID EMIT FINAL;
"""


def row(key: str, ts: int) -> dict[str, object]:
    return {"topic": "input_topic", "key": key, "value": {"COL1": "v1"}, "timestamp": ts}


def final(key: str, count: int, ts: int, start: int, end: int) -> dict[str, object]:
    window = {"start": start, "end": end, "type": "session"}
    return {"topic": "OUTPUT", "key": key, "value": {"COUNT": count}, "timestamp": ts,
            "window": window}  # fmt: skip


def run(
    tmp_path: Path, inputs: list[dict[str, object]], outputs: list[dict[str, object]]
) -> CliResult:
    (tmp_path / "statements.sql").write_text(STATEMENTS)
    (tmp_path / "input.json").write_text(json.dumps({"inputs": inputs}))
    (tmp_path / "output.json").write_text(json.dumps({"outputs": outputs}))
    return invoke_cli(
        "streams", "test", "-s", str(tmp_path / "statements.sql"),
        "-i", str(tmp_path / "input.json"), "-o", str(tmp_path / "output.json"),
    )  # fmt: skip


def test_final_results_for_session_windows_as_ksqldb_suppress_tests_expect(
    tmp_path: Path,
) -> None:
    # ksqlDB's suppress.json "should support final results for session windows", as written:
    # each session once, when stream time passes its end plus gap plus grace; the second
    # k1@5 is late; k1's session at 30 is still open at the end.
    inputs = [row("k1", 0), row("k1", 5), row("k1", 1), row("k2", 6), row("k1", 5)]
    inputs.append(row("k1", 30))
    outputs = [final("k1", 3, 5, 0, 5), final("k2", 1, 6, 6, 6)]
    result = run(tmp_path, inputs, outputs)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == "Test passed: 2 expected records matched.\n"


def test_an_intermediate_session_result_is_a_difference(tmp_path: Path) -> None:
    # A user expecting EMIT CHANGES' intermediate rows sees them missing in the diff.
    inputs = [row("k1", 0), row("k1", 3), row("k2", 20)]
    outputs = [final("k1", 1, 0, 0, 0), final("k1", 2, 3, 0, 3)]
    result = run(tmp_path, inputs, outputs)
    assert result.exit_code == 1
    assert "record 0" in result.stdout and "COUNT" in result.stdout
    outputs = [final("k1", 2, 3, 0, 3)]
    result = run(tmp_path, inputs, outputs)
    assert result.exit_code == 0, result.stdout + result.stderr
