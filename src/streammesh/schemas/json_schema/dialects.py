"""JSON Schema dialects streammesh accepts (draft 7 and 2020-12), chosen by ``$schema``."""

from __future__ import annotations

from enum import Enum

import jsonschema
import referencing.jsonschema
from jsonschema.protocols import Validator
from referencing import Specification

from streammesh.schemas.errors import InvalidSchema
from streammesh.schemas.json_schema.patterns import LINEAR_KEYWORDS

# Both the http and https spellings, with and without the empty fragment, are in use.
_DRAFT7_URIS = frozenset(
    {
        "http://json-schema.org/draft-07/schema",
        "http://json-schema.org/draft-07/schema#",
        "https://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft-07/schema#",
    }
)
_DRAFT202012_URIS = frozenset(
    {
        "https://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2020-12/schema#",
        "http://json-schema.org/draft/2020-12/schema",
        "http://json-schema.org/draft/2020-12/schema#",
    }
)

# The library's validators, matching patterns in linear time (see patterns.py).
_DRAFT7_VALIDATOR: type[Validator] = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft7Validator, LINEAR_KEYWORDS
)
_DRAFT202012_VALIDATOR: type[Validator] = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator, LINEAR_KEYWORDS
)


class Dialect(Enum):
    """A JSON Schema dialect, valued by its canonical ``$schema`` URI."""

    DRAFT7 = "http://json-schema.org/draft-07/schema#"
    DRAFT202012 = "https://json-schema.org/draft/2020-12/schema"

    @property
    def validator_class(self) -> type[Validator]:
        """The ``jsonschema`` validator class implementing this dialect, its patterns
        matched in linear time."""
        if self is Dialect.DRAFT7:
            return _DRAFT7_VALIDATOR
        return _DRAFT202012_VALIDATOR

    @property
    def specification(self) -> Specification[object]:
        """The ``referencing`` specification (how ``$id`` and subschemas work)."""
        if self is Dialect.DRAFT7:
            return referencing.jsonschema.DRAFT7
        return referencing.jsonschema.DRAFT202012

    @property
    def ref_overrides_siblings(self) -> bool:
        """Whether ``$ref`` makes its sibling keywords ignored (draft 7), rather than
        applying alongside them (2020-12)."""
        return self is Dialect.DRAFT7

    @classmethod
    def of(cls, document: object) -> Dialect:
        """The dialect ``document`` declares with ``$schema``; 2020-12 when it declares none.

        Raises:
            InvalidSchema: ``$schema`` names a dialect streammesh does not support.
        """
        if not isinstance(document, dict) or "$schema" not in document:
            return cls.DRAFT202012
        declared = document["$schema"]
        if declared in _DRAFT7_URIS:
            return cls.DRAFT7
        if declared in _DRAFT202012_URIS:
            return cls.DRAFT202012
        raise InvalidSchema(
            "JSON",
            "/$schema",
            f"unsupported dialect {declared!r}; use {cls.DRAFT202012.value!r} (the default) "
            f"or {cls.DRAFT7.value!r}",
        )
