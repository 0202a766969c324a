"""A JSON Schema compiled once by jsonschema-rs, to accept valid events fast.

The ``jsonschema`` validator of a :class:`~streammesh.schemas.json_schema.JsonSchema` walks
the schema in Python (~40 µs for a 10-field event); the same schema compiled by jsonschema-rs
answers "valid or not" in well under a microsecond. Events it accepts go straight on; an
event it refuses (or one it cannot read) is checked again by the ``jsonschema`` validator,
which names the first problem with its field path and rule exactly as before. Nothing is
weakened by the split: an event is refused only when ``jsonschema`` finds a problem, and the
compiled validator is built with the same semantics (dialect, references, ``format`` as an
annotation, patterns on the same linear-time regex engine as :mod:`.patterns`).

A schema jsonschema-rs cannot compile gets no compiled validator and is checked by
``jsonschema`` alone, as before. So does a schema with a fractional ``multipleOf``: there the
two disagree (jsonschema-rs accepts ``0.3`` as a multiple of ``0.1``, ``jsonschema`` divides
in binary floating point and refuses it), and the compiled validator must never accept what
``jsonschema`` refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import jsonschema_rs

from streammesh.schemas.base import ParsedSchema
from streammesh.schemas.json_schema.dialects import Dialect

__all__ = ["compile_validator", "references_of"]

_CLASSES: dict[Dialect, Any] = {
    Dialect.DRAFT4: jsonschema_rs.Draft4Validator,
    Dialect.DRAFT6: jsonschema_rs.Draft6Validator,
    Dialect.DRAFT7: jsonschema_rs.Draft7Validator,
    Dialect.DRAFT201909: jsonschema_rs.Draft201909Validator,
    Dialect.DRAFT202012: jsonschema_rs.Draft202012Validator,
}
# The base URI of a schema without an absolute "$id": relative "$ref"s (and references
# named relatively, "money.json") resolve against it. An http(s) base, because urljoin
# only joins URIs of the schemes it knows; nothing is ever fetched (offline).
_DEFAULT_BASE = "https://streammesh.invalid/"
_LINEAR = jsonschema_rs.RegexOptions()


def compile_validator(
    document: dict[str, Any] | bool,
    dialect: Dialect,
    references: Mapping[str, tuple[Dialect, Any]],
    base_uri: str,
) -> jsonschema_rs.Validator | None:
    """The jsonschema-rs validator of ``document``, or ``None`` if it cannot be compiled.

    Args:
        document: The schema (already checked against its metaschema, refs resolved).
        dialect: Its dialect; the compiled validator uses the same one.
        references: Every referenced schema (transitively), by the name ``$ref``s use,
            with its dialect and document.
        base_uri: The schema's own ``$id`` (``""`` without one).
    """
    if _fractional_multiple_of(document) or any(
        _fractional_multiple_of(referenced) for _, referenced in references.values()
    ):
        return None
    base = base_uri if _absolute(base_uri) else urljoin(_DEFAULT_BASE, base_uri)
    resources: dict[str, Any] = {}
    for name, (_, referenced) in references.items():
        own_id = referenced.get("$id") if isinstance(referenced, dict) else None
        for uri in (name, urljoin(base, name), own_id):
            if isinstance(uri, str) and _absolute(uri):
                resources[uri.rstrip("#")] = referenced
    try:
        registry = jsonschema_rs.Registry(list(resources.items())) if resources else None
        validator: jsonschema_rs.Validator = _CLASSES[dialect](
            document,
            validate_formats=False,  # ``format`` is an annotation here, as in ``jsonschema``
            registry=registry,
            base_uri=base,
            pattern_options=_LINEAR,
            offline=True,  # never fetch a remote "$ref": parsing already resolved them all
        )
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError):
        return None
    return validator


def references_of(references: Mapping[str, ParsedSchema]) -> dict[str, tuple[Dialect, Any]]:
    """The referenced JSON schemas (transitively; a schema's own names win), by name."""
    flat: dict[str, tuple[Dialect, Any]] = {}
    for referenced in references.values():
        flat.update(references_of(referenced.references))
    for name, referenced in references.items():
        dialect = getattr(referenced, "dialect", None)
        if isinstance(dialect, Dialect):
            flat[name] = (dialect, getattr(referenced, "document", None))
    return flat


def _absolute(uri: str) -> bool:
    return bool(uri) and bool(urlsplit(uri).scheme)


def _fractional_multiple_of(document: Any) -> bool:
    """Whether a ``multipleOf`` with a non-integral divisor is anywhere in ``document``
    (conservatively: any object member of that name, whatever keyword holds it)."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            divisor = node.get("multipleOf")
            if isinstance(divisor, float) and not divisor.is_integer():
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
