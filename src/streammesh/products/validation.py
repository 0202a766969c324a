"""Validating data products before they are published: what ``streammesh validate`` checks.

For every descriptor found under the given paths it checks, listing every problem rather than
stopping at the first:

- the descriptor itself (``descriptor.invalid``: every problem the loader finds);
- that its schema file exists and can be read (``schema.not-found``, ``schema.unreadable``);
- that no two descriptors define the same product version (``product.duplicate``);
- every rule of the descriptor checker, :mod:`streammesh.products.checks` (the schema, the
  key, classified fields, the governance policy of the ``governance`` reviewer: ``streammesh
  validate`` always passes one, the mesh's policies when a mesh is at hand, else the built-in
  baseline or ``--policy FILE``), and with a registry, compatibility with what is published
  (``compatibility.incompatible`` per incompatibility, ``compatibility.new-subject`` /
  ``compatibility.ok`` as notes); ``compatibility.skipped`` without a registry,
  ``registry.unavailable`` when it cannot be reached. ``plan`` refuses what the same checker
  finds, with the same rule ids.

Which files are descriptors: a file named explicitly always is; inside a directory, a
``*.yaml``/``*.yml`` file is one when its top level (lines starting in column 0) has a ``name:``
key and at least two other descriptor keys (``owner``, ``team``, ``alignment``, ``kind``,
``key``, ``schema``, ``sla``). Reading the keys from the text rather than parsing YAML keeps a
descriptor with a syntax error in the check (it must fail, not be skipped), while CI workflows,
Compose files and Kubernetes manifests (no top-level ``name`` with those keys) are left alone.
Hidden directories (``.git``, ``.streammesh``, ``.venv``) and ``node_modules`` are not searched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from streammesh.errors import MeshError
from streammesh.products.checks import (
    CheckedDescriptor,
    DescriptorChecker,
    PolicyReviewer,
    compatibility_findings,
)
from streammesh.products.errors import DescriptorInvalid, SchemaFileMissing, SchemaFileUnreadable
from streammesh.products.loading import DescriptorFile, read_descriptor, read_schema
from streammesh.products.report import (
    CheckedProduct,
    Finding,
    ReportBuilder,
    Severity,
    ValidationReport,
)
from streammesh.registry import RegistryError, RemoteRegistryError, SchemaRegistry, subject_for

DESCRIPTOR_SUFFIXES = (".yaml", ".yml")
"""Extensions of descriptor files."""

_DESCRIPTOR_KEYS = frozenset({"owner", "team", "alignment", "kind", "key", "schema", "sla"})
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:", re.MULTILINE)
_SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__"})
_SNIFF_BYTES = 1 << 20


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
    validator = _Validator(builder, registry, DescriptorChecker(governance))
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


class _Validator:
    def __init__(
        self, builder: ReportBuilder, registry: SchemaRegistry | None, checker: DescriptorChecker
    ) -> None:
        self._builder = builder
        self._registry = registry
        self._checker = checker
        self._topics: dict[str, str] = {}
        self._registry_failed = False

    def check(self, path: Path) -> None:
        file = str(path)
        self._builder.descriptors.append(file)
        try:
            read = read_descriptor(path)
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
        descriptor = read.descriptor
        schema_file = str(read.schema_path)
        self._builder.products.append(
            CheckedProduct(
                descriptor.name,
                descriptor.version,
                descriptor.topic,
                subject_for(descriptor.topic),
                file,
                schema_file,
            )
        )
        self._check_duplicate(read)
        schema = self._read_schema(read)
        if schema is None:
            return
        target = CheckedDescriptor(descriptor, schema, file, schema_file, read)
        checked = self._checker.check(target)
        self._builder.add(checked.findings)
        if checked.schema is not None:
            self._builder.add(self._compatibility(target))

    def _check_duplicate(self, read: DescriptorFile) -> None:
        descriptor = read.descriptor
        file = str(read.path)
        first = self._topics.setdefault(descriptor.topic, file)
        if first != file:
            line, column = read.position(("name",))
            self._builder.add(
                [
                    Finding(
                        file,
                        "name",
                        Severity.ERROR,
                        "product.duplicate",
                        f"product '{descriptor.name}' version {descriptor.version} is also "
                        f"defined in '{first}'",
                        "keep one descriptor per product version: rename one of them, or give "
                        "it the next `version` if it is the product's next major version",
                        descriptor.name,
                        line,
                        column,
                    )
                ]
            )

    def _read_schema(self, read: DescriptorFile) -> str | None:
        name = read.descriptor.name
        try:
            return read_schema(read)
        except SchemaFileMissing as missing:
            problem = missing.problem
            finding = Finding(
                str(read.path),
                "schema",
                Severity.ERROR,
                "schema.not-found",
                problem.message,
                problem.hint,
                name,
                problem.line,
                problem.column,
            )
        except SchemaFileUnreadable as unreadable:
            finding = Finding(
                unreadable.schema_file,
                "",
                Severity.ERROR,
                "schema.unreadable",
                f"cannot be read: {unreadable.reason}",
                "save it as a UTF-8 text file",
                name,
            )
        self._builder.add([finding])
        return None

    def _compatibility(self, target: CheckedDescriptor) -> list[Finding]:
        if self._registry is None or self._registry_failed:
            why = "no registry" if self._registry is None else "the registry failed"
            return [
                target.finding(
                    "",
                    Severity.INFO,
                    "compatibility.skipped",
                    f"compatibility with what is published under '{target.subject}' not "
                    f"checked ({why})",
                )
            ]
        try:
            standing = self._checker.compatibility(target, self._registry)
        except RemoteRegistryError as exc:
            self._registry_failed = True
            return [_unavailable(target, exc)]
        except RegistryError as exc:
            return [
                target.finding(
                    "",
                    Severity.ERROR,
                    "compatibility.unchecked",
                    f"the registry could not check '{target.subject}': {exc}",
                    in_schema=True,
                )
            ]
        except MeshError as exc:  # the store behind an in-process registry
            self._registry_failed = True
            return [_unavailable(target, exc)]
        return compatibility_findings(target, standing)


def _unavailable(target: CheckedDescriptor, exc: MeshError) -> Finding:
    return Finding(
        "",
        "",
        Severity.ERROR,
        "registry.unavailable",
        f"compatibility cannot be checked: {exc}",
        "fix the registry connection, or pass --offline to skip the compatibility check",
        target.descriptor.name,
    )


__all__ = [
    "PolicyReviewer",
    "ValidationReport",
    "find_descriptors",
    "looks_like_descriptor",
    "validate_products",
]
