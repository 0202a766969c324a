"""What ``streammesh validate`` found: findings (file, location, severity, rule, fix) and totals.

A report is data, not text: the CLI renders it for a terminal or as JSON, and other callers
(``plan``, the server) can read the same findings. Rule ids are stable strings
(``key.missing-field``), so CI scripts and documentation can refer to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding matters: only errors fail validation."""

    ERROR = "error"
    """The product cannot be published as it is."""
    WARNING = "warning"
    """Allowed, but probably not what the owner wants."""
    INFO = "info"
    """Context: what was checked and how."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing validation found.

    Attributes:
        file: The file to edit: the descriptor, or the schema file for schema problems;
            empty when the finding is about the command's arguments.
        location: Where in that file: a descriptor field path (``key.field``), a schema
            location (``/fields/price/type``), or empty for the whole file.
        severity: Whether it fails validation.
        rule: Stable identifier of the rule, e.g. ``classification.unknown-field``.
        message: What is wrong, in words.
        hint: How to fix it, when there is something to say.
        product: The product's name, when the descriptor got far enough to have one.
        line: 1-based line in ``file``, when known.
        column: 1-based column in ``file``, when known.
    """

    file: str
    location: str
    severity: Severity
    rule: str
    message: str
    hint: str | None = None
    product: str | None = None
    line: int | None = None
    column: int | None = None

    def document(self) -> dict[str, Any]:
        """The finding as JSON-ready data; every key is always present."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "location": self.location,
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
            "product": self.product,
        }


@dataclass(frozen=True, slots=True)
class CheckedProduct:
    """A descriptor that loaded: which product it defines and where its schema goes."""

    name: str
    version: int
    topic: str
    subject: str
    descriptor: str
    schema: str

    def document(self) -> dict[str, Any]:
        """The product as JSON-ready data."""
        return {
            "name": self.name,
            "version": self.version,
            "topic": self.topic,
            "subject": self.subject,
            "descriptor": self.descriptor,
            "schema": self.schema,
        }


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Everything one validation run found.

    Attributes:
        descriptors: Every descriptor file checked, in the order checked.
        products: The descriptors that loaded, as products.
        findings: Every finding, grouped by descriptor in the order checked.
        registry: Where compatibility was checked (a store or server URL), or ``None``
            when it was not.
    """

    descriptors: tuple[str, ...] = ()
    products: tuple[CheckedProduct, ...] = ()
    findings: tuple[Finding, ...] = ()
    registry: str | None = None

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity``."""
        return sum(1 for finding in self.findings if finding.severity is severity)

    @property
    def ok(self) -> bool:
        """Whether nothing fails validation (warnings and notes are allowed)."""
        return self.count(Severity.ERROR) == 0

    def by_file(self) -> dict[str, list[Finding]]:
        """Findings by the file they are about, files in first-seen order."""
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.file, []).append(finding)
        return grouped

    def document(self) -> dict[str, Any]:
        """The whole report as JSON-ready data, with stable keys."""
        return {
            "ok": self.ok,
            "summary": {
                "descriptors": len(self.descriptors),
                "products": len(self.products),
                "errors": self.count(Severity.ERROR),
                "warnings": self.count(Severity.WARNING),
                "infos": self.count(Severity.INFO),
            },
            "registry": self.registry,
            "descriptors": list(self.descriptors),
            "products": [product.document() for product in self.products],
            "findings": [finding.document() for finding in self.findings],
        }


@dataclass(slots=True)
class ReportBuilder:
    """Collects a report while validation runs."""

    registry: str | None = None
    descriptors: list[str] = field(default_factory=list)
    products: list[CheckedProduct] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def add(self, findings: Iterable[Finding]) -> None:
        """Record ``findings``."""
        self.findings.extend(findings)

    def build(self) -> ValidationReport:
        """The finished, immutable report."""
        return ValidationReport(
            tuple(self.descriptors), tuple(self.products), tuple(self.findings), self.registry
        )
