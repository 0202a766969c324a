"""What ``streammesh init`` writes: a domain folder with an example descriptor and its schema.

The example is a working product (it loads cleanly and its schema parses), with comments that
say what each field means, so a team edits it rather than writing one from a blank page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from streammesh.products.descriptor import SCHEMA_EXTENSIONS, SchemaFormatName
from streammesh.products.errors import InvalidName, ScaffoldConflict
from streammesh.products.names import check_segment

DEFAULT_PRODUCT = "orders"
"""The product ``init`` creates when none is named."""


@dataclass(frozen=True, slots=True)
class Scaffold:
    """The files of a new product: the descriptor and its value schema."""

    descriptor: Path
    schema: Path

    @property
    def files(self) -> tuple[Path, Path]:
        """Both files, descriptor first."""
        return self.descriptor, self.schema


def plan_scaffold(
    directory: Path, domain: str, product: str, schema_format: SchemaFormatName
) -> Scaffold:
    """Where :func:`write_scaffold` would write; checks the names.

    Raises:
        InvalidName: ``domain`` or ``product`` breaks the naming rules.
    """
    for kind, name in (("domain", domain), ("product", product)):
        problem = check_segment(kind, name)
        if problem is not None:
            raise InvalidName(kind, name, problem.split("; ", 1)[-1])
    folder = directory / domain
    extension = next(ext for ext, fmt in SCHEMA_EXTENSIONS.items() if fmt is schema_format)
    return Scaffold(folder / f"{product}.yaml", folder / f"{product}{extension}")


def write_scaffold(
    directory: Path, domain: str, product: str, schema_format: SchemaFormatName
) -> Scaffold:
    """Write the example descriptor and schema of ``domain.product`` under ``directory/domain``.

    Raises:
        InvalidName: ``domain`` or ``product`` breaks the naming rules.
        ScaffoldConflict: One of the files exists already; nothing was written.
    """
    scaffold = plan_scaffold(directory, domain, product, schema_format)
    existing = [path for path in scaffold.files if path.exists()]
    if existing:
        raise ScaffoldConflict(existing)
    schema_text = _schema_text(domain, product, schema_format)
    descriptor_text = _descriptor_text(domain, product, scaffold.schema.name)
    scaffold.descriptor.parent.mkdir(parents=True, exist_ok=True)
    # "x": never overwrite, even if a file appeared since the check above.
    with scaffold.schema.open("x", encoding="utf-8") as out:
        out.write(schema_text)
    with scaffold.descriptor.open("x", encoding="utf-8") as out:
        out.write(descriptor_text)
    return scaffold


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


def _field_name(name: str) -> str:
    return name.replace("-", "_")


_COMMENT_COLUMN = 36
_TRAILING_COMMENT = re.compile(r"^(\s*[^#\s].*?)\s+(# .*)$")


def _align_comments(text: str) -> str:
    lines = []
    for line in text.splitlines():
        match = _TRAILING_COMMENT.match(line)
        if match:
            line = f"{match.group(1).ljust(_COMMENT_COLUMN - 1)} {match.group(2)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _descriptor_text(domain: str, product: str, schema_file: str) -> str:
    key = f"{_field_name(product)}_id"
    return _align_comments(f"""\
# Data product descriptor: the contract of {domain}.{product}.
# Reference: docs/descriptor.md. Check it with `streammesh validate`.
name: {domain}.{product}            # <domain>.<product>; the topic is {domain}.{product}.v1
owner:                              # the person accountable for this product
  name: Ada Lovelace
  email: ada@example.com
team: {domain}-team                    # the owning team
description: >-
  Every change to a {product.replace("_", " ")} in the {domain} domain, as the current state
  of the {product.replace("_", " ")} after the change. Replace this text with what consumers
  need to know.
tags: [example]
alignment: source                   # source | aggregate | consumer
kind: state                         # state | delta | measurement | notification
key:
  field: {key}                      # the event field that keys (and partitions) the stream
  type: string                      # string | int | long | uuid | bytes
schema: {schema_file}               # relative to this file; format from the extension
version: 1                          # major version; a breaking change is version 2
partitions: s                       # xs=1 s=4 m=8 l=16 xl=32 xxl=64 jumbo=256
retention: compacted                # recent:<duration> | compacted | full-history
sla:
  tier: 3                           # 1: critical, 24h on-call ... 4: next business day
  freshness: 15m                    # longest delay from fact to event
  support_hours: business-hours     # 24x7 | extended-hours | business-hours | best-effort
  contact: ada@example.com
quality: raw                        # raw | curated | authoritative
classifications:                    # field path -> pii | financial | confidential | ...
  customer_email: [pii]
regions: []                         # where the data may be stored; empty: anywhere
status: draft                       # draft | published | deprecated | retired
""")


def _schema_text(domain: str, product: str, schema_format: SchemaFormatName) -> str:
    key = f"{_field_name(product)}_id"
    record = _pascal(product)
    if schema_format is SchemaFormatName.AVRO:
        avro = {
            "type": "record",
            "name": record,
            "namespace": f"{_field_name(domain)}.v1",
            "doc": f"The current state of a {product} after a change.",
            "fields": [
                {"name": key, "type": "string", "doc": "Identifier; the key of the stream."},
                {"name": "customer_email", "type": "string", "doc": "Who to contact (PII)."},
                {"name": "status", "type": "string", "doc": "Where it is in its life."},
                {
                    "name": "updated_at",
                    "type": {"type": "long", "logicalType": "timestamp-millis"},
                    "doc": "When the change happened, UTC.",
                },
            ],
        }
        return json.dumps(avro, indent=2) + "\n"
    if schema_format is SchemaFormatName.JSON:
        document = {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": record,
            "description": f"The current state of a {product} after a change.",
            "type": "object",
            "properties": {
                key: {"type": "string", "description": "Identifier; the key of the stream."},
                "customer_email": {"type": "string", "description": "Who to contact (PII)."},
                "status": {"type": "string", "description": "Where it is in its life."},
                "updated_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When the change happened, UTC.",
                },
            },
            "required": [key, "customer_email", "status", "updated_at"],
            "additionalProperties": False,
        }
        return json.dumps(document, indent=2) + "\n"
    return f"""\
syntax = "proto3";

package {_field_name(domain)}.v1;

// The current state of a {product} after a change.
message {record} {{
  // Identifier; the key of the stream.
  string {key} = 1;
  // Who to contact (PII).
  string customer_email = 2;
  // Where it is in its life.
  string status = 3;
  // When the change happened, UTC, in milliseconds since the epoch.
  int64 updated_at = 4;
}}
"""
