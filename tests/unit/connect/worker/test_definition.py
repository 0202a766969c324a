"""Connector definitions: YAML read with bounds, errors at file:line:column naming the field,
``${ENV}`` substitution whose values never show, kinds from the registry."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr

from streammesh.connect import kinds
from streammesh.connect.base import ConnectorContext, SourceRecord
from streammesh.connect.definition import parse_definition, read_definition
from streammesh.connect.errors import DefinitionInvalid, KindInvalid, UnknownKind


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretStr
    tables: list[str]
    batch: int = 100


class _Source:
    """A test double of the source contract: nothing to read."""

    def start(self, position: Any) -> None: ...
    def poll(self, timeout: float) -> Sequence[SourceRecord]:
        return []

    def committed(self, position: Any) -> None: ...
    def schemas(self) -> dict[str, str]:
        return {}

    def close(self) -> None: ...


def _create(config: _Config, context: ConnectorContext) -> _Source:
    return _Source()


_KIND = SimpleNamespace(KIND="test-table", ROLE="source", Config=_Config, create=_create)


@pytest.fixture(autouse=True)
def _test_kind() -> Iterator[None]:
    with kinds.registered(_KIND):
        yield


GOOD = """\
name: orders-cdc
kind: test-table
principal: orders-sa
config:
  url: postgresql://app:${DB_PASSWORD}@localhost/shop
  tables: [orders]
"""


def test_a_definition_is_read_with_its_kind_and_secrets_substituted() -> None:
    definition = parse_definition(GOOD, origin="orders.yaml", environ={"DB_PASSWORD": "s3cret"})

    assert definition.name == "orders-cdc"
    assert definition.kind.name == "test-table"
    assert definition.role is kinds.Role.SOURCE
    assert definition.principal == "orders-sa"
    config = definition.config
    assert isinstance(config, _Config)
    assert config.url.get_secret_value() == "postgresql://app:s3cret@localhost/shop"
    assert "s3cret" not in repr(definition)
    assert definition.redact("connection to app:s3cret failed") == "connection to app:*** failed"


def test_a_missing_variable_is_named_at_its_line_never_valued() -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        parse_definition(GOOD, origin="orders.yaml", environ={})

    assert str(caught.value) == (
        "orders.yaml:5:8: field 'config.url' uses the environment variable 'DB_PASSWORD', "
        "which is not set; set it where the connector runs"
    )


def test_config_errors_name_file_line_column_and_field() -> None:
    text = GOOD.replace("tables: [orders]", "tables: [orders]\n  batch: lots\n  slot: x")

    with pytest.raises(DefinitionInvalid) as caught:
        parse_definition(text, origin="orders.yaml", environ={"DB_PASSWORD": "s3cret"})

    message = str(caught.value)
    assert "orders.yaml:7:3: field 'config.batch' Input should be a valid integer" in message
    assert "orders.yaml:8:3: field 'config.slot' is not a known field" in message
    assert "s3cret" not in message


def test_top_level_errors_name_their_field() -> None:
    text = "name: Orders_CDC\nkind: test-table\nprincipal: sa\nextra: 1\n"

    with pytest.raises(DefinitionInvalid) as caught:
        parse_definition(text, origin="d.yaml")

    message = str(caught.value)
    assert "d.yaml:1:1: field 'name' String should match pattern" in message
    assert "d.yaml:4:1: field 'extra' is not a known field" in message


def test_an_unknown_kind_is_refused_at_its_line_with_the_installed_kinds() -> None:
    text = GOOD.replace("kind: test-table", "kind: mongo")

    with pytest.raises(DefinitionInvalid) as caught:
        parse_definition(text, origin="d.yaml", environ={"DB_PASSWORD": "x"})

    assert str(caught.value).startswith("d.yaml:2:1: field 'kind' no connector kind 'mongo'")
    assert "test-table" in str(caught.value)


def test_invalid_and_refused_yaml_name_their_position(tmp_path: Path) -> None:
    with pytest.raises(DefinitionInvalid, match=r"^d.yaml:2:\d+: invalid YAML"):
        parse_definition("name: a\nkind: x: y\n", origin="d.yaml")
    with pytest.raises(DefinitionInvalid, match=r"^d.yaml:1:\d+: refused YAML: tag"):
        parse_definition("name: !!python/object:os.system x\n", origin="d.yaml")
    with pytest.raises(DefinitionInvalid, match=r"d.yaml:3:1: field 'name' appears twice"):
        parse_definition("name: a\nkind: test-table\nname: b\nprincipal: p\n", origin="d.yaml")
    missing = tmp_path / "none.yaml"
    with pytest.raises(DefinitionInvalid, match=r"none\.yaml: file not found"):
        read_definition(missing)


def test_a_kind_module_without_its_names_is_refused() -> None:
    with pytest.raises(KindInvalid, match="it has no Config, create"):
        kinds.register(SimpleNamespace(KIND="x", ROLE="source"), origin="bad")
    with pytest.raises(KindInvalid, match="ROLE is 'both'"):
        kinds.register(
            SimpleNamespace(KIND="x", ROLE="both", Config=_Config, create=_create), origin="bad"
        )
    with pytest.raises(UnknownKind):
        kinds.kind("x")


@pytest.mark.parametrize("name", sorted(kinds.BUILTIN))
def test_every_built_in_kind_loads_with_its_four_names(name: str) -> None:
    found = kinds.kind(name)
    assert (found.name, found.origin) == (name, kinds.BUILTIN[name])
    assert issubclass(found.config, BaseModel)


def test_every_problem_of_a_definition_is_named_at_once() -> None:
    text = (
        "name: Orders_CDC\n"
        "kind: test-table\n"
        "principal: orders-sa\n"
        "products: [shop.orders]\n"
        "config:\n"
        "  url: postgresql://localhost/shop\n"
        "  tables: [orders]\n"
        "  batch: lots\n"
    )

    with pytest.raises(DefinitionInvalid) as caught:
        parse_definition(text, origin="d.yaml")

    assert [problem[:3] for problem in caught.value.problems] == [
        (1, 1, "name"),
        (4, 1, "products"),
        (8, 3, "config.batch"),
    ]
