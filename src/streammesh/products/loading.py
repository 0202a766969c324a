"""Reading descriptor files: YAML in, a :class:`Descriptor` or every problem at once out.

The YAML is composed into nodes first (not loaded straight to dicts) so that each problem can
point at the line of the field it is about, and so that duplicate keys, which YAML loaders
silently resolve to the last one, are reported instead. Composing goes through
:mod:`streammesh.bounded_yaml`, so alias bombs, deep nesting and ``!!python`` tags are refused
as descriptor problems before anything walks the nodes.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from streammesh.bounded_yaml import YamlLimit, YamlRefused, compose_yaml
from streammesh.products.descriptor import Descriptor
from streammesh.products.errors import (
    DescriptorInvalid,
    DescriptorProblem,
    SchemaFileMissing,
    SchemaFileUnreadable,
)
from streammesh.products.sizes import PartitionSize, size_table

Location = tuple[int | str, ...]


@dataclass(frozen=True, slots=True)
class DescriptorFile:
    """A descriptor as read from disk, read once.

    Attributes:
        path: The descriptor file, as given.
        text: Its text.
        descriptor: The validated descriptor.
        root: Its YAML node tree, for the line and column of a field.
    """

    path: Path
    text: str
    descriptor: Descriptor
    root: yaml.Node | None

    @property
    def schema_path(self) -> Path:
        """The schema file it names (a relative path is relative to the descriptor's folder)."""
        return self.path.parent / self.descriptor.schema_ref.path

    def position(self, keys: Sequence[str]) -> tuple[int | None, int | None]:
        """1-based line and column of the field at ``keys`` (``None`` when not written)."""
        return _position(self.root, tuple(keys))


def read_descriptor(path: str | Path) -> DescriptorFile:
    """Read and validate the descriptor file ``path``.

    Raises:
        DescriptorInvalid: The file cannot be read, is not YAML, or breaks descriptor rules;
            the error lists every problem found.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DescriptorInvalid(path, [DescriptorProblem("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DescriptorInvalid(
            path, [DescriptorProblem("", f"cannot be read: {exc}", "save it as UTF-8 text")]
        ) from None
    descriptor = parse_descriptor(text, source=str(path))
    # It parsed, so it composes; the tree is kept for the positions of later findings.
    return DescriptorFile(path, text, descriptor, _compose(text))


def read_schema(descriptor: DescriptorFile) -> str:
    """The text of the schema file ``descriptor`` names.

    Raises:
        SchemaFileMissing: The file does not exist.
        SchemaFileUnreadable: It cannot be read as UTF-8 text.
    """
    schema_file = descriptor.schema_path
    try:
        return schema_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaFileMissing(
            descriptor.path, schema_file, *descriptor.position(("schema",))
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaFileUnreadable(schema_file, str(exc)) from None


def load_descriptor(path: str | Path, *, check_files: bool = True) -> Descriptor:
    """Read the descriptor at ``path``.

    Args:
        path: The YAML file.
        check_files: Also check that the schema file the descriptor names exists.

    Raises:
        DescriptorInvalid: The file cannot be read, is not YAML, or breaks descriptor rules;
            the error lists every problem found (``SchemaFileMissing`` when the schema file
            is missing).
    """
    found = read_descriptor(path)
    if check_files and not found.schema_path.is_file():
        raise SchemaFileMissing(found.path, found.schema_path, *found.position(("schema",)))
    return found.descriptor


def parse_descriptor(text: str, *, source: str = "<descriptor>") -> Descriptor:
    """Validate descriptor YAML ``text``; ``source`` names it in error messages.

    Raises:
        DescriptorInvalid: with every problem found.
    """
    try:
        root = _compose(text)
    except YamlRefused as exc:
        mark = exc.problem_mark
        raise DescriptorInvalid(
            source,
            [
                DescriptorProblem(
                    "",
                    f"refused YAML: {exc.problem}",
                    _REFUSED_HINTS[exc.limit],
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                )
            ],
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot be parsed"
        raise DescriptorInvalid(
            source,
            [
                DescriptorProblem(
                    "",
                    f"invalid YAML: {problem}",
                    "check the indentation and quoting around this line",
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                )
            ],
        ) from None
    except yaml.YAMLError as exc:
        raise DescriptorInvalid(source, [DescriptorProblem("", f"invalid YAML: {exc}")]) from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise DescriptorInvalid(
            source,
            [
                DescriptorProblem(
                    "",
                    "is not a mapping of fields",
                    "start with `name: <domain>.<product>` and the other fields at the top level",
                )
            ],
        )
    problems = list(_duplicate_keys(root))
    data = yaml.SafeLoader.construct_document(_Constructor(), root)
    try:
        descriptor = Descriptor.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problem(error, root) for error in exc.errors(include_url=False))
    else:
        if not problems:
            return descriptor
    raise DescriptorInvalid(source, sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))


class _Constructor(yaml.SafeLoader):
    """A constructor with no stream: it only turns already composed nodes into values."""

    def __init__(self) -> None:
        yaml.SafeLoader.__init__(self, "")


def _compose(text: str) -> yaml.Node | None:
    return compose_yaml(text)


_REFUSED_HINTS = {
    YamlLimit.SIZE: "a descriptor is a few kilobytes; keep schemas and data in their own files",
    YamlLimit.DEPTH: "a descriptor nests a few levels; flatten the structure",
    YamlLimit.NODES: "write the values out instead of repeating aliases",
    YamlLimit.ALIASES: "write the values out instead of repeating aliases",
    YamlLimit.CYCLE: "an alias cannot refer to the node that contains it",
    YamlLimit.TAG: "remove the tag; descriptors are plain YAML",
}


def _children(node: yaml.Node) -> Iterator[tuple[int | str, yaml.Node, yaml.Node]]:
    """(location element, key node or the item itself, value node) of a mapping or sequence."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield str(key.value), key, value
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield index, item, item


def _duplicate_keys(node: yaml.Node, location: Location = ()) -> Iterator[DescriptorProblem]:
    seen: set[int | str] = set()
    for element, key, value in _children(node):
        if isinstance(node, yaml.MappingNode) and element in seen:
            yield DescriptorProblem(
                _path((*location, element)),
                "appears twice",
                "keep one of them",
                key.start_mark.line + 1,
                key.start_mark.column + 1,
            )
        seen.add(element)
        yield from _duplicate_keys(value, (*location, element))


def _position(root: yaml.Node | None, location: Location) -> tuple[int | None, int | None]:
    """Line and column of the field at ``location`` (its key), else of the mapping holding it.

    A missing top-level field has no position: pointing at line 1 would send readers hunting.
    """
    if root is None:
        return None, None
    node = root
    marks: list[yaml.Mark] = []
    for wanted in location:
        for element, key, value in _children(node):
            if element == wanted:
                marks.append(key.start_mark)
                node = value
                break
        else:
            break
    if not marks:
        return None, None
    return marks[-1].line + 1, marks[-1].column + 1


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _path(location: Location) -> str:
    path = ""
    for element in location:
        if isinstance(element, int):
            path += f"[{element}]"
        elif not _IDENTIFIER.fullmatch(element):
            path += f'["{element}"]'  # a classification's field path is one key, not a path
        else:
            path += f".{element}" if path else element
    return path


def _problem(error: ErrorDetails, root: yaml.Node) -> DescriptorProblem:
    location: Location = tuple(error["loc"])
    if location and location[-1] == "[key]":  # pydantic's marker for a bad mapping key
        location = location[:-1]
    line, column = _position(root, location)
    message, hint = _explain(error, location)
    return DescriptorProblem(_path(location), message, hint, line, column)


def _explain(error: ErrorDetails, location: Location) -> tuple[str, str | None]:
    kind = error["type"]
    value = error.get("input")
    field = location[-1] if location else ""
    if kind == "extra_forbidden":
        allowed = _fields_at(location[:-1])
        close = difflib.get_close_matches(str(field), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed here: {', '.join(allowed)}"
        return "is not a descriptor field", hint
    if kind == "missing":
        return "is required", _missing_hint(location)
    if kind == "value_error":
        context = error.get("ctx", {})
        return str(context.get("error", error["msg"])), None
    if kind == "enum" and location == ("kind",) and value == "command":
        return (
            "'command' is not a data product kind",
            "commands are requests to one service, not facts for everyone; publish the events "
            "that result from them (state, delta, measurement or notification)",
        )
    if kind == "enum" and location == ("partitions",):
        size = PartitionSize.for_partitions(value) if isinstance(value, int) else None
        named = f"'{size.value}' is {value} partitions; " if size else ""
        return f"{value!r} is not a partition size", f"{named}use one of {size_table()}"
    if kind in ("enum", "literal_error"):
        expected = error.get("ctx", {}).get("expected", "")
        return f"{value!r} is not allowed", f"use one of {expected}"
    if kind == "string_pattern_mismatch":
        keys = [element for element in location if isinstance(element, str)]
        known = [_PATTERN_HINTS[key] for key in reversed(keys) if key in _PATTERN_HINTS]
        return f"{value!r} has the wrong form", known[0] if known else None
    return _sentence(error["msg"], value), None


def _sentence(message: str, value: Any) -> str:
    shown = f"{value!r}: " if isinstance(value, str | int | float | bool) else ""
    return f"{shown}{message[0].lower()}{message[1:]}"


_PATTERN_HINTS = {
    "email": "write an e-mail address, e.g. 'ada@example.com'",
    "field": "write a field path of the schema, e.g. 'trade_id' or 'trade.account'",
    "regions": "write a lowercase region code, e.g. 'eu', 'ca' or 'us-east-1'",
    "classifications": "write a field path of the schema, e.g. 'customer.email'",
}
_MISSING_HINTS = {
    ("owner",): "add `owner: {name: Ada Lovelace, email: ada@example.com}`",
    ("team",): "add `team: <owning team>`, e.g. `team: trading-platform`",
    ("description",): "add `description: <what the product is and who it is for>`",
    ("alignment",): "add `alignment: source` (or aggregate, consumer)",
    ("kind",): "add `kind: state` (or delta, measurement, notification)",
    ("key",): "add `key: {field: <field of the event>, type: string}`",
    ("schema",): "add `schema: <file>.avsc` (or .json, .proto), relative to this file",
    ("sla",): "add `sla: {tier: 3}` (1: critical, 24h on-call ... 4: next business day)",
    ("sla", "tier"): "add `tier: 3` (1: critical, 24h on-call ... 4: next business day)",
    ("name",): "add `name: <domain>.<product>`, e.g. `name: execution.stocktrades`",
}


def _missing_hint(location: Location) -> str | None:
    named = tuple(element for element in location if isinstance(element, str))
    if named in _MISSING_HINTS:
        return _MISSING_HINTS[named]
    return f"add `{location[-1]}: ...`" if location else None


def _fields_at(location: Location) -> list[str]:
    """The keys allowed in the mapping at ``location`` of a descriptor."""
    model: type[BaseModel] | None = Descriptor
    annotation: Any = Descriptor
    for element in location:
        if model is not None and isinstance(element, str):
            fields = {info.alias or name: info for name, info in model.model_fields.items()}
            if element not in fields:
                return []
            annotation = fields[element].annotation
        model = _model_in(annotation)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None:
        return None
    arguments = typing.get_args(annotation)
    if origin in (dict, Mapping):
        arguments = arguments[1:]
    elif origin not in (tuple, list, typing.Union, types.UnionType, typing.Annotated):
        return None
    for argument in arguments:
        found = _model_in(argument)
        if found is not None:
            return found
    return None
