"""Canonical text and fingerprint of a JSON Schema.

The canonical form is the document re-serialised with sorted keys and no whitespace
(non-ASCII kept as UTF-8). It is deliberately *syntactic*: equivalent spellings such as
``"type": "string"`` and ``"type": ["string"]``, or ``1`` and ``1.0``, keep different
canonical forms, because the registry hands the stored text back to clients and must not
rewrite what a team wrote. (Compatibility treats such spellings as equal, so registering
one after the other is always allowed.) Annotations (``title``, ``description``) stay in:
they are part of the contract the catalog shows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from streammesh.schemas.base import ParsedSchema


def canonical_text(document: Any) -> str:
    """``document`` as compact JSON with sorted keys."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(canonical: str, references: Mapping[str, ParsedSchema]) -> str:
    """Hex SHA-256 of ``canonical`` followed by each reference's name and canonical form,
    in name order (so the same text with other referenced schemas differs)."""
    digest = hashlib.sha256(canonical.encode())
    for name in sorted(references):
        digest.update(b"\x00" + name.encode() + b"\x00")
        digest.update(references[name].canonical.encode())
    return digest.hexdigest()
