"""Validating data products before they are published: what ``streammesh validate`` checks.

For every descriptor found under the given paths it checks, listing every problem rather than
stopping at the first:

- the descriptor itself (``descriptor.invalid``: every problem the loader finds);
- that its schema file exists and parses in the declared format (``schema.not-found``,
  ``schema.unreadable``, ``schema.invalid``, ``schema.unresolved-reference``,
  ``schema.format-unavailable``);
- that the key field is a field of the schema (``key.missing-field``), holds one value per
  event of a type the declared key type can take (``key.type-mismatch``), and is not nullable
  (``key.nullable``: an error for ``state`` products, whose compaction needs a key on every
  event, a warning otherwise);
- that every classified field is a field of the schema (``classification.unknown-field``);
- that no two descriptors define the same product version (``product.duplicate``);
- with a policy reviewer (``streammesh validate`` always passes one: the mesh's policies when
  a mesh is at hand, else the built-in baseline or ``--policy FILE``), every governance rule
  (rule ids of :mod:`streammesh.governance`, e.g. ``fields.personal-data``);
- with a registry, the schema against what is published under the topic's value subject at
  that subject's compatibility level (``compatibility.incompatible`` per incompatibility,
  ``compatibility.new-subject`` / ``compatibility.ok`` as notes, ``compatibility.skipped``
  without a registry, ``registry.unavailable`` when it cannot be reached).

Which files are descriptors: a file named explicitly always is; inside a directory, a
``*.yaml``/``*.yml`` file is one when its top level (lines starting in column 0) has a ``name:``
key and at least two other descriptor keys (``owner``, ``team``, ``alignment``, ``kind``,
``key``, ``schema``, ``sla``). Reading the keys from the text rather than parsing YAML keeps a
descriptor with a syntax error in the check (it must fail, not be skipped), while CI workflows,
Compose files and Kubernetes manifests (no top-level ``name`` with those keys) are left alone.
Hidden directories (``.git``, ``.streammesh``, ``.venv``) and ``node_modules`` are not searched.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import yaml

from streammesh.bounded_yaml import compose_yaml
from streammesh.errors import MeshError, MissingDependency
from streammesh.products.descriptor import Descriptor, EventKind, KeyType
from streammesh.products.errors import DescriptorInvalid
from streammesh.products.loading import load_descriptor
from streammesh.products.report import (
    CheckedProduct,
    Finding,
    ReportBuilder,
    Severity,
    ValidationReport,
)
from streammesh.registry.base import SchemaRegistry, SchemaSubmission, subject_for
from streammesh.registry.errors import (
    RegistryError,
    RemoteRegistryError,
    SubjectNotFound,
)
from streammesh.schemas.errors import InvalidSchema, SchemaError, UnresolvedReference
from streammesh.schemas.formats import format_for
from streammesh.schemas.json_schema.object_root import require_object_root

if TYPE_CHECKING:
    from streammesh.governance.findings import PolicyFinding
    from streammesh.schemas.base import ParsedSchema, SchemaField


class PolicyReviewer(Protocol):
    """Governance as validation needs it (``streammesh.governance.MeshReview``)."""

    def findings(
        self, descriptor: Descriptor, fields: Sequence[SchemaField] | None
    ) -> Sequence[PolicyFinding]: ...


DESCRIPTOR_SUFFIXES = (".yaml", ".yml")
"""Extensions of descriptor files."""

_DESCRIPTOR_KEYS = frozenset({"owner", "team", "alignment", "kind", "key", "schema", "sla"})
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:", re.MULTILINE)
_SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__"})
_SNIFF_BYTES = 1 << 20

# Schema field types (as each format's ``fields()`` names them) a key type can be taken from.
_INTEGERS_32 = frozenset({"int", "int32", "sint32", "sfixed32", "uint32", "fixed32"})
_INTEGERS_64 = frozenset({"long", "int64", "sint64", "sfixed64", "uint64", "fixed64"})
_KEY_SOURCES: dict[KeyType, frozenset[str]] = {
    KeyType.STRING: frozenset({"string", "uuid"}),
    KeyType.UUID: frozenset({"uuid", "string"}),
    KeyType.INT: _INTEGERS_32 | {"integer"},
    KeyType.LONG: _INTEGERS_32 | _INTEGERS_64 | {"integer"},
    KeyType.BYTES: frozenset({"bytes", "string"}),
}
_SUGGESTED_KEY_TYPE = {
    "string": KeyType.STRING,
    "uuid": KeyType.UUID,
    "bytes": KeyType.BYTES,
    "integer": KeyType.LONG,
    **dict.fromkeys(_INTEGERS_32, KeyType.INT),
    **dict.fromkeys(_INTEGERS_64, KeyType.LONG),
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def validate_products(
    paths: Sequence[str | Path],
    registry: SchemaRegistry | None,
    *,
    registry_name: str | None = None,
    governance: PolicyReviewer | None = None,
) -> ValidationReport:
    """Check every descriptor under ``paths`` and, with ``registry``, its compatibility.

    Args:
        paths: Descriptor files and directories (searched recursively).
        registry: Where published schemas are; ``None`` skips the compatibility check.
        registry_name: How the report names the registry (its store or server URL).
        governance: Evaluates the governance policy; ``None`` skips policies.

    Returns:
        Every finding; :attr:`ValidationReport.ok` is false when any of them is an error.
        Bad input never raises: it becomes findings.

    Example:
        >>> report = validate_products(["sales/"], registry=None)
        >>> report.ok
        True
    """
    builder = ReportBuilder(registry_name if registry is not None else None)
    descriptors, problems = find_descriptors(paths)
    builder.add(problems)
    validator = _Validator(builder, registry, governance)
    for path in descriptors:
        validator.check(path)
    return builder.build()


def find_descriptors(paths: Sequence[str | Path]) -> tuple[list[Path], list[Finding]]:
    """The descriptor files under ``paths`` (see the module docstring), and path problems.

    A path that does not exist is an error (``path.not-found``), and so is finding no
    descriptor at all (``path.no-descriptors``): a CI check that checks nothing must not pass.
    """
    found: dict[Path, Path] = {}
    problems: list[Finding] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            candidates: Iterable[Path] = [path]
        elif path.is_dir():
            candidates = (file for file in _walk(path) if looks_like_descriptor(file))
        else:
            problems.append(
                Finding(
                    str(path),
                    "",
                    Severity.ERROR,
                    "path.not-found",
                    "no such file or directory",
                    "give a descriptor file or a folder holding descriptors",
                )
            )
            continue
        for candidate in candidates:
            found.setdefault(candidate.resolve(), candidate)
    if not found and not problems:
        searched = ", ".join(f"'{path}'" for path in paths)
        problems.append(
            Finding(
                "",
                "",
                Severity.ERROR,
                "path.no-descriptors",
                f"no data product descriptor found in {searched}",
                "a descriptor is a .yaml file with `name:`, `kind:`, `schema:` ... at its top "
                "level; `streammesh init DOMAIN` writes an example",
            )
        )
    return list(found.values()), problems


def looks_like_descriptor(path: Path) -> bool:
    """Whether ``path`` is a YAML file whose top-level keys are a descriptor's."""
    if path.suffix.lower() not in DESCRIPTOR_SUFFIXES:
        return False
    try:
        with path.open("rb") as file:
            text = file.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    keys = set(_TOP_LEVEL_KEY.findall(text))
    return "name" in keys and len(keys & _DESCRIPTOR_KEYS) >= 2


