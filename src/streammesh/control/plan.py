"""The plan: what ``apply`` would change for each product, and what stops it.

A plan is data: it is computed by :mod:`streammesh.control.planner` from the product sources
and the mesh's current state, printed by ``streammesh plan``, returned by ``POST /api/v1/plan``,
and recomputed by ``apply`` (a plan made earlier may be stale, so it is never executed as is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from streammesh.products import Status

if TYPE_CHECKING:
    from streammesh.control.records import ProductRecord
    from streammesh.control.sources import ProductSource
    from streammesh.log import TopicSpec
    from streammesh.schemas import ParsedSchema


class Resource(StrEnum):
    """What a change is made to."""

    DOMAIN = "domain"
    TEAM = "team"
    TOPIC = "topic"
    SCHEMA = "schema"
    CATALOG = "catalog"
    STATUS = "status"
    REPLACEMENT = "replacement"


class Action(StrEnum):
    """What happens to it."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NONE = "none"


class Severity(StrEnum):
    """Errors block ``apply``; warnings are shown and let it go ahead."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Change:
    """One change to one resource, e.g. ``topic create execution.stocktrades.v1``.

    Attributes:
        resource: What is changed.
        action: How (``none`` lines are kept so a plan shows the whole picture).
        target: Its name (topic, subject, product reference, domain, team).
        summary: What it becomes, for people (``4 partitions, compacted``).
    """

    resource: Resource
    action: Action
    target: str
    summary: str

    def document(self) -> dict[str, str]:
        return {
            "resource": self.resource.value,
            "action": self.action.value,
            "target": self.target,
            "summary": self.summary,
        }


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """Something wrong with a product's plan.

    Attributes:
        product: The product reference (or the source's origin when it has none).
        origin: Where the product came from (descriptor path, ``request``).
        severity: Whether it blocks ``apply``.
        rule: A stable identifier, e.g. ``schema.incompatible``.
        message: What is wrong.
        hint: What to do about it.
        details: Itemised specifics, e.g. one line per schema incompatibility.
    """

    product: str
    origin: str
    severity: Severity
    rule: str
    message: str
    hint: str = ""
    details: tuple[str, ...] = ()

    def render(self) -> str:
        """One line: ``product: message (rule)``."""
        return f"{self.product}: {self.message} ({self.rule})"

    def document(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "origin": self.origin,
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
            "details": list(self.details),
        }


@dataclass(frozen=True, slots=True)
class Target:
    """What ``apply`` needs to carry out a product's plan (not part of the printed plan)."""

    topic_spec: TopicSpec
    schema: ParsedSchema
    schema_id: int | None
    """The registered id when the schema is registered already; ``None`` when it is new."""
    schema_version: int | None
    status: Status
    """The status the product ends in."""
    transitions: tuple[Status, ...]
    """The lifecycle steps from the stored status to :attr:`status`, in order."""
    replaces: ProductRecord | None
    """The lower major version this one is linked to as its replacement."""


@dataclass(frozen=True, slots=True)
class ProductPlan:
    """The plan of one product version."""

    source: ProductSource
    stored: ProductRecord | None
    changes: tuple[Change, ...]
    problems: tuple[PlanProblem, ...]
    target: Target | None
    """``None`` when errors make the product unplannable."""

    @property
    def reference(self) -> str:
        return self.source.reference

    @property
    def has_changes(self) -> bool:
        return any(change.action is not Action.NONE for change in self.changes)

    @property
    def errors(self) -> tuple[PlanProblem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    def changed(self, resource: Resource) -> Change | None:
        """The change to ``resource`` if it is one (not ``none``)."""
        for change in self.changes:
            if change.resource is resource and change.action is not Action.NONE:
                return change
        return None

    def document(self) -> dict[str, Any]:
        return {
            "product": self.reference,
            "origin": self.source.origin,
            "changes": [change.document() for change in self.changes],
            "problems": [problem.document() for problem in self.problems],
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """The plan of every product given to ``plan``/``apply``."""

    products: tuple[ProductPlan, ...]
    problems: tuple[PlanProblem, ...] = field(default=())
    """Problems that concern several products (e.g. the same version given twice)."""

    @property
    def all_problems(self) -> tuple[PlanProblem, ...]:
        return self.problems + tuple(p for plan in self.products for p in plan.problems)

    @property
    def errors(self) -> tuple[PlanProblem, ...]:
        return tuple(p for p in self.all_problems if p.severity is Severity.ERROR)

    @property
    def has_changes(self) -> bool:
        return any(plan.has_changes for plan in self.products)

    def document(self) -> dict[str, Any]:
        """The plan's JSON shape (the same as :meth:`PlanSummary.document`)."""
        return PlanSummary.of(self).document()


@dataclass(frozen=True, slots=True)
class ProductPlanSummary:
    """A product's plan as clients see it (no sources or schemas inside)."""

    product: str
    origin: str
    changes: tuple[Change, ...]
    problems: tuple[PlanProblem, ...]

    @property
    def has_changes(self) -> bool:
        return any(change.action is not Action.NONE for change in self.changes)


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """A plan as ``plan``/``apply`` report it to the SDK, the CLI and the REST API.

    Built from a :class:`Plan` in-process (:meth:`of`) or from the REST API's JSON
    (:meth:`from_document`), so local and remote callers get the same value.
    """

    products: tuple[ProductPlanSummary, ...]
    problems: tuple[PlanProblem, ...]
    applied: tuple[str, ...] = ()
    """The product versions ``apply`` changed (empty for ``plan``)."""

    @property
    def all_problems(self) -> tuple[PlanProblem, ...]:
        return self.problems + tuple(p for plan in self.products for p in plan.problems)

    @property
    def errors(self) -> tuple[PlanProblem, ...]:
        return tuple(p for p in self.all_problems if p.severity is Severity.ERROR)

    @property
    def has_changes(self) -> bool:
        return any(plan.has_changes for plan in self.products)

    @classmethod
    def of(cls, plan: Plan, applied: tuple[str, ...] = ()) -> PlanSummary:
        return cls(
            tuple(
                ProductPlanSummary(p.reference, p.source.origin, p.changes, p.problems)
                for p in plan.products
            ),
            plan.problems,
            applied,
        )

    def document(self) -> dict[str, Any]:
        counts = {action.value: 0 for action in Action if action is not Action.NONE}
        for plan in self.products:
            for change in plan.changes:
                if change.action is not Action.NONE:
                    counts[change.action.value] += 1
        return {
            "ok": not self.errors,
            "has_changes": self.has_changes,
            "counts": counts,
            "applied": list(self.applied),
            "products": [
                {
                    "product": plan.product,
                    "origin": plan.origin,
                    "changes": [change.document() for change in plan.changes],
                    "problems": [problem.document() for problem in plan.problems],
                }
                for plan in self.products
            ],
            "problems": [problem.document() for problem in self.problems],
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> PlanSummary:
        return cls(
            tuple(
                ProductPlanSummary(
                    item["product"],
                    item["origin"],
                    tuple(_change(change) for change in item["changes"]),
                    tuple(_problem(problem) for problem in item["problems"]),
                )
                for item in document["products"]
            ),
            tuple(_problem(problem) for problem in document["problems"]),
            tuple(document.get("applied", ())),
        )


def _change(document: dict[str, Any]) -> Change:
    return Change(
        Resource(document["resource"]),
        Action(document["action"]),
        document["target"],
        document["summary"],
    )


def _problem(document: dict[str, Any]) -> PlanProblem:
    return PlanProblem(
        document["product"],
        document["origin"],
        Severity(document["severity"]),
        document["rule"],
        document["message"],
        document.get("hint", ""),
        tuple(document.get("details", ())),
    )
