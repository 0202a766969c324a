"""JSON Schema dialects streammesh accepts (draft-04 to 2020-12), chosen by ``$schema``.

A schema without ``$schema`` is read as draft-07, as Confluent's registry does, so a subject
migrated from Confluent or Karapace keeps its meaning (``items: [...]`` is a tuple there).
"""

from __future__ import annotations

import functools
from enum import Enum

import jsonschema
import referencing.jsonschema
from jsonschema.protocols import Validator
from referencing import Specification

from streammesh.schemas.errors import InvalidSchema
from streammesh.schemas.json_schema.patterns import LINEAR_KEYWORDS


def _spellings(*uris: str) -> frozenset[str]:
    """Both the http and https spellings, with and without the empty fragment, are in use."""
    found: set[str] = set()
    for uri in uris:
        bare = uri.rstrip("#").split("://", 1)[1]
        for scheme in ("http", "https"):
            found.update({f"{scheme}://{bare}", f"{scheme}://{bare}#"})
    return frozenset(found)


class Dialect(Enum):
    """A JSON Schema dialect, valued by its canonical ``$schema`` URI."""

    DRAFT4 = "http://json-schema.org/draft-04/schema#"
    DRAFT6 = "http://json-schema.org/draft-06/schema#"
    DRAFT7 = "http://json-schema.org/draft-07/schema#"
    DRAFT201909 = "https://json-schema.org/draft/2019-09/schema"
    DRAFT202012 = "https://json-schema.org/draft/2020-12/schema"

    @property
    def validator_class(self) -> type[Validator]:
        """The ``jsonschema`` validator class implementing this dialect, its patterns
        matched in linear time."""
        return _validators()[self]

    @property
    def specification(self) -> Specification[object]:
        """The ``referencing`` specification (how ``$id`` and subschemas work)."""
        return _SPECIFICATIONS[self]

    @property
    def ref_overrides_siblings(self) -> bool:
        """Whether ``$ref`` makes its sibling keywords ignored (draft-04 to draft-07),
        rather than applying alongside them (2019-09, 2020-12)."""
        return self in (Dialect.DRAFT4, Dialect.DRAFT6, Dialect.DRAFT7)

    @property
    def tuple_keyword(self) -> str:
        """Where tuple-position item schemas are: ``prefixItems`` in 2020-12, an ``items``
        array before (whose tail then obeys ``additionalItems``)."""
        return "prefixItems" if self is Dialect.DRAFT202012 else "items"

    def knows(self, keyword: str) -> bool:
        """Whether ``keyword`` constrains values in this dialect; an assertion keyword of
        another dialect (``prefixItems`` in draft-07, ``dependencies`` in 2020-12) is an
        unknown keyword here and is ignored, as validators ignore it."""
        if keyword not in _ASSERTIONS:
            return True
        return keyword in _known()[self]

    @classmethod
    def of(cls, document: object) -> Dialect:
        """The dialect ``document`` declares with ``$schema``; draft-07 when it declares none.

        Raises:
            InvalidSchema: ``$schema`` names a dialect streammesh does not support.
        """
        if not isinstance(document, dict) or "$schema" not in document:
            return cls.DRAFT7
        declared = document["$schema"]
        for dialect in cls:
            if isinstance(declared, str) and declared in _spellings(dialect.value):
                return dialect
        supported = ", ".join(repr(dialect.value) for dialect in cls)
        raise InvalidSchema(
            "JSON",
            "/$schema",
            f"unsupported dialect {declared!r}; use one of {supported} (draft-07 when "
            "$schema is absent)",
        )


_SPECIFICATIONS: dict[Dialect, Specification[object]] = {
    Dialect.DRAFT4: referencing.jsonschema.DRAFT4,
    Dialect.DRAFT6: referencing.jsonschema.DRAFT6,
    Dialect.DRAFT7: referencing.jsonschema.DRAFT7,
    Dialect.DRAFT201909: referencing.jsonschema.DRAFT201909,
    Dialect.DRAFT202012: referencing.jsonschema.DRAFT202012,
}
_BASES: dict[Dialect, type[Validator]] = {
    Dialect.DRAFT4: jsonschema.Draft4Validator,
    Dialect.DRAFT6: jsonschema.Draft6Validator,
    Dialect.DRAFT7: jsonschema.Draft7Validator,
    Dialect.DRAFT201909: jsonschema.Draft201909Validator,
    Dialect.DRAFT202012: jsonschema.Draft202012Validator,
}
# Keywords a validator checks inside another keyword's function: "if" applies "then" and
# "else"; "contains" counts with "minContains"/"maxContains" since 2019-09.
_CONDITIONAL = frozenset({"then", "else"})
_CONTAINS_COUNTS = frozenset({"minContains", "maxContains"})
_ASSERTIONS = (
    frozenset().union(*(base.VALIDATORS for base in _BASES.values()))
    | _CONDITIONAL
    | _CONTAINS_COUNTS
    # draft-04's exclusiveMaximum/Minimum are booleans modifying maximum/minimum: always read.
) - {"exclusiveMaximum", "exclusiveMinimum"}


@functools.cache
def _validators() -> dict[Dialect, type[Validator]]:
    return {
        dialect: jsonschema.validators.extend(base, LINEAR_KEYWORDS)  # type: ignore[no-untyped-call]
        for dialect, base in _BASES.items()
    }


@functools.cache
def _known() -> dict[Dialect, frozenset[str]]:
    known = {}
    for dialect, base in _BASES.items():
        keywords = frozenset(base.VALIDATORS)
        if "if" in keywords:
            keywords |= _CONDITIONAL
        if dialect in (Dialect.DRAFT201909, Dialect.DRAFT202012):
            keywords |= _CONTAINS_COUNTS
        known[dialect] = keywords
    return known
