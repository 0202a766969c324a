"""The publish page's guided form: the required metadata of a product as form fields, turned
into the YAML descriptor a team commits (products stay code), and back.

The form never writes anything: it composes text for the descriptor box beside it, which
is what Plan, Apply and Download use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import Any

import yaml

from streammesh.products import (
    Alignment,
    Classification,
    Descriptor,
    EventKind,
    KeyType,
    QualityTier,
)

ALIGNMENTS = tuple(item.value for item in Alignment)
KINDS = tuple(item.value for item in EventKind)
KEY_TYPES = tuple(item.value for item in KeyType)
QUALITIES = tuple(item.value for item in QualityTier)
CLASSIFICATIONS = tuple(item.value for item in Classification)
SLA_TIERS = {
    "1": "1 — critical, on call 24 h",
    "2": "2 — extended hours",
    "3": "3 — business hours",
    "4": "4 — next business day",
}
_AVRO_TYPES = {"string": "string", "int": "int", "long": "long", "uuid": "string", "bytes": "bytes"}


@dataclass(frozen=True, slots=True)
class Guided:
    """The guided form's fields, as text (what the browser sends back).

    Attributes:
        classifications: One line per field: ``<field path>: <label>, <label>``.
        tags: Comma-separated.
    """

    name: str = ""
    owner_name: str = ""
    owner_email: str = ""
    team: str = ""
    description: str = ""
    tags: str = ""
    alignment: str = "source"
    kind: str = "state"
    key_field: str = ""
    key_type: str = "string"
    sla_tier: str = "3"
    quality: str = "raw"
    classifications: str = ""

    @classmethod
    def of(cls, values: dict[str, Any]) -> Guided:
        """The fields found in ``values`` (a submitted form); the others keep their
        defaults."""
        return cls(
            **{
                item.name: str(values[item.name]).strip()
                for item in fields(cls)
                if isinstance(values.get(item.name), str)
            }
        )

    @classmethod
    def from_descriptor(cls, descriptor: Descriptor) -> Guided:
        """The form filled from an existing product."""
        return cls(
            name=descriptor.name,
            owner_name=descriptor.owner.name,
            owner_email=str(descriptor.owner.email),
            team=descriptor.team,
            description=descriptor.description,
            tags=", ".join(descriptor.tags),
            alignment=descriptor.alignment.value,
            kind=descriptor.kind.value,
            key_field=descriptor.key.field,
            key_type=descriptor.key.type.value,
            sla_tier=str(int(descriptor.sla.tier)),
            quality=descriptor.quality.value,
            classifications="\n".join(
                f"{path}: {', '.join(str(label) for label in labels)}"
                for path, labels in descriptor.classifications.items()
            ),
        )


@dataclass(frozen=True, slots=True)
class FormProblem:
    """One problem of the form or of the descriptor: where, what, and how to fix it."""

    field: str
    message: str
    fix: str
    line: int | None = None


def parse_classifications(text: str) -> tuple[dict[str, list[str]], list[FormProblem]]:
    """``field: label, label`` lines as the descriptor's mapping, and a problem per line
    that is not of that form."""
    found: dict[str, list[str]] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        path, colon, labels = line.partition(":")
        chosen = [label.strip() for label in labels.split(",") if label.strip()]
        if not colon or not path.strip() or not chosen:
            problems.append(
                FormProblem(
                    "classifications",
                    f"line {number} '{line.strip()}' is not '<field>: <label>, ...'",
                    f"write one field per line, e.g. 'customer_email: pii' "
                    f"(labels: {', '.join(CLASSIFICATIONS)})",
                )
            )
            continue
        found[path.strip()] = chosen
    return found, problems


def compose(guided: Guided, *, version: int = 1) -> tuple[str, list[FormProblem]]:
    """The descriptor YAML of the form's fields (keys in the order a person reads them),
    and the problems of the form itself (a bad classification line). Whatever the form
    leaves empty is left out, so that planning names it with its fix."""
    classifications, problems = parse_classifications(guided.classifications)
    name = guided.name
    document: dict[str, Any] = {
        "name": name or None,
        "owner": {"name": guided.owner_name or None, "email": guided.owner_email or None},
        "team": guided.team or None,
        "description": guided.description or None,
        "tags": [tag.strip().lower() for tag in guided.tags.split(",") if tag.strip()] or None,
        "alignment": guided.alignment or None,
        "kind": guided.kind or None,
        "key": {"field": guided.key_field or None, "type": guided.key_type or None},
        "schema": f"{schema_stem(name)}.avsc" if name else None,
        "version": version,
        "sla": {"tier": int(guided.sla_tier) if guided.sla_tier.isdigit() else guided.sla_tier},
        "quality": guided.quality or None,
        "classifications": classifications or None,
        "status": "published",
    }
    text = yaml.safe_dump(_pruned(document), sort_keys=False, allow_unicode=True, width=2**16)
    return text, problems


def schema_template(guided: Guided) -> str:
    """An Avro value schema to start from: the key field, documented, for the team to
    complete."""
    stem = schema_stem(guided.name) or "event"
    record = "".join(part.capitalize() for part in re.split(r"[^a-zA-Z0-9]+", stem) if part)
    key = guided.key_field or "id"
    schema = {
        "type": "record",
        "name": record or "Event",
        "namespace": guided.name.partition(".")[0] or "example",
        "fields": [
            {
                "name": key,
                "type": _AVRO_TYPES.get(guided.key_type, "string"),
                "doc": f"The key of the {stem.replace('_', ' ')} event.",
            }
        ],
    }
    return json.dumps(schema, indent=2)


def schema_stem(name: str) -> str:
    """The file stem of a product's schema: the part of the name after the domain."""
    return name.partition(".")[2] or name


def download_name(descriptor_text: str) -> str:
    """``<product>.yaml`` after the descriptor's name (``descriptor.yaml`` without one)."""
    try:
        loaded = yaml.safe_load(descriptor_text)
    except yaml.YAMLError:
        loaded = None
    name = loaded.get("name") if isinstance(loaded, dict) else None
    stem = schema_stem(name) if isinstance(name, str) else ""
    return f"{stem}.yaml" if re.fullmatch(r"[a-z0-9][a-z0-9_-]*", stem) else "descriptor.yaml"


def version_in(descriptor_text: str) -> int:
    """The major version the descriptor box holds (1 when it names none), kept when the
    form writes the YAML again."""
    try:
        loaded = yaml.safe_load(descriptor_text)
    except yaml.YAMLError:
        return 1
    version = loaded.get("version") if isinstance(loaded, dict) else None
    return version if isinstance(version, int) and version >= 1 else 1


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {key: _pruned(item) for key, item in value.items()}
        kept = {key: item for key, item in kept.items() if item not in (None, {}, [])}
        return kept or None
    return value
