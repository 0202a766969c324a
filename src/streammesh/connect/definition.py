"""Connector definitions: the YAML file a connector is defined by, read and validated.

::

    name: orders-cdc            # lowercase letters, digits, dashes
    kind: postgres-cdc          # see streammesh.connect.kinds
    principal: orders-cdc-sa    # the service account it runs as
    config:                     # the kind's own settings (its Config model)
      url: ${ORDERS_DB_URL}

A sink lists the products it reads at the top level (``products: [shop.orders]``), the same
for every sink kind, so the worker knows its topics and checks its grants before the kind
runs.

The YAML goes through :mod:`streammesh.bounded_yaml` (alias bombs, deep nesting and tags are
refused); every problem names the file, line and column and the field. ``${NAME}`` in a
string of ``config:`` is replaced by the environment variable ``NAME`` before the kind's
model sees it — the way to give database URLs and passwords without writing them in a file
reviewed in CI. Their values are never shown: not in errors (a missing variable is named,
not guessed), not in ``repr``, and :meth:`ConnectorDefinition.redact` takes them out of any
text the worker reports.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from streammesh.bounded_yaml import YamlRefused, compose_yaml
from streammesh.connect.errors import DefinitionInvalid, KindInvalid, UnknownKind
from streammesh.connect.kinds import ConnectorKind, Role, kind

__all__ = [
    "ConnectorDefinition",
    "parse_definition",
    "read_definition",
]

Location = tuple[int | str, ...]
Problem = tuple[int | None, int | None, str, str]

_NAME = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_REDACTED = "***"


class _Document(BaseModel):
    """The top level of a definition; ``config`` is checked by the kind's model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=_NAME,
        max_length=100,
        description="The connector's name: lowercase letters, digits and single dashes.",
    )
    kind: str = Field(min_length=1, description="The connector kind (postgres-cdc, parquet...).")
    principal: str = Field(min_length=1, description="The service account it runs as.")
    products: list[str] = Field(
        default_factory=list,
        description="A sink's products (``domain.name`` or ``domain.name.vN``), read in full.",
    )
    config: dict[str, Any] = Field(default_factory=dict, description="The kind's settings.")


@dataclass(frozen=True, slots=True)
class ConnectorDefinition:
    """A validated connector definition.

    Attributes:
        name: The connector's name: its consumer group and transactional id
            (``connect-<name>``), its offsets topic ``<name>.offsets`` and dead-letter topic
            ``<name>.dead-letter``, its application in lineage.
        kind: The connector kind that runs it.
        principal: The service account it runs as (grants are checked by the worker).
        products: The products a sink reads (a source names its products in its records).
        config: The ``config:`` block validated by the kind's ``Config`` model, with
            ``${NAME}`` variables substituted.
        origin: Where it was read from (a file path), for messages.
        text: The YAML as written (variables unsubstituted: safe to show or store).
    """

    name: str
    kind: ConnectorKind
    principal: str
    config: BaseModel = field(repr=False)
    origin: str
    products: tuple[str, ...] = ()
    text: str = field(default="", repr=False)
    secrets: frozenset[str] = field(default=frozenset(), repr=False)
    """The values substituted for ``${NAME}`` variables (what :meth:`redact` hides)."""

    @property
    def role(self) -> Role:
        """Source or sink."""
        return self.kind.role

    def redact(self, text: str) -> str:
        """``text`` with every substituted variable's value replaced by ``***`` (for error
        messages of drivers that echo a connection string)."""
        return _redact(text, self.secrets)


