"""The compliance report: every published product against the mesh's policies, summed up
per domain and per rule (``streammesh governance report``, ``GET /api/v1/governance/report``).

With the event log at hand, the report also flags products whose stream holds events written
in clear under a label that is protected now (rule ``fields.protected``, see
:mod:`streammesh.governance.report_exposure`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from streammesh.governance.findings import RuleId
from streammesh.governance.policy import Policy
from streammesh.governance.protection import fields_to_encrypt
from streammesh.governance.report_exposure import SCAN_PER_PARTITION, scan_for_clear_fields
from streammesh.governance.review import MeshReview
from streammesh.log import EventLog
from streammesh.products import Descriptor, FindingSeverity, PolicyFinding, Status
from streammesh.registry import SchemaRegistry
from streammesh.schemas import format_for
from streammesh.store import MetadataStore

if TYPE_CHECKING:
    from streammesh.control import ControlPlane, ProductRecord


@dataclass(frozen=True, slots=True)
class ProductCompliance:
    """One published product version and what the policy found about it."""

    product: str
    domain: str
    findings: tuple[PolicyFinding, ...]

    @property
    def compliant(self) -> bool:
        """No error (warnings allowed)."""
        return not any(finding.is_error for finding in self.findings)

    def count(self, severity: FindingSeverity) -> int:
        return sum(1 for finding in self.findings if finding.severity is severity)


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    """Every published product's compliance."""

    generated_at: datetime
    products: tuple[ProductCompliance, ...]

    def document(self) -> dict[str, Any]:
        """The JSON shape: products, then summaries per domain (with its rules) and per rule."""
        domains: dict[str, list[ProductCompliance]] = defaultdict(list)
        for item in self.products:
            domains[item.domain].append(item)
        return {
            "generated_at": self.generated_at.isoformat(),
            "summary": _summary(list(self.products)),
            "domains": [
                {"domain": domain, **_summary(items), "rules": _rules(items)}
                for domain, items in sorted(domains.items())
            ],
            "rules": _rules(list(self.products)),
            "products": [
                {
                    "product": item.product,
                    "domain": item.domain,
                    "compliant": item.compliant,
                    "errors": item.count(FindingSeverity.ERROR),
                    "warnings": item.count(FindingSeverity.WARNING),
                    "findings": [finding.document() for finding in item.findings],
                }
                for item in self.products
            ],
        }


def _summary(items: list[ProductCompliance]) -> dict[str, int]:
    return {
        "products": len(items),
        "compliant": sum(1 for item in items if item.compliant),
        "errors": sum(item.count(FindingSeverity.ERROR) for item in items),
        "warnings": sum(item.count(FindingSeverity.WARNING) for item in items),
    }


def _rules(items: list[ProductCompliance]) -> list[dict[str, Any]]:
    by_rule: dict[str, dict[str, Any]] = {}
    for item in items:
        for finding in item.findings:
            entry = by_rule.setdefault(
                finding.rule, {"rule": finding.rule, "errors": 0, "warnings": 0, "products": []}
            )
            entry["errors" if finding.is_error else "warnings"] += 1
            if item.product not in entry["products"]:
                entry["products"].append(item.product)
    return [by_rule[rule] for rule in sorted(by_rule)]


def compliance_report(
    store: MetadataStore,
    plane: ControlPlane,
    registry: SchemaRegistry,
    *,
    now: datetime,
    log: EventLog | None = None,
) -> ComplianceReport:
    """Evaluate every published product version of the mesh against its domain's policy.

    With ``log``, each product's stream is also scanned for protected fields held in clear
    (the oldest and newest events of each partition); without it, that check is skipped.
    """
    with store.read() as connection:
        review = MeshReview.load(connection, registry)
    products = []
    for record in plane.products(statuses=frozenset({Status.PUBLISHED})):
        stored = registry.schema(record.schema_id)
        fields = tuple(format_for(stored.schema_type).parse(stored.schema).fields())
        findings = review.findings(record.descriptor, fields)
        if log is not None:
            policy, _ = review.policies.for_domain(record.descriptor.domain)
            findings += _clear_fields(log, registry, record, policy)
        products.append(
            ProductCompliance(record.reference, record.descriptor.domain, tuple(findings))
        )
    return ComplianceReport(now, tuple(products))


def _clear_fields(
    log: EventLog, registry: SchemaRegistry, record: ProductRecord, policy: Policy
) -> list[PolicyFinding]:
    """A ``fields.protected`` finding per protected field that scanned events hold in clear."""
    settings = policy.rules.protected_fields
    protected = fields_to_encrypt(record.descriptor, policy)
    if not settings.enabled or not protected:
        return []
    exposure = scan_for_clear_fields(log, registry, record.topic, protected)
    return [
        PolicyFinding(
            RuleId.PROTECTED_FIELDS,
            settings.severity,
            record.reference,
            path,
            f"'{path}' (classified {_labels(record.descriptor, path)}) is held in clear in "
            f"{count} of the {exposure.scanned} events scanned (the oldest and newest "
            f"{SCAN_PER_PARTITION} of each partition): they were written before the label "
            "was protected",
            "anyone reading the log sees these values; publish the data again under a new "
            "major version and retire this one, or shorten the retention so the events age out",
        )
        for path, count in exposure.fields.items()
    ]


def _labels(descriptor: Descriptor, path: str) -> str:
    return ", ".join(sorted(label.value for label in descriptor.classifications.get(path, ())))
