"""Schema patterns (``pattern``, ``patternProperties``) matched in linear time.

Python's ``re`` backtracks: ``^(a+)+$`` against ``"aaa...a!"`` takes time exponential in the
length of the string, so one event could pin a core. Patterns are matched instead by the
standard engine of jsonschema-rs (``RegexOptions``: Rust's ``regex`` crate, with the
ECMA-262 syntax JSON Schema specifies translated), whose time is linear in the text. That
engine has no lookaround and no backreferences: :func:`check_patterns` refuses a schema
whose patterns it cannot compile, when the schema is parsed (so at registration).

The ``jsonschema`` validator classes of :mod:`~streammesh.schemas.json_schema.dialects` are
the library's own with the keywords that match patterns (``pattern``, ``patternProperties``,
``additionalProperties``) replaced by the same checks through :func:`search`; their errors
read as before. ``unevaluatedProperties`` next to ``patternProperties`` would still match
with ``re`` inside the library, so that combination is refused too.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
from jsonschema.exceptions import ValidationError

from streammesh.schemas.errors import InvalidSchema
from streammesh.schemas.json_schema.subschemas import direct_subschemas, pointer

__all__ = ["LINEAR_KEYWORDS", "check_patterns", "search"]

_JSON = "JSON"
_LINEAR = jsonschema_rs.RegexOptions()


@functools.lru_cache(maxsize=4096)
def _matcher(pattern: str) -> jsonschema_rs.Validator | None:
    """A validator of ``{"pattern": pattern}`` on the linear engine; ``None`` if the engine
    cannot compile the pattern."""
    try:
        return jsonschema_rs.validator_for({"pattern": pattern}, pattern_options=_LINEAR)
    except (jsonschema_rs.ValidationError, ValueError):
        return None


def search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches anywhere in ``text`` (JSON Schema patterns are not
    anchored), in time linear in ``text``.

    A pattern the linear engine cannot compile matches nothing: :func:`check_patterns`
    keeps such patterns out of every parsed schema.
    """
    matcher = _matcher(pattern)
    return matcher is not None and matcher.is_valid(text)


def check_patterns(document: Any, at: str = "") -> None:
    """Refuse a schema with a pattern the linear engine cannot match, or with
    ``unevaluatedProperties`` and ``patternProperties`` together.

    Raises:
        InvalidSchema: at the pointer of the pattern.
    """
    found = list(_patterns(document, at))
    for location, pattern in found:
        if _matcher(pattern) is None:
            raise InvalidSchema(
                _JSON,
                location,
                f"pattern {pattern!r} cannot be matched in linear time (lookahead, lookbehind "
                "and backreferences are not supported); rewrite it without them",
            )
    if any("/patternProperties/" in location for location, _ in found) and _uses_unevaluated(
        document
    ):
        raise InvalidSchema(
            _JSON,
            "",
            "'unevaluatedProperties' together with 'patternProperties' is not supported "
            "(its patterns would be matched by a backtracking engine); use "
            "'additionalProperties' instead",
        )


def _patterns(schema: Any, at: str) -> Iterator[tuple[str, str]]:
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("pattern"), str):
        yield pointer(at, "pattern"), schema["pattern"]
    pattern_properties = schema.get("patternProperties")
    if isinstance(pattern_properties, dict):
        for key in pattern_properties:
            yield pointer(at, "patternProperties", key), key
    for location, subschema in direct_subschemas(schema, at):
        yield from _patterns(subschema, location)


def _uses_unevaluated(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if "unevaluatedProperties" in schema:
        return True
    return any(_uses_unevaluated(sub) for _, sub in direct_subschemas(schema, ""))


# The library's keyword functions, with re.search replaced by search(); same errors. The
# validator is Any: ``descend`` is not part of jsonschema's Validator protocol.


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    declared = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = {
        name
        for name in instance
        if name not in declared and not any(search(pattern, name) for pattern in patterns)
    }
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        if patterns:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            listed = ", ".join(repr(each) for each in sorted(patterns))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {listed}")
        else:
            names = sorted(extras, key=str)
            verb = "was" if len(names) == 1 else "were"
            yield ValidationError(
                "Additional properties are not allowed "
                f"({', '.join(repr(name) for name in names)} {verb} unexpected)"
            )


LINEAR_KEYWORDS = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
}
"""Keyword functions for ``jsonschema.validators.extend``."""
