"""Naming rules for domains, products and the things a descriptor names.

A product is ``<domain>.<product>``, both segments lowercase words joined by ``_`` or ``-``
(``execution.stock_trades``); its topic appends the major version (``.v1``). Lowercase only,
because topic names are case-sensitive and ``Orders`` next to ``orders`` is a trap.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

SEGMENT_PATTERN = r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*"
_SEGMENT = re.compile(SEGMENT_PATTERN)
_PRODUCT = re.compile(rf"({SEGMENT_PATTERN})\.({SEGMENT_PATTERN})")
_REFERENCE = re.compile(rf"{SEGMENT_PATTERN}\.{SEGMENT_PATTERN}(?:\.v[1-9][0-9]*)?")
_SEGMENT_RULE = (
    "use lowercase letters and digits, starting with a letter, words joined by '_' or '-'"
)
MAX_SEGMENT = 64
"""Longest domain or product segment; keeps topic and subject names well under Kafka's 249."""


def check_segment(kind: str, name: str) -> str | None:
    """Why ``name`` is not a valid ``kind`` (domain, team, ...) name, or ``None`` if it is."""
    if not _SEGMENT.fullmatch(name):
        suggestion = _slug(name)
        also = f", e.g. '{suggestion}'" if suggestion and suggestion != name else ""
        return f"'{name}' is not a valid {kind} name; {_SEGMENT_RULE}{also}"
    if len(name) > MAX_SEGMENT:
        return f"'{name}' is {len(name)} characters long; a {kind} name has at most {MAX_SEGMENT}"
    return None


def check_product_name(name: str) -> str | None:
    """Why ``name`` is not a valid ``domain.product`` name, or ``None`` if it is."""
    match = _PRODUCT.fullmatch(name)
    if match is None:
        return (
            f"'{name}' is not a product name; write '<domain>.<product>' in lowercase, "
            "e.g. 'execution.stocktrades' (the version goes in 'version', not in the name)"
        )
    for segment in match.groups():
        problem = check_segment("product", segment)
        if problem is not None:
            return problem
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _segment_validator(kind: str) -> AfterValidator:
    def validate(value: str) -> str:
        problem = check_segment(kind, value)
        if problem is not None:
            raise ValueError(problem)
        return value

    return AfterValidator(validate)


def _validate_product(value: str) -> str:
    problem = check_product_name(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _validate_reference(value: str) -> str:
    if not _REFERENCE.fullmatch(value):
        raise ValueError(
            f"'{value}' is not a product reference; write '<domain>.<product>', optionally "
            "with a major version, e.g. 'execution.stocktrades' or 'execution.stocktrades.v2'"
        )
    return value


def _json(pattern: str, example: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": f"^{pattern}$", "examples": [example]})


DomainName = Annotated[str, _segment_validator("domain"), _json(SEGMENT_PATTERN, "execution")]
"""A domain's name, e.g. ``execution``."""
TeamName = Annotated[str, _segment_validator("team"), _json(SEGMENT_PATTERN, "trading-platform")]
"""An owning team's name, e.g. ``trading-platform``."""
Slug = Annotated[str, _segment_validator("identifier"), _json(SEGMENT_PATTERN, "parquet-daily")]
"""A short lowercase identifier: tags, port names."""
ProductName = Annotated[
    str, AfterValidator(_validate_product), _json(rf"{SEGMENT_PATTERN}\.{SEGMENT_PATTERN}", "a.b")
]
"""A product's ``domain.product`` name."""
ProductReference = Annotated[
    str,
    AfterValidator(_validate_reference),
    _json(rf"{SEGMENT_PATTERN}\.{SEGMENT_PATTERN}(\.v[1-9][0-9]*)?", "execution.stocktrades.v2"),
]
"""Another product, optionally at one major version: ``execution.stocktrades.v2``."""
