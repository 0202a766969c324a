"""ksqlDB's functions (their documented examples), aggregates, UDFs and plugins."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from streammesh.streams.evaluation import compile_aggregate, compile_expression
from streammesh.streams.expressions import ArrayConstructor, Call, Column, Expression, Literal
from streammesh.streams.functions import (
    AggregateNotForTables,
    FunctionFailed,
    FunctionRegistry,
    UnknownFunction,
    WrongArguments,
    udf,
)
from streammesh.streams.functions.builtins import builtin_registry
from streammesh.streams.types import DOUBLE, INTEGER, STRING, TIMESTAMP


def call(name: str, *arguments: object) -> Any:
    nodes = tuple(a if isinstance(a, Expression) else Literal(a) for a in arguments)
    return compile_expression(Call(name, nodes), {})(())


def arr(*values: object) -> ArrayConstructor:
    return ArrayConstructor(tuple(Literal(v) for v in values))


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("SUBSTRING", ("stream", 1, 4), "stre"),
        ("SUBSTRING", ("stream", -3), "eam"),
        ("CONCAT_WS", (", ", "apple", "banana", None, "date"), "apple, banana, date"),
        ("LPAD", ("Foo", 7, "Bar"), "BarBFoo"),
        ("LPAD", ("Foo", 2, "Bar"), "Fo"),
        ("LPAD", ("123", 5, "0"), "00123"),
        ("RPAD", ("Foo", 7, "Bar"), "FooBarB"),
        ("INSTR", ("CORPORATE FLOOR", "OR"), 2),
        ("INSTR", ("CORPORATE FLOOR", "OR", 3), 5),
        ("INSTR", ("CORPORATE FLOOR", "OR", 3, 2), 14),
        ("INSTR", ("CORPORATE FLOOR", "OR", -3), 5),
        ("INSTR", ("CORPORATE FLOOR", "OR", -3, 2), 2),
        ("INSTR", ("CORPORATE FLOOR", "MISSING"), 0),
        ("MASK", ("My Test $123",), "Xx-Xxxx--nnn"),
        ("MASK", ("My Test $123", "*", None, "1", None), "*y *est $111"),
        ("MASK_LEFT", ("My Test $123", 4), "Xx-Xest $123"),
        ("MASK_RIGHT", ("My Test $123", 4), "My Test -nnn"),
        ("MASK_KEEP_LEFT", ("My Test $123", 4), "My Txxx--nnn"),
        ("MASK_KEEP_RIGHT", ("My Test $123", 4), "Xx-Xxxx-$123"),
        ("REGEXP_EXTRACT", ("(.*) (.*)", "hello there", 2), "there"),
        ("CHR", (75,), "K"),
        ("CHR", ("\\u597d",), "好"),
        ("INITCAP", ("hello wORLD",), "Hello World"),
        ("INITCAP", ("  the  QUICK fox",), "The  Quick Fox"),
        ("ENCODE", ("4b", "hex", "utf8"), "K"),
        ("CONCAT", ("a", None, "b"), "ab"),
        ("ROUND", (2.5,), 3),
        ("ROUND", (-2.5,), -2),
        ("ROUND", (1.2345, 2), 1.23),
        ("SIGN", (-4,), -1),
        ("GREATEST", (1, 2.5, None), 2.5),
        ("COALESCE", (None, 1, 2), 1),
        ("NULLIF", (1, 1), None),
        ("IS_JSON_STRING", ("abc",), False),
        ("IS_JSON_STRING", (None,), False),
        ("JSON_ARRAY_LENGTH", ("[1, [1, [2]], 3]",), 3),
        ("JSON_ARRAY_LENGTH", ("{}",), None),
        ("JSON_KEYS", ('{"a": "abc", "b": { "c": "a" }, "d": 1}',), ["a", "b", "d"]),
        ("JSON_CONCAT", ('{"a": 1}', '{"b": 2}'), '{"a":1,"b":2}'),
        ("JSON_CONCAT", ("[1, 2]", "3"), "[1,2,3]"),
        ("JSON_CONCAT", ("abc", "[1]"), None),
        (
            "EXTRACTJSONFIELD",
            ('{"log": {"cloud": "gcp836Csd", "a": [4]}}', "$.log.cloud"),
            "gcp836Csd",
        ),
        ("EXTRACTJSONFIELD", ('{"log": {"a": [4, 5]}}', "$.log.a[1]"), "5"),
        ("TO_JSON_STRING", ("abc",), '"abc"'),
        (
            "TIMESTAMPTOSTRING",
            (1_600_000_000_123, "yyyy-MM-dd HH:mm:ss.SSS"),
            "2020-09-13 12:26:40.123",
        ),
        (
            "TIMESTAMPTOSTRING",
            (0, "yyyy-MM-dd'T'HH:mm", "America/Los_Angeles"),
            "1969-12-31T16:00",
        ),
        (
            "STRINGTOTIMESTAMP",
            ("2020-09-13 12:26:40.123", "yyyy-MM-dd HH:mm:ss.SSS"),
            1_600_000_000_123,
        ),
    ],
)
def test_documented_examples(name: str, arguments: tuple[object, ...], expected: object) -> None:
    assert call(name, *arguments) == expected


def test_collection_examples() -> None:
    assert call("ARRAY_DISTINCT", arr(1, 1, 2, 3, 1, 2)) == [1, 2, 3]
    assert call("ARRAY_SORT", arr("Foo", "Bar", None, "baz")) == ["Bar", "Foo", "baz", None]
    assert call("ARRAY_MAX", arr(-1, 2, None, 0)) == 2
    assert call("ARRAY_MIN", arr("Foo", "Bar", None, "baz")) == "Bar"
    assert call("ARRAY_CONTAINS", arr(1, 2, 3), 3) is True
    assert call("ARRAY_JOIN", arr(1, 2)) == "1,2"
    assert call("SLICE", arr(1, 2, 3, 4), 2, 3) == [2, 3]
    assert call("AS_MAP", arr("a", "b"), arr(1, 2)) == {"a": 1, "b": 2}


def test_parse_and_format_timestamps_with_java_patterns_and_zones() -> None:
    parsed = call("PARSE_TIMESTAMP", "2021-06-30 12:18:39.446", "yyyy-MM-dd HH:mm:ss.SSS")
    assert parsed == datetime(2021, 6, 30, 12, 18, 39, 446000, tzinfo=UTC)
    assert call("TO_JSON_STRING", Literal(parsed, TIMESTAMP)) == '"2021-06-30T12:18:39.446"'
    moved = call("CONVERT_TZ", Literal(parsed, TIMESTAMP), "UTC", "America/Los_Angeles")
    assert moved == datetime(2021, 6, 30, 5, 18, 39, 446000, tzinfo=UTC)
    assert (
        call("FORMAT_TIMESTAMP", Literal(parsed, TIMESTAMP), "EEE, d MMM yyyy h:mm a")
        == "Wed, 30 Jun 2021 12:18 PM"
    )


def test_unknown_function_suggests_and_wrong_arguments_list_signatures() -> None:
    with pytest.raises(UnknownFunction, match="did you mean UCASE"):
        call("UCASES", "x")
    with pytest.raises(WrongArguments, match=r"SUBSTRING does not accept \(INTEGER\)"):
        call("SUBSTRING", 1)


def aggregate(text: Call, values: list[object], kind: Any = INTEGER) -> Any:
    compiled = compile_aggregate(text, {"V": kind})
    accumulator = compiled.aggregate.init()
    for value in values:
        accumulator = compiled.aggregate.aggregate(accumulator, compiled.argument((value,)))
    return compiled.aggregate, accumulator


@pytest.mark.parametrize(
    ("name", "values", "expected", "result_type"),
    [
        ("SUM", [1, None, 2], 3, INTEGER),
        ("SUM", [None], 0, INTEGER),
        ("AVG", [1, 2], 1.5, DOUBLE),
        ("AVG", [None], 0.0, DOUBLE),
        ("MIN", [3, None, 1], 1, INTEGER),
        ("MAX", [None], None, INTEGER),
        ("COUNT", [1, None, 3], 2, None),
        ("COUNT_DISTINCT", [1, 1, None, 2], 2, None),
        ("COLLECT_LIST", [1, None, 1], [1, None, 1], None),
        ("COLLECT_SET", [1, None, 2, 1, None], [1, None, 2], None),
        ("LATEST_BY_OFFSET", [1, 2, None], 2, INTEGER),
        ("EARLIEST_BY_OFFSET", [None, 1, 2], 1, INTEGER),
    ],
)
def test_aggregates_and_their_null_handling(
    name: str, values: list[object], expected: object, result_type: Any
) -> None:
    function, accumulator = aggregate(Call(name, (Column("V"),)), values)
    assert function.result(accumulator) == expected
    if result_type is not None:
        assert function.result_type == result_type


def test_count_star_topk_and_n_forms() -> None:
    function, accumulator = aggregate(Call("COUNT", star=True), [None, None])
    assert function.result(accumulator) == 2
    function, accumulator = aggregate(Call("TOPK", (Column("V"), Literal(2))), [3, 9, None, 5])
    assert function.result(accumulator) == [9, 5]
    function, accumulator = aggregate(
        Call("LATEST_BY_OFFSET", (Column("V"), Literal(2))), [1, 2, 3]
    )
    assert function.result(accumulator) == [2, 3]
    function, accumulator = aggregate(Call("HISTOGRAM", (Column("V"),)), ["a", "b", "a"], STRING)
    assert function.result(accumulator) == {"a": 2, "b": 1}
    assert function.result(function.undo(accumulator, "a")) == {"a": 1, "b": 1}


def test_undo_retracts_table_aggregates_and_stream_only_ones_refuse() -> None:
    function, accumulator = aggregate(Call("SUM", (Column("V"),)), [1, 2])
    assert function.result(function.undo(accumulator, 2)) == 1
    function, accumulator = aggregate(Call("MAX", (Column("V"),)), [1, 2])
    with pytest.raises(AggregateNotForTables, match=r"\(MAX\) cannot be applied to a table"):
        function.undo(accumulator, 2)


def test_udf_from_annotations_and_failure_names_function_and_key() -> None:
    registry = builtin_registry()

    @udf(name="shout", registry=registry)
    def shout(text: str, times: int) -> str:
        if times < 0:
            raise ValueError("negative")
        return text.upper() * times

    expression = Call("SHOUT", (Column("S"), Column("N")))
    evaluate = compile_expression(
        expression, {"K": STRING, "S": STRING, "N": INTEGER}, registry=registry, key_columns=["K"]
    )
    assert evaluate(("k1", "hi", 2)) == "HIHI"
    assert evaluate(("k1", None, 2)) is None
    with pytest.raises(FunctionFailed) as caught:
        evaluate(("k1", "hi", -1))
    assert caught.value.function == "SHOUT" and caught.value.key == "k1"
    assert str(caught.value) == "function SHOUT failed for key 'k1': ValueError: negative"


PLUGIN = """
from streammesh.streams.functions import udf
from streammesh.streams.functions.registry import FunctionRegistry

