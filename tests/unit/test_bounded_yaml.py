"""``streammesh.bounded_yaml``: plain YAML reads as PyYAML's safe loader reads it; alias bombs,
deep nesting, cycles, oversized documents and non-plain tags are refused with the line."""

from __future__ import annotations

import pytest
import yaml

from streammesh.bounded_yaml import YamlLimit, YamlLimits, YamlRefused, compose_yaml, load_yaml


def _bomb(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        previous, current = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{current}: &{current} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _refusal(text: str, limits: YamlLimits | None = None) -> YamlRefused:
    with pytest.raises(YamlRefused) as caught:
        load_yaml(text) if limits is None else load_yaml(text, limits)
    return caught.value


def test_plain_yaml_aliases_and_merge_keys_read_as_the_safe_loader_reads_them() -> None:
    text = "base: &base {tier: 2, tags: [a, b]}\nproduct: {<<: *base, name: x}\nq: !!str 3\n"
    assert (
        load_yaml(text)
        == yaml.safe_load(text)
        == {
            "base": {"tier": 2, "tags": ["a", "b"]},
            "product": {"tier": 2, "tags": ["a", "b"], "name": "x"},
            "q": "3",
        }
    )
    assert load_yaml("") is None
    assert compose_yaml("") is None


@pytest.mark.timeout(10)
def test_a_billion_laughs_is_refused_at_the_alias_that_crosses_the_node_limit() -> None:
    refused = _refusal(_bomb())
    assert refused.limit is YamlLimit.NODES
    assert "more than 50000 nodes once aliases are expanded" in str(refused)
    assert refused.problem_mark is not None and refused.problem_mark.line == 4


def test_too_many_aliases_even_to_scalars() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 20) + "]\n"
    refused = _refusal(text, YamlLimits(max_aliases=10))
    assert refused.limit is YamlLimit.ALIASES


@pytest.mark.timeout(10)
def test_deep_nesting_is_refused_without_recursing() -> None:
    refused = _refusal("[" * 100_000 + "]" * 100_000)
    assert refused.limit is YamlLimit.DEPTH
    assert "nested deeper than 64 levels" in str(refused)
    # An alias counts as deep as what it stands for.
    chain = "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"
    assert _refusal(chain).limit is YamlLimit.DEPTH


def test_an_alias_inside_its_own_anchor_is_a_cycle() -> None:
    refused = _refusal("a: &loop [1, *loop]\n")
    assert refused.limit is YamlLimit.CYCLE
    assert "'*loop' refers to itself" in str(refused)


def test_a_document_over_the_size_limit_is_refused_before_parsing() -> None:
    refused = _refusal("x: " + "y" * 300_000 + "\n")
    assert refused.limit is YamlLimit.SIZE
    assert "more than the 262144 allowed" in str(refused)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("x: !!python/object/apply:os.system ['true']\n", "!!python/object/apply:os.system"),
        ("x: !!python/name:os.system\n", "!!python/name:os.system"),
        ("x: !custom {a: 1}\n", "!custom"),
    ],
)
def test_tags_outside_plain_yaml_are_refused_by_name(text: str, shown: str) -> None:
    refused = _refusal(text)
    assert refused.limit is YamlLimit.TAG
    assert f"tag '{shown}' is not allowed" in str(refused)
    assert refused.problem_mark is not None and refused.problem_mark.line == 0
