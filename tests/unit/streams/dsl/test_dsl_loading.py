"""``module:attribute`` names a Python pipeline: a sink, a list of sinks or a function returning
them; anything else is refused naming the argument and what is wrong."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.streams.dsl import (
    PipelineNotFound,
    is_pipeline_argument,
    load_pipeline,
    pipeline_script,
    source_stem,
)
from streammesh.streams.sql import parse_statements

PIPELINES = """\
from streammesh.streams.dsl import col, count, stream

big = stream("trades").filter(col("price") > 500).select("id", "price").to("big")
counts = stream("trades").group_by("symbol").aggregate("symbol", count().alias("n")).to("counts")
both = [big, counts]
unfinished = stream("trades").filter(col("price") > 500)
nothing = []


def build():
    return (big, counts)


def broken():
    raise RuntimeError("no pipeline today")


class Holder:
    pipeline = big
"""


@pytest.fixture
def module(tmp_path: Path) -> Iterator[str]:
    name = f"pipelines_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(PIPELINES, encoding="utf-8")
    yield name
    sys.modules.pop(name, None)


def test_a_sink_a_list_a_function_and_a_nested_attribute_are_pipelines(
    module: str, tmp_path: Path
) -> None:
    [big] = load_pipeline(f"{module}:big", search=tmp_path)
    assert big.name == "BIG"
    assert [s.name for s in load_pipeline(f"{module}:both", search=tmp_path)] == ["BIG", "COUNTS"]
    assert [s.name for s in load_pipeline(f"{module}:build", search=tmp_path)] == ["BIG", "COUNTS"]
    assert load_pipeline(f"{module}:Holder.pipeline", search=tmp_path) == (big,)
    assert str(tmp_path) not in sys.path  # put there only while importing


def test_the_script_of_a_pipeline_has_one_statement_per_sink(module: str, tmp_path: Path) -> None:
    sinks = load_pipeline(f"{module}:both", search=tmp_path)
    statements = parse_statements(pipeline_script(sinks))
    assert statements == [sink.statement() for sink in sinks]


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ("missing", "has no attribute 'missing'"),
        ("unfinished", "is Stream, not a pipeline: give a sink"),
        ("nothing", "is an empty list, not a pipeline"),
        ("broken", "calling broken() failed: RuntimeError: no pipeline today"),
    ],
)
def test_an_attribute_that_is_no_pipeline_is_refused_naming_it(
    module: str, tmp_path: Path, attribute: str, message: str
) -> None:
    with pytest.raises(PipelineNotFound) as raised:
        load_pipeline(f"{module}:{attribute}", search=tmp_path)
    assert raised.value.argument == f"{module}:{attribute}"
    assert str(raised.value).startswith(f"{module}:{attribute}: ")
    assert message in str(raised.value)


def test_a_module_that_does_not_import_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PipelineNotFound, match="no module named 'no_such_module_x'"):
        load_pipeline("no_such_module_x:pipeline", search=tmp_path)
    name = f"bad_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("raise ValueError('bad config')\n", encoding="utf-8")
    with pytest.raises(PipelineNotFound, match=f"importing {name} failed: ValueError: bad config"):
        load_pipeline(f"{name}:pipeline", search=tmp_path)


def test_a_pipeline_argument_is_told_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert is_pipeline_argument("trending:pipeline")
    assert is_pipeline_argument("pkg.mod:obj.attr")
    assert not is_pipeline_argument("trending.sql")
    assert not is_pipeline_argument(tmp_path / "x.sql")
    monkeypatch.chdir(tmp_path)
    assert is_pipeline_argument("odd:name")
    (tmp_path / "odd:name").write_text("", encoding="utf-8")
    assert not is_pipeline_argument("odd:name")  # an existing file is a file


def test_the_default_application_name_of_an_argument() -> None:
    assert source_stem("jobs.trending:pipeline") == "trending"
    assert source_stem("trending:pipeline") == "trending"
    assert source_stem("sql/trending.sql") == "trending"