def _walk(directory: Path) -> Iterator[Path]:
    for root, directories, files in os.walk(directory):
        # Pruned in place, so os.walk does not descend into them.
        directories[:] = sorted(
            name
            for name in directories
            if not name.startswith(".") and name not in _SKIPPED_DIRECTORIES
        )
        for name in sorted(files):
            yield Path(root) / name


@dataclass(frozen=True, slots=True)
class _Context:
    """What the checks of one descriptor share."""

    descriptor: Descriptor
    file: str
    root: yaml.Node | None

    def finding(
        self,
        location: str,
        severity: Severity,
        rule: str,
        message: str,
        hint: str | None = None,
        *,
        at: Sequence[str] = (),
        file: str | None = None,
    ) -> Finding:
        line, column = _position(self.root, at) if file is None else (None, None)
        return Finding(
            file if file is not None else self.file,
            location,
            severity,
            rule,
            message,
            hint,
            self.descriptor.name,
            line,
            column,
        )


class _Validator:
    def __init__(
        self,
        builder: ReportBuilder,
        registry: SchemaRegistry | None,
        governance: PolicyReviewer | None = None,
    ) -> None:
        self._builder = builder
        self._registry = registry
        self._governance = governance
        self._topics: dict[str, str] = {}
        self._registry_failed = False

    def check(self, path: Path) -> None:
        file = str(path)
        self._builder.descriptors.append(file)
        try:
            descriptor = load_descriptor(path, check_files=False)
        except DescriptorInvalid as invalid:
            self._builder.add(
                Finding(
                    file,
                    problem.path,
                    Severity.ERROR,
                    "descriptor.invalid",
                    problem.message,
                    problem.hint,
                    None,
                    problem.line,
                    problem.column,
                )
                for problem in invalid.problems
            )
            return
        context = _Context(descriptor, file, _compose(path))
        schema_file = path.parent / descriptor.schema_ref.path
        self._builder.products.append(
            CheckedProduct(
                descriptor.name,
                descriptor.version,
                descriptor.topic,
                subject_for(descriptor.topic),
                file,
                str(schema_file),
            )
        )
        self._check_duplicate(context)
        loaded = self._load_schema(context, schema_file)
        if loaded is None:
            return
        text, parsed = loaded
        fields = {field.path: field for field in parsed.fields()}
        self._builder.add(_key_findings(context, fields))
        self._builder.add(_classification_findings(context, fields))
        # --- governance: policy findings (rule ids of streammesh.governance) ---
        if self._governance is not None:
            self._builder.add(
                _policy_finding(context, finding)
                for finding in self._governance.findings(descriptor, list(fields.values()))
            )
        # --- end governance ---
        self._builder.add(self._compatibility(context, str(schema_file), text))

    def _check_duplicate(self, context: _Context) -> None:
        topic = context.descriptor.topic
        first = self._topics.setdefault(topic, context.file)
        if first != context.file:
            self._builder.add(
                [
                    context.finding(
                        "name",
                        Severity.ERROR,
                        "product.duplicate",
                        f"product '{context.descriptor.name}' version "
                        f"{context.descriptor.version} is also defined in '{first}'",
                        "keep one descriptor per product version: rename one of them, or give "
                        "it the next `version` if it is the product's next major version",
                        at=("name",),
                    )
                ]
            )

    def _load_schema(self, context: _Context, schema_file: Path) -> tuple[str, ParsedSchema] | None:
        schema_ref = context.descriptor.schema_ref
        schema_type = schema_ref.format.schema_type
        shown = str(schema_file)
        try:
            text = schema_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            self._builder.add(
                [
                    context.finding(
                        "schema",
                        Severity.ERROR,
                        "schema.not-found",
                        f"schema file '{shown}' does not exist",
                        "give the schema's path relative to the descriptor's folder",
                        at=("schema",),
                    )
                ]
            )
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self._builder.add(
                [
                    context.finding(
                        "",
                        Severity.ERROR,
                        "schema.unreadable",
                        f"cannot be read: {exc}",
                        "save it as a UTF-8 text file",
                        file=shown,
                    )
                ]
            )
            return None
        try:
            parsed = format_for(schema_type).parse(text)
            require_object_root(parsed)
        except MissingDependency as exc:
            finding = context.finding(
                "schema.format", Severity.ERROR, "schema.format-unavailable", str(exc)
            )
        except InvalidSchema as exc:
            finding = context.finding(
                exc.location,
                Severity.ERROR,
                "schema.invalid",
                f"invalid {schema_ref.format.value} schema: {exc.reason}",
                file=shown,
            )
        except UnresolvedReference as exc:
            finding = context.finding(
                "",
                Severity.ERROR,
                "schema.unresolved-reference",
                f"imports '{exc.name}', which a product schema cannot do",
                "define the imported types in the product's own schema file",
                file=shown,
            )
        except SchemaError as exc:
            finding = context.finding("", Severity.ERROR, "schema.invalid", str(exc), file=shown)
        else:
            return text, parsed
        self._builder.add([finding])
        return None

    def _compatibility(self, context: _Context, schema_file: str, text: str) -> list[Finding]:
        descriptor = context.descriptor
        subject = subject_for(descriptor.topic)
        if self._registry is None or self._registry_failed:
            why = "no registry" if self._registry is None else "the registry failed"
            return [
                context.finding(
                    "",
                    Severity.INFO,
                    "compatibility.skipped",
                    f"compatibility with what is published under '{subject}' not checked ({why})",
                )
            ]
        submission = SchemaSubmission(text, descriptor.schema_ref.format.schema_type)
        try:
            try:
                versions = self._registry.versions(subject)
            except SubjectNotFound:
                return [
                    context.finding(
                        "",
                        Severity.INFO,
                        "compatibility.new-subject",
                        f"new product, nothing published yet under '{subject}'",
                    )
                ]
            level = self._registry.compatibility(subject)
            outcome = self._registry.check_compatibility(subject, submission)
        except RemoteRegistryError as exc:
            self._registry_failed = True
            return [self._unavailable(context, exc)]
        except RegistryError as exc:
            return [
                context.finding(
                    "",
                    Severity.ERROR,
                    "compatibility.unchecked",
                    f"the registry could not check '{subject}': {exc}",
                    file=schema_file,
                )
            ]
        except MeshError as exc:  # the store behind an in-process registry
            self._registry_failed = True
            return [self._unavailable(context, exc)]
        published = ", ".join(str(number) for number in versions)
        if outcome.compatible:
            return [
                context.finding(
                    "",
                    Severity.INFO,
                    "compatibility.ok",
                    f"compatible with '{subject}' (published versions {published}) under "
                    f"{level.value}",
                )
            ]
        following = descriptor.version + 1
        hint = (
            f"keep the change compatible under {level.value} (e.g. give new fields a default, "
            f"do not remove or retype fields), or publish it as the next major version: set "
            f"`version: {following}` in '{context.file}' (topic "
            f"{descriptor.name}.v{following}, side by side with v{descriptor.version})"
        )
        return [
            context.finding(
                problem.path,
                Severity.ERROR,
                "compatibility.incompatible",
                f"incompatible with '{subject}' (published versions {published}) under "
                f"{level.value}: {problem.reason} ({problem.rule})",
                hint,
                file=schema_file,
            )
            for problem in outcome.incompatibilities
        ]

    def _unavailable(self, context: _Context, exc: MeshError) -> Finding:
        return Finding(
            "",
            "",
            Severity.ERROR,
            "registry.unavailable",
            f"compatibility cannot be checked: {exc}",
            "fix the registry connection, or pass --offline to skip the compatibility check",
            context.descriptor.name,
        )


