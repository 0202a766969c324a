"""Turning schema text into a checked :class:`JsonSchema`.

The checks, in order: the text is JSON; ``$schema`` names a supported dialect; the
schema is valid against its dialect's metaschema; every ``$ref`` resolves (locally or
to a supplied reference). Any root is accepted, as Confluent's registry does (``{}``,
``true``, a string or an array schema): that a data product's value schema describes an
object is checked where products are validated (:mod:`.object_root`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import PointerToNowhere, Unresolvable

from streammesh.schemas.base import ParsedSchema
from streammesh.schemas.errors import InvalidSchema, UnresolvedReference
from streammesh.schemas.json_schema.canonical import canonical_text, fingerprint
from streammesh.schemas.json_schema.compiled import compile_validator, references_of
from streammesh.schemas.json_schema.dialects import Dialect
from streammesh.schemas.json_schema.nodes import Node
from streammesh.schemas.json_schema.patterns import check_patterns
from streammesh.schemas.json_schema.schema import JsonSchema
from streammesh.schemas.json_schema.subschemas import direct_subschemas, pointer
from streammesh.schemas.nesting import check_schema_text

_JSON = "JSON"


def parse_schema(text: str, references: Mapping[str, ParsedSchema] | None) -> JsonSchema:
    """Parse and check ``text`` (see the module docstring for what is checked).

    Raises:
        InvalidSchema: with the JSON pointer (or line and column) of the problem.
        UnresolvedReference: a ``$ref`` to a schema not among ``references``.
    """
    refs = dict(references or {})
    document = _decode(text)
    canonical = canonical_text(document)
    dialect = Dialect.of(document)
    _check_against_metaschema(document, dialect)
    check_patterns(document)
    registry, base_uri = _registry(document, dialect, refs)
    root = Node(document, registry.resolver(base_uri=base_uri), dialect)
    _check_refs(root, "")
    # The validator works on the key-sorted form, so it reports the same first error
    # whatever the key order of the text was.
    sorted_document = json.loads(canonical)
    sorted_registry, _ = _registry(sorted_document, dialect, refs)
    title = document.get("title") if isinstance(document, dict) else None
    return JsonSchema(
        text=text,
        canonical=canonical,
        fingerprint=fingerprint(canonical, refs),
        name=title if isinstance(title, str) and title else "record",
        dialect=dialect,
        references=MappingProxyType(refs),
        document=document,
        registry=registry,
        base_uri=base_uri,
        validator=dialect.validator_class(sorted_document, registry=sorted_registry),
        compiled=compile_validator(document, dialect, references_of(refs), base_uri),
    )


def _decode(text: str) -> Any:
    check_schema_text(text, _JSON)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSchema(
            _JSON,
            f"line {exc.lineno}, column {exc.colno}",
            f"not valid JSON: {exc.msg}; a JSON Schema is a JSON object",
        ) from exc
    if not isinstance(document, dict | bool):
        raise InvalidSchema(
            _JSON,
            "",
            f"a JSON Schema is a JSON object (or true/false), got {type(document).__name__} "
            f"{json.dumps(document)[:40]}",
        )
    return document


def _check_against_metaschema(document: dict[str, Any] | bool, dialect: Dialect) -> None:
    validator_class = dialect.validator_class
    metaschema_validator = validator_class(
        validator_class.META_SCHEMA, format_checker=validator_class.FORMAT_CHECKER
    )
    error = best_match(metaschema_validator.iter_errors(document))
    if error is None:
        return
    raise InvalidSchema(_JSON, pointer("", *error.absolute_path), _metaschema_reason(error))


def _metaschema_reason(error: ValidationError) -> str:
    keyword = next((str(p) for p in reversed(error.absolute_path) if isinstance(p, str)), "")
    if error.validator in ("anyOf", "oneOf"):
        # The metaschema's alternatives (e.g. a type name or a list of them) say little.
        return f"{error.instance!r} is not a valid value for {keyword!r}"
    if error.validator == "format" and error.validator_value == "regex":
        return f"{error.instance!r} is not a valid regular expression"
    return f"{error.message} (checking {keyword!r} against the JSON Schema metaschema)"


def _registry(
    document: dict[str, Any] | bool, dialect: Dialect, refs: Mapping[str, ParsedSchema]
) -> tuple[Registry[Any], str]:
    resource: Resource[Any] = dialect.specification.create_resource(document)
    base_uri = resource.id() or ""
    registry: Registry[Any] = Registry().with_resource(base_uri, resource)
    for name, referenced in _flatten(refs).items():
        if not isinstance(referenced, JsonSchema):
            raise InvalidSchema(
                _JSON,
                "",
                f"reference {name!r} is a {referenced.schema_type} schema; a JSON Schema can "
                "only refer to JSON schemas",
            )
        ref_resource = referenced.dialect.specification.create_resource(referenced.document)
        # A $ref spelled relative to this schema's $id must find the reference too.
        for uri in {name, urljoin(base_uri, name), ref_resource.id() or name}:
            registry = registry.with_resource(uri, ref_resource)
    return registry, base_uri


def _flatten(refs: Mapping[str, ParsedSchema]) -> dict[str, ParsedSchema]:
    """The references and, transitively, theirs (a schema's own names win)."""
    flat: dict[str, ParsedSchema] = {}
    for referenced in refs.values():
        flat.update(_flatten(referenced.references))
    flat.update(refs)
    return flat


def _check_refs(node: Node, location: str) -> None:
    for keyword in ("$ref", "$dynamicRef"):
        ref = node.get(keyword)
        if isinstance(ref, str):
            _resolve(node, ref, pointer(location, keyword))
    for child_location, child in direct_subschemas(node.contents, location):
        _check_refs(node.child(child), child_location)


def _resolve(node: Node, ref: str, location: str) -> None:
    try:
        node.resolver.lookup(ref)
    except PointerToNowhere as exc:
        raise InvalidSchema(
            _JSON,
            location,
            f'$ref {ref!r} points to nothing; add the definition (e.g. under "$defs") '
            "or fix the pointer",
        ) from exc
    except Unresolvable as exc:
        name = urldefrag(ref).url
        if not name:
            raise InvalidSchema(
                _JSON, location, f"$ref {ref!r} cannot be resolved in this schema"
            ) from exc
        raise UnresolvedReference(_JSON, name) from exc
