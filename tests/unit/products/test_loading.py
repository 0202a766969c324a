"""Descriptor files: valid ones load, invalid ones report every problem with path and line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from streammesh.log.base import CleanupPolicy
from streammesh.products.descriptor import Descriptor, SchemaFormatName, SlaTier, Status
from streammesh.products.errors import DescriptorInvalid, DescriptorProblem
from streammesh.products.loading import load_descriptor, parse_descriptor

VALID = """\
name: execution.stocktrades
owner: {name: Ada Lovelace, email: ada@example.com}
team: trading-platform
description: Every trade executed on the exchange.
alignment: source
kind: measurement
key: {field: trade_id, type: string}
schema: stocktrades.avsc
sla: {tier: 1, freshness: 15m}
"""


def problems(text: str) -> list[DescriptorProblem]:
    with pytest.raises(DescriptorInvalid) as caught:
        parse_descriptor(text, source="trades.yaml")
    return list(caught.value.problems)


def only_problem(text: str) -> DescriptorProblem:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_minimal_descriptor_gets_documented_defaults() -> None:
    descriptor = parse_descriptor(VALID)
    assert descriptor.domain == "execution"
    assert descriptor.topic == "execution.stocktrades.v1"
    assert descriptor.partition_count == 4
    assert str(descriptor.retention) == "full-history"
    assert descriptor.schema_ref.format is SchemaFormatName.AVRO
    assert descriptor.sla.tier is SlaTier.CRITICAL
    assert descriptor.sla.freshness == timedelta(minutes=15)
    assert descriptor.status is Status.DRAFT
    assert descriptor.support_contact == "ada@example.com"


def test_state_products_default_to_compacted_retention() -> None:
    descriptor = parse_descriptor(VALID.replace("kind: measurement", "kind: state"))
    assert descriptor.retention.cleanup_policy is CleanupPolicy.COMPACT


def test_descriptor_is_frozen() -> None:
    descriptor = parse_descriptor(VALID)
    with pytest.raises(ValueError, match="frozen"):
        descriptor.team = "other"  # type: ignore[misc]


def test_full_descriptor_round_trips_through_json() -> None:
    text = VALID + (
        "domain: execution\nversion: 2\npartitions: jumbo\nretention: recent:7d\n"
        "quality: authoritative\ntags: [trades, equities]\nregions: [eu, us-east-1]\n"
        "classifications: {account.owner_email: [pii, confidential]}\n"
        "upstreams: [execution.orders, execution.fills.v2]\n"
        "ports: [{name: daily, kind: parquet, description: Daily files}]\n"
        "links: {docs: 'https://docs.example.com/trades'}\n"
        "status: deprecated\n"
        "deprecation: {reason: replaced, sunset: 2027-03-31, replacement: execution.trades}\n"
    )
    descriptor = parse_descriptor(text)
    assert descriptor.topic == "execution.stocktrades.v2"
    assert descriptor.partition_count == 256
    assert descriptor.retention.retention_ms == 7 * 86_400_000
    dumped = descriptor.model_dump(mode="json", by_alias=True)
    assert dumped["retention"] == "recent:7d"
    assert dumped["sla"]["freshness"] == "15m"
    assert Descriptor.model_validate(dumped) == descriptor


@pytest.mark.parametrize(
    ("edit", "path", "words"),
    [
        (("name: execution.stocktrades", "name: Execution.Trades"), "name", "lowercase"),
        (("name: execution.stocktrades", "name: execution.trades.v1"), "name", "version"),
        (("team: trading-platform", "team: Trading Platform"), "team", "trading_platform"),
        (("ada@example.com", "ada"), "owner.email", "e-mail"),
        (("description: Every", "description: ' '\nx_description: Every"), "description", ""),
        (("alignment: source", "alignment: sauce"), "alignment", "aggregate"),
        (("kind: measurement", "kind: command"), "kind", "commands are requests"),
        (("type: string", "type: text"), "key.type", "uuid"),
        (("field: trade_id", "field: trade id"), "key.field", "field path"),
        (("schema: stocktrades.avsc", "schema: trades.txt"), "schema", ".proto"),
        (("schema: stocktrades.avsc", "schema: /abs/trades.avsc"), "schema.path", "relative"),
        (("tier: 1", "tier: 5"), "sla.tier", "1, 2, 3 or 4"),
        (("freshness: 15m", "freshness: fast"), "sla.freshness", "'15m'"),
        (("freshness: 15m", "freshness: 15"), "sla.freshness", "no unit"),
        (("tier: 1,", "tier: 1, availability: 101,"), "sla.availability", "100"),
    ],
)
def test_each_field_error_names_its_path(edit: tuple[str, str], path: str, words: str) -> None:
    text = VALID.replace(*edit)
    assert text != VALID
    found = [problem for problem in problems(text) if problem.path == path]
    assert found, problems(text)
    assert words in f"{found[0].message} {found[0].hint}"


@pytest.mark.parametrize(
    ("extra", "path", "words"),
    [
        ("version: 0", "version", "greater than or equal to 1"),
        ("partitions: 8", "partitions", "'m' is 8 partitions"),
        ("retention: recent", "retention", "recent:7d"),
        ("retention: recent:1x", "retention", "not a duration"),
        ("quality: gold", "quality", "authoritative"),
        ("classifications: {email: [secret]}", "classifications.email[0]", "pii"),
        ("classifications: {'bad path': [pii]}", 'classifications["bad path"]', "field path"),
        ("regions: [Europe]", "regions[0]", "region code"),
        ("tags: [a, a]", "tags", "twice"),
        ("upstreams: [execution.stocktrades]", "upstreams", "itself"),
        ("upstreams: [orders]", "upstreams[0]", "<domain>.<product>"),
        ("ports: [{name: p, kind: csv, description: d}]", "ports[0].kind", "parquet"),
        ("links: {docs: not a url}", "links.docs", "URL"),
        ("domain: trading", "domain", "does not match"),
        ("status: retired", "deprecation", "is required"),
        ("deprecation: {reason: r, sunset: 2027-01-01}", "deprecation", "only allowed"),
        ("status: deprecated\ndeprecation: {reason: r}", "deprecation.sunset", "required"),
        ("statu: draft", "statu", "did you mean 'status'"),
        ("deployment: {}", "deployment", "allowed here"),
    ],
)
def test_optional_field_errors_name_their_path(extra: str, path: str, words: str) -> None:
    found = problems(VALID + extra + "\n")
    matching = [problem for problem in found if problem.path == path]
    assert matching, found
    assert words in f"{matching[0].message} {matching[0].hint}"


def test_nested_typo_suggests_the_sibling_field() -> None:
    problem = only_problem(VALID.replace("freshness:", "freshnes:"))
    assert problem.path == "sla.freshnes"
    assert problem.hint == "did you mean 'freshness'?"
    assert problem.line == 9


def test_missing_required_fields_are_all_reported_with_a_fix() -> None:
    found = problems("name: execution.stocktrades\n")
    paths = {problem.path for problem in found}
    assert paths == {"owner", "team", "description", "alignment", "kind", "key", "schema", "sla"}
    owner = next(problem for problem in found if problem.path == "owner")
    assert owner.hint is not None and "email" in owner.hint
    assert owner.line is None  # a missing field has no line to point at


def test_several_problems_come_in_one_error_with_lines() -> None:
    text = VALID.replace("kind: measurement", "kind: command").replace("tier: 1", "tier: 9")
    text += "partitions: huge\n"
    with pytest.raises(DescriptorInvalid) as caught:
        parse_descriptor(text, source="trades.yaml")
    by_path = {problem.path: problem for problem in caught.value.problems}
    assert set(by_path) == {"kind", "sla.tier", "partitions"}
    lines = [by_path[path].line for path in ("kind", "sla.tier", "partitions")]
    assert lines == [6, 9, 10]
    message = str(caught.value)
    assert "has 3 problems" in message
    assert "trades.yaml:6:1: kind:" in message
    assert "trades.yaml:10:1: partitions:" in message


def test_yaml_syntax_error_reports_line_and_column() -> None:
    problem = only_problem(VALID.replace("team: trading-platform", "team: [trading"))
    assert problem.message.startswith("invalid YAML")
    assert problem.line == 4


def test_duplicate_keys_are_reported_not_silently_resolved() -> None:
    problem = only_problem(VALID + "team: other-team\n")
    assert (problem.path, problem.message, problem.line) == ("team", "appears twice", 10)


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_a_file_that_is_not_a_mapping_is_one_problem(text: str) -> None:
    assert "mapping" in only_problem(text).message


def test_load_checks_that_the_schema_file_exists(tmp_path: Path) -> None:
    descriptor_file = tmp_path / "trades.yaml"
    descriptor_file.write_text(VALID)
    with pytest.raises(DescriptorInvalid) as caught:
        load_descriptor(descriptor_file)
    assert caught.value.problems[0].path == "schema.path"
    assert caught.value.problems[0].line == 8
    (tmp_path / "stocktrades.avsc").write_text("{}")
    assert load_descriptor(descriptor_file).name == "execution.stocktrades"


def test_load_of_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(DescriptorInvalid, match="file not found"):
        load_descriptor(tmp_path / "nope.yaml")