def _key_findings(context: _Context, fields: dict[str, SchemaField]) -> Iterator[Finding]:
    key = context.descriptor.key
    at = ("key", "field")
    found = fields.get(key.field)
    if found is None:
        yield context.finding(
            "key.field",
            Severity.ERROR,
            "key.missing-field",
            f"key field '{key.field}' is not a field of the schema",
            _field_hint(key.field, fields),
            at=at,
        )
        return
    if "[]" in key.field or "{}" in key.field:
        yield context.finding(
            "key.field",
            Severity.ERROR,
            "key.type-mismatch",
            f"key field '{key.field}' is inside an array or map, so an event has many of it",
            "key on a field with one value per event",
            at=at,
        )
        return
    branches = found.type.split("|")
    nullable = "null" in branches
    types = [branch for branch in branches if branch != "null"]
    if nullable:
        state = context.descriptor.kind is EventKind.STATE
        yield context.finding(
            "key.field",
            Severity.ERROR if state else Severity.WARNING,
            "key.nullable",
            f"key field '{key.field}' may be null"
            + (
                ", but a state product needs a key on every event (compaction keeps the "
                "latest event per key)"
                if state
                else "; events without a key go to any partition, losing their order"
            ),
            "make the field required (not a union with null)",
            at=at,
        )
    if len(types) == 1 and types[0] in _KEY_SOURCES[key.type]:
        return
    shown = "|".join(types) or found.type
    suggested = _SUGGESTED_KEY_TYPE.get(types[0]) if len(types) == 1 else None
    hint = (
        f"declare `type: {suggested.value}` under `key`"
        if suggested is not None
        else "key on a field of a scalar type (string, integer, bytes)"
    )
    yield context.finding(
        "key.type",
        Severity.ERROR,
        "key.type-mismatch",
        f"key field '{key.field}' is {shown} in the schema, which is not a {key.type.value} key",
        hint,
        at=("key", "type"),
    )


