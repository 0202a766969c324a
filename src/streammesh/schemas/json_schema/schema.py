"""``JsonSchema``: a parsed, checked JSON Schema, ready to validate events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
from jsonschema.protocols import Validator
from referencing import Registry

from streammesh.schemas.base import ParsedSchema, SchemaField, SchemaType
from streammesh.schemas.json_schema.dialects import Dialect
from streammesh.schemas.json_schema.fields import list_fields
from streammesh.schemas.json_schema.nodes import Node


@dataclass(frozen=True, slots=True)
class JsonSchema:
    """A JSON Schema parsed by :class:`~streammesh.schemas.json_schema.JsonSchemaFormat`.

    ``document`` is the decoded text (declaration order kept, for ``fields()``); treat it
    as read-only. ``validator`` works on the key-sorted canonical form, so the first error
    it reports does not depend on the text's key order; ``compiled`` (jsonschema-rs) is
    asked first and ``validator`` only explains what it refuses.
    Equality and hashing go by text and fingerprint.
    """

    text: str
    canonical: str
    fingerprint: str
    name: str
    dialect: Dialect
    references: Mapping[str, ParsedSchema] = field(compare=False)
    document: Any = field(compare=False, repr=False)
    registry: Registry[Any] = field(compare=False, repr=False)
    base_uri: str = field(compare=False, repr=False)
    validator: Validator = field(compare=False, repr=False)
    compiled: jsonschema_rs.Validator | None = field(default=None, compare=False, repr=False)
    """The same schema compiled by jsonschema-rs: accepts valid events fast; ``validator``
    explains the refusals (see :mod:`~streammesh.schemas.json_schema.compiled`)."""

    @property
    def schema_type(self) -> SchemaType:
        """Always :attr:`SchemaType.JSON`."""
        return SchemaType.JSON

    def fields(self) -> tuple[SchemaField, ...]:
        """Every property reachable from the root object, depth first, in declaration order.

        Nested objects give dotted paths (``trade.price``), array items ``[]``
        (``legs[].price``), map values (``additionalProperties`` schemas) ``{}``.
        """
        return list_fields(Node.root(self))