@udf(name="PLUGIN_TWICE", registry=FunctionRegistry())
def twice(value: int) -> int:
    return value * 2
"""


def test_entry_point_plugins_register_and_a_broken_one_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sm_plugin_good.py").write_text(PLUGIN)
    (tmp_path / "sm_plugin_bad.py").write_text("raise ImportError('boom')\n")
    info = tmp_path / "sm_plugins-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sm-plugins\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[streammesh.functions]\ngood = sm_plugin_good\nbroken = sm_plugin_bad\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = FunctionRegistry()
    failures = registry.load_plugins()
    sys.modules.pop("sm_plugin_good", None)
    assert "PLUGIN_TWICE" in registry.scalars
    assert [failure.entry_point for failure in failures] == ["broken"]
    assert (
        str(failures[0])
        == "function plugin 'broken' (sm_plugin_bad) failed to load: ImportError: boom"
    )


def test_round_and_trunc_result_types_follow_ksqldb() -> None:
    from decimal import Decimal

    from streammesh.streams.evaluation import type_of
    from streammesh.streams.types import BIGINT, decimal

    schema = {"I": INTEGER, "X": DOUBLE, "D": decimal(5, 2)}

    def kind(name: str, *arguments: Expression) -> object:
        return type_of(Call(name, arguments), schema)

    assert kind("ROUND", Column("I")) == BIGINT
    assert kind("ROUND", Column("X")) == BIGINT
    assert kind("ROUND", Column("X"), Literal(1)) == DOUBLE
    assert kind("ROUND", Column("D")) == decimal(3, 0)
    assert kind("ROUND", Column("D"), Literal(1)) == decimal(5, 2)
    assert kind("TRUNC", Column("X")) == BIGINT
    assert kind("CEIL", Column("D")) == decimal(5, 2)
    assert kind("ABS", Column("I")) == INTEGER
    evaluate = compile_expression(Call("ROUND", (Column("D"), Literal(1))), schema)
    assert evaluate((1, 1.0, Decimal("-1.25"))) == Decimal("-1.20")
    assert call("TRUNC", -2.7) == -2


def test_collect_list_undo_takes_back_the_last_equal_entry() -> None:
    function, accumulator = aggregate(Call("COLLECT_LIST", (Column("V"),)), [1, 2, 1])
    assert function.result(function.undo(accumulator, 1)) == [1, 2]


def test_udaf_registers_an_aggregate_and_builtin_names_are_protected() -> None:
    from streammesh.streams.functions import Aggregate, InvalidFunction, udaf
    from streammesh.streams.types import SqlType

    registry = builtin_registry()

    @udaf(name="product", registry=registry)
    class Product(Aggregate):
        """Multiplies the non-NULL values."""

        def __init__(self, kind: SqlType) -> None:
            self.result_type = kind

        def init(self) -> int:
            return 1

        def aggregate(self, accumulator: int, value: Any) -> int:
            return accumulator if value is None else accumulator * value

        def undo(self, accumulator: int, value: Any) -> int:
            return accumulator if value is None else accumulator // value

        def merge(self, left: int, right: int) -> int:
            return left * right

    compiled = compile_aggregate(Call("PRODUCT", (Column("V"),)), {"V": INTEGER}, registry=registry)
    accumulator = compiled.aggregate.init()
    for value in (2, None, 3):
        accumulator = compiled.aggregate.aggregate(accumulator, value)
    assert compiled.aggregate.result(accumulator) == 6
    assert compiled.aggregate.result_type == INTEGER
    with pytest.raises(InvalidFunction, match="cannot register function UCASE: a built-in"):

        @udf(name="ucase", registry=registry)
        def ucase(text: str) -> str:
            return text

    with pytest.raises(InvalidFunction, match="parameter 'x' has no annotation"):

        @udf(registry=registry)
        def untyped(x) -> str:  # type: ignore[no-untyped-def]
            return str(x)