def _classification_findings(
    context: _Context, fields: dict[str, SchemaField]
) -> Iterator[Finding]:
    for path in context.descriptor.classifications:
        if path in fields:
            continue
        location = (
            f"classifications.{path}"
            if _IDENTIFIER.fullmatch(path)
            else f'classifications["{path}"]'
        )
        yield context.finding(
            location,
            Severity.ERROR,
            "classification.unknown-field",
            f"'{path}' is not a field of the schema",
            _field_hint(path, fields),
            at=("classifications", path),
        )


def _policy_finding(context: _Context, finding: PolicyFinding) -> Finding:
    return context.finding(
        finding.field,
        Severity.ERROR if finding.is_error else Severity.WARNING,
        finding.rule,
        finding.message,
        finding.hint,
        at=tuple(finding.field.split(".")) if finding.field else (),
    )


def _field_hint(path: str, fields: dict[str, SchemaField]) -> str:
    if not fields:
        return "the schema has no fields: its root must be a record, object or message"
    close = difflib.get_close_matches(path, list(fields), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    listed = list(fields)
    more = f" (and {len(listed) - 12} more)" if len(listed) > 12 else ""
    return f"fields of the schema: {', '.join(listed[:12])}{more}"


def _compose(path: Path) -> yaml.Node | None:
    # The descriptor loaded, so it is readable YAML; positions are a nicety, never a failure.
    try:
        return compose_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _position(root: yaml.Node | None, keys: Sequence[str]) -> tuple[int | None, int | None]:
    """1-based line and column of the deepest of ``keys`` found in the mapping ``root``."""
    node = root
    mark: yaml.Mark | None = None
    for wanted in keys:
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == wanted:
                mark, node = key.start_mark, value
                break
        else:
            break
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


__all__ = [
    "PolicyReviewer",
    "ValidationReport",
    "find_descriptors",
    "looks_like_descriptor",
    "validate_products",
]