def read_definition(
    path: str | Path, *, environ: Mapping[str, str] | None = None
) -> ConnectorDefinition:
    """Read and validate the definition file ``path``.

    Raises:
        DefinitionInvalid: the file cannot be read, is not YAML, or breaks a rule; every
            problem is named with its line, column and field.
    """
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionInvalid(origin, [(None, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionInvalid(origin, [(None, None, "", f"cannot be read: {exc}")]) from None
    return parse_definition(text, origin=origin, environ=environ)


def parse_definition(
    text: str, *, origin: str = "<definition>", environ: Mapping[str, str] | None = None
) -> ConnectorDefinition:
    """Validate definition YAML ``text``.

    Args:
        text: The YAML.
        origin: What to call it in messages (the file's path).
        environ: Where ``${NAME}`` variables are looked up (default: ``os.environ``).

    Raises:
        DefinitionInvalid: with every problem found (line, column, field).
    """
    root = _compose(text, origin)
    if not isinstance(root, yaml.MappingNode):
        raise DefinitionInvalid(
            origin,
            [(1, 1, "", "is not a mapping; write name:, kind:, principal: and config:")],
        )
    problems = list(_duplicates(root))
    secrets: set[str] = set()
    config_node = _child(root, "config")
    unset: list[Problem] = []
    if config_node is not None:
        unset.extend(
            _substitute(
                config_node, ("config",), os.environ if environ is None else environ, secrets
            )
        )
    problems.extend(unset)
    data = yaml.SafeLoader.construct_document(_Constructor(), root)
    document: _Document | None = None
    try:
        document = _Document.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problem(error, root, ()) for error in exc.errors(include_url=False))
    # The kind, its config and the products rule are checked even when the top level has
    # problems, so that one `connect validate` names every problem of the file.
    found = _found_kind(data, root, problems)
    config = None
    # With a variable unset the config is not what will run: its model would only repeat it.
    if found is not None and not unset and isinstance(data.get("config", {}), dict):
        config = _kind_config(found, data.get("config", {}), root, secrets, problems)
    if found is not None and isinstance(data.get("products", []), list):
        problems.extend(_products_problems(found, data.get("products", []), root))
    if problems or document is None or found is None or config is None:
        raise DefinitionInvalid(origin, _sorted(problems))
    return ConnectorDefinition(
        document.name,
        found,
        document.principal,
        config,
        origin,
        tuple(document.products),
        text,
        frozenset(secrets),
    )


def _found_kind(data: Any, root: yaml.Node, problems: list[Problem]) -> ConnectorKind | None:
    """The definition's connector kind, or ``None`` with a problem added when it has none."""
    name = data.get("kind")
    if not isinstance(name, str) or not name:
        return None  # the top-level model names a missing or wrong-typed kind
    try:
        return kind(name)
    except (UnknownKind, KindInvalid) as exc:
        line, column = _position(root, ("kind",))
        problems.append((line, column, "kind", str(exc)))
        return None


def _kind_config(
    found: ConnectorKind,
    config: dict[str, Any],
    root: yaml.Node,
    secrets: set[str],
    problems: list[Problem],
) -> BaseModel | None:
    """``config:`` validated by the kind's model, or ``None`` with its problems added."""
    try:
        return found.config.model_validate(config)
    except ValidationError as exc:
        refused = [_problem(error, root, ("config",)) for error in exc.errors(include_url=False)]
        # A validator's message may quote the value it refused: never a substituted secret.
        problems.extend((*problem[:3], _redact(problem[3], secrets)) for problem in refused)
        return None


def _products_problems(found: ConnectorKind, products: list[Any], root: yaml.Node) -> list[Problem]:
    """A sink must list the products it reads; a source names its products in its config."""
    line, column = _position(root, ("products",))
    if found.role is Role.SINK and not products:
        return [(line, column, "products", "is required for a sink: list the products it reads")]
    if found.role is Role.SOURCE and products:
        return [(line, column, "products", "is for sinks; a source names products in its config")]
    return []


class _Constructor(yaml.SafeLoader):
    """Turns already composed nodes into values (it reads no stream)."""

    def __init__(self) -> None:
        yaml.SafeLoader.__init__(self, "")


def _compose(text: str, origin: str) -> yaml.Node | None:
    try:
        return compose_yaml(text)
    except yaml.MarkedYAMLError as exc:  # YamlRefused too
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot be parsed"
        kind_of = "refused YAML" if isinstance(exc, YamlRefused) else "invalid YAML"
        raise DefinitionInvalid(
            origin,
            [
                (
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                    "",
                    f"{kind_of}: {problem}",
                )
            ],
        ) from None
    except yaml.YAMLError as exc:
        raise DefinitionInvalid(origin, [(None, None, "", f"invalid YAML: {exc}")]) from None


def _children(node: yaml.Node) -> Iterator[tuple[int | str, yaml.Node, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield str(key.value), key, value
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield index, item, item


def _child(node: yaml.Node, name: str) -> yaml.Node | None:
    return next((value for element, _, value in _children(node) if element == name), None)


def _duplicates(node: yaml.Node, location: Location = ()) -> Iterator[Problem]:
    seen: set[int | str] = set()
    for element, key, value in _children(node):
        if isinstance(node, yaml.MappingNode) and element in seen:
            mark = key.start_mark
            yield (mark.line + 1, mark.column + 1, _path((*location, element)), "appears twice")
        seen.add(element)
        yield from _duplicates(value, (*location, element))


def _substitute(
    node: yaml.Node, location: Location, environ: Mapping[str, str], secrets: set[str]
) -> Iterator[Problem]:
    """Replace ``${NAME}`` in the string scalars under ``node``; a variable not set is a
    problem naming it (never a value)."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag != "tag:yaml.org,2002:str" or "${" not in str(node.value):
            return
        missing: list[str] = []

        def value_of(match: re.Match[str]) -> str:
            found = environ.get(match[1])
            if found is None:
                missing.append(match[1])
                return ""
            secrets.add(found)
            return found

        node.value = _VARIABLE.sub(value_of, str(node.value))
        mark = node.start_mark
        for name in missing:
            yield (
                mark.line + 1,
                mark.column + 1,
                _path(location),
                f"uses the environment variable {name!r}, which is not set; set it where the "
                "connector runs",
            )
        return
    for element, _, value in _children(node):
        yield from _substitute(value, (*location, element), environ, secrets)


def _problem(error: Any, root: yaml.Node, prefix: Location) -> Problem:
    location: Location = (*prefix, *error["loc"])
    line, column = _position(root, location)
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        message = "is not a known field; remove it or check its spelling"
    elif error["type"] == "missing":
        message = "is required"
    return (line, column, _path(location), message)


def _position(root: yaml.Node, location: Location) -> tuple[int | None, int | None]:
    """Line and column of the field at ``location`` (its key), else of the closest field
    above it that is written."""
    node = root
    mark: yaml.Mark = root.start_mark
    for wanted in location:
        for element, key, value in _children(node):
            if element == wanted:
                mark = key.start_mark
                node = value
                break
        else:
            break
    return mark.line + 1, mark.column + 1


def _path(location: Location) -> str:
    path = ""
    for element in location:
        if isinstance(element, int):
            path += f"[{element}]"
        else:
            path += f".{element}" if path else str(element)
    return path


def _redact(text: str, secrets: set[str] | frozenset[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda problem: (problem[0] or 0, problem[1] or 0))
