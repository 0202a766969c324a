"""How large and how deeply nested a schema text may be, checked before any parser sees it.

Every parser behind the schema formats (``json.loads``, fastavro, ``jsonschema``, the ANTLR
protobuf parser) and every walker of ours recurses once per level of nesting, so a schema
nested a few thousand levels deep would end in a ``RecursionError`` instead of an answer.
:func:`check_schema_text` scans the text once, without recursing, and refuses such a schema
with the line and column where it gets too deep.

The depth counted is that of the text's brackets: ``{``/``[`` for JSON (Avro, JSON Schema),
``{`` for ``.proto`` (messages, enums, oneofs, option blocks), strings and comments aside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from streammesh.schemas.errors import InvalidSchema

__all__ = ["SCHEMA_LIMITS", "SchemaLimits", "check_schema_text"]


@dataclass(frozen=True, slots=True)
class SchemaLimits:
    """Bounds on one schema text.

    Attributes:
        max_bytes: Size of the text in UTF-8 bytes (Confluent's registry stores a schema in
            one Kafka record, 1 MiB by default).
        max_depth: Levels of brackets. A record nested in an Avro record takes three
            (``{"fields": [{"type": ...``), so 100 leaves room for ~33 nested records; the
            JSON Schema metaschema check and the protobuf parser run out of stack near 200.
    """

    max_bytes: int = 1024 * 1024
    max_depth: int = 100


SCHEMA_LIMITS = SchemaLimits()

# A JSON string (escapes included) or one bracket.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
# A .proto string, a comment, or one brace.
_PROTO_TOKENS = re.compile(
    r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"|\'[^\'\\\n]*(?:\\.[^\'\\\n]*)*\'|//[^\n]*|/\*.*?\*/|[{}]',
    re.DOTALL,
)


def check_schema_text(
    text: str, schema_type: str, *, proto: bool = False, limits: SchemaLimits = SCHEMA_LIMITS
) -> None:
    """Refuse ``text`` if it is larger or nested deeper than ``limits``.

    Args:
        text: The schema as written.
        schema_type: The format's name, for the error (``AVRO``, ``JSON``, ``PROTOBUF``).
        proto: Count ``.proto`` braces instead of JSON brackets.
        limits: The bounds.

    Raises:
        InvalidSchema: Too large, or too deep (located by line and column).
    """
    if len(text) * 4 > limits.max_bytes:  # only a text near the limit needs encoding
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > limits.max_bytes:
            raise InvalidSchema(
                schema_type,
                "",
                f"the schema is {size} bytes, more than the {limits.max_bytes} allowed",
            )
    depth = 0
    for token in (_PROTO_TOKENS if proto else _JSON_TOKENS).finditer(text):
        bracket = token.group()
        if bracket in ("{", "["):
            depth += 1
            if depth > limits.max_depth:
                line = text.count("\n", 0, token.start()) + 1
                column = token.start() - text.rfind("\n", 0, token.start())
                raise InvalidSchema(
                    schema_type,
                    f"line {line}, column {column}",
                    f"the schema is nested deeper than {limits.max_depth} levels",
                )
        elif bracket in ("}", "]"):
            depth -= 1
