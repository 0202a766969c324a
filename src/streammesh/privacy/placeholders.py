"""Placeholders: the schema-valid value a protected field holds in the record.

A protected field's value is replaced, in the record the log stores, by the first of these
candidates that keeps the event valid under the product's schema (the producer checks with
the schema; without a check, the type's token is used):

==================  ==========================================
the value is        candidates, in order
==================  ==========================================
any type            ``null`` (when the field is nullable)
``str``             ``"***"``, then ``""``
``bool``            ``false``
``int``             ``0``
``float``           ``0.0``
``bytes``           ``b""``
``list``            ``[]``
mapping             ``{}``
``Decimal``         ``0``
``datetime``        1970-01-01T00:00:00Z
``date``            1970-01-01
``time``            00:00
``UUID``            00000000-0000-0000-0000-000000000000
==================  ==========================================

A field for which none is valid (an Avro enum, a string with a pattern ``***`` does not match
and that is not nullable) is refused with :class:`~streammesh.privacy.errors.NoPlaceholder`
at the first event, naming the field, rather than written in clear.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal

MASK_TEXT = "***"
"""The token a masked text field shows."""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_TOKENS: tuple[tuple[type, tuple[object, ...]], ...] = (
    (bool, (False,)),  # before int: a bool is an int too
    (int, (0,)),
    (float, (0.0,)),
    (str, (MASK_TEXT, "")),
    (bytes, (b"",)),
    (list, ([],)),
    (tuple, ((),)),
    (Decimal, (Decimal(0),)),
    (dt.datetime, (_EPOCH,)),  # before date: a datetime is a date too
    (dt.date, (_EPOCH.date(),)),
    (dt.time, (dt.time(0, 0),)),
    (uuid.UUID, (uuid.UUID(int=0),)),
)


def type_tokens(value: object) -> tuple[object, ...]:
    """The non-null placeholders of ``value``'s type, best first (empty: none known)."""
    if isinstance(value, Mapping):
        return ({},)
    for kind, tokens in _TOKENS:
        if isinstance(value, kind):
            return tokens
    return ()


def candidates(value: object) -> tuple[object, ...]:
    """Every placeholder to try for ``value``: null first, then its type's tokens."""
    return (None, *type_tokens(value))
