"""The canonical text of a ``.proto`` file, and the fingerprint built on it.

The canonical form is the file re-rendered from its syntax tree: comments and empty
statements dropped, one declaration per line with two-space indentation, strings in double
quotes with one escaping, whitespace inside names and ranges normalised, options sorted by
name (and message/enum options placed first in their body), imports sorted. Declaration
order is otherwise kept: field order is what readers of the schema see, and the order of
messages decides Confluent's message indexes. So two files that differ only in layout,
comments, quoting or option order share a canonical text and a fingerprint; two that
declare things in another order do not.

The fingerprint is the hex SHA-256 of the canonical text followed, for each reference in
name order, by its name and its own fingerprint (so a change anywhere in the imports
changes it too).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

from proto_schema_parser import ast

from streammesh.schemas.base import ParsedSchema

_INDENT = "  "
_ESCAPE = re.compile(r"\\(.)")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


def fingerprint_of(canonical: str, references: Mapping[str, ParsedSchema]) -> str:
    """Hex SHA-256 of ``canonical`` and the references' names and fingerprints."""
    digest = hashlib.sha256(canonical.encode())
    for name in sorted(references):
        digest.update(f"\0{name}\0{references[name].fingerprint}".encode())
    return digest.hexdigest()


def render_canonical(tree: ast.File) -> str:
    """The canonical text of a parsed file (see the module docstring)."""
    lines = [f"syntax = {_quote(tree.syntax or '')};"]
    elements = [e for e in tree.file_elements if not isinstance(e, ast.Comment)]
    lines += [f"package {_name(e.name)};" for e in elements if isinstance(e, ast.Package)]
    imports = sorted(
        (("public " if e.public else "weak " if e.weak else "") + _quote(e.name))
        for e in elements
        if isinstance(e, ast.Import)
    )
    lines += [f"import {spec};" for spec in imports]
    lines += _options([e for e in elements if isinstance(e, ast.Option)], 0)
    for element in elements:
        lines += _declaration(element, 0)
    return "\n".join(lines) + "\n"


def _declaration(element: object, depth: int) -> list[str]:
    pad = _INDENT * depth
    if isinstance(element, ast.Message):
        return _block(f"message {element.name}", element.elements, depth)
    if isinstance(element, ast.Enum):
        return _block(f"enum {element.name}", element.elements, depth)
    if isinstance(element, ast.OneOf):
        return _block(f"oneof {element.name}", element.elements, depth)
    if isinstance(element, ast.Service):
        return _block(f"service {element.name}", element.elements, depth)
    if isinstance(element, ast.Extension):
        return _block(f"extend {_name(element.typeName)}", element.elements, depth)
    if isinstance(element, ast.Field):
        label = f"{element.cardinality.value.lower()} " if element.cardinality else ""
        return [
            f"{pad}{label}{_name(element.type)} {element.name} = {element.number}"
            f"{_compact(element.options)};"
        ]
    if isinstance(element, ast.MapField):
        return [
            f"{pad}map<{_name(element.key_type)}, {_name(element.value_type)}> {element.name}"
            f" = {element.number}{_compact(element.options)};"
        ]
    if isinstance(element, ast.EnumValue):
        return [f"{pad}{element.name} = {element.number}{_compact(element.options)};"]
    if isinstance(element, ast.Reserved | ast.EnumReserved):
        return _reserved(element.ranges, element.names, pad)
    if isinstance(element, ast.ExtensionRange):
        ranges = ", ".join(" ".join(r.split()) for r in element.ranges)
        return [f"{pad}extensions {ranges}{_compact(element.options)};"]
    if isinstance(element, ast.Group):
        label = f"{element.cardinality.value.lower()} " if element.cardinality else ""
        return _block(f"{label}group {element.name} = {element.number}", element.elements, depth)
    if isinstance(element, ast.Method):
        stream_in = "stream " if element.input_type.stream else ""
        stream_out = "stream " if element.output_type.stream else ""
        head = (
            f"rpc {element.name}({stream_in}{_name(element.input_type.type)}) returns "
            f"({stream_out}{_name(element.output_type.type)})"
        )
        return _block(head, element.elements, depth)
    return []  # comments, options (rendered by their block) and empty statements


def _block(head: str, elements: Sequence[object], depth: int) -> list[str]:
    pad = _INDENT * depth
    body = _options([e for e in elements if isinstance(e, ast.Option)], depth + 1)
    for element in elements:
        body += _declaration(element, depth + 1)
    return [f"{pad}{head} {{", *body, f"{pad}}}"]


def _reserved(ranges: Sequence[str], names: Sequence[str], pad: str) -> list[str]:
    lines = []
    if ranges:
        lines.append(f"{pad}reserved {', '.join(' '.join(r.split()) for r in ranges)};")
    if names:
        lines.append(f"{pad}reserved {', '.join(_quote(n) for n in names)};")
    return lines


def _options(options: Sequence[ast.Option], depth: int) -> list[str]:
    pad = _INDENT * depth
    ordered = sorted(options, key=lambda o: _name(o.name))
    return [f"{pad}option {_name(o.name)} = {_value(o.value)};" for o in ordered]


def _compact(options: Sequence[ast.Option]) -> str:
    if not options:
        return ""
    ordered = sorted(options, key=lambda o: _name(o.name))
    return " [" + ", ".join(f"{_name(o.name)} = {_value(o.value)}" for o in ordered) + "]"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, ast.Identifier):
        return value.name
    if isinstance(value, ast.MessageLiteral):
        fields = [e for e in value.elements if isinstance(e, ast.MessageLiteralField)]
        return "{ " + " ".join(f"{f.name}: {_value(f.value)}" for f in fields) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _name(text: str) -> str:
    """Names and type names without the whitespace the grammar tolerates inside them."""
    return "".join(text.split())


def _quote(raw: str) -> str:
    """Double-quote a string literal's body (as written, with its escapes) canonically.

    Simple escapes are decoded and re-encoded one way (so ``'it\\'s'`` and ``"it's"``
    agree); other escapes (octal, hex, unicode) are kept as written.
    """
    parts = ['"']
    position = 0
    for match in _ESCAPE.finditer(raw):
        parts.append(_escape(raw[position : match.start()]))
        char = match.group(1)
        parts.append(_escape(_SIMPLE_ESCAPES[char]) if char in _SIMPLE_ESCAPES else match.group(0))
        position = match.end()
    parts += [_escape(raw[position:]), '"']
    return "".join(parts)


def _escape(text: str) -> str:
    for char, escaped in (
        ("\\", "\\\\"),
        ('"', '\\"'),
        ("\n", "\\n"),
        ("\t", "\\t"),
        ("\r", "\\r"),
    ):
        text = text.replace(char, escaped)
    return text
