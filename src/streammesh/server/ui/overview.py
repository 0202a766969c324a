"""Mesh-wide pages: the governance compliance report and the activity feed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from streammesh.audit import MESH_EVENTS_TOPIC, AuditAction, AuditRecord, read_mesh_events
from streammesh.governance import ProductCompliance
from streammesh.log import LogError
from streammesh.products import PolicyFinding
from streammesh.server.context import ServerContext
from streammesh.server.ui.viewer import UI_PREFIX, Context, CurrentViewer, render

router = APIRouter(include_in_schema=False)

ACTIVITY_SIZE = 500
"""How many events of ``_mesh.events`` one page of the activity feed reads (before filters)."""

MACHINE_ACTIONS = frozenset({AuditAction.KEY_HANDED_OUT})
"""Frequent events made by running applications, not by people: folded into a counter."""

PERIODS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
"""The time filter's choices (the last hour, day, week, month)."""


@dataclass(frozen=True, slots=True)
class RuleView:
    """One rule of the governance page: the products that break it, each finding with its
    hint.

    Attributes:
        rule: The rule's id.
        errors: How many findings block ``apply``; ``warnings`` the others.
        findings: Every finding of the rule, errors first, then by product.
    """

    rule: str
    errors: int
    warnings: int
    findings: tuple[PolicyFinding, ...]

    @property
    def products(self) -> int:
        return len({finding.product for finding in self.findings})


def rule_views(products: Sequence[ProductCompliance]) -> list[RuleView]:
    """Per rule (by id), which products break it and how."""
    found: dict[str, list[PolicyFinding]] = defaultdict(list)
    for product in products:
        for finding in product.findings:
            found[finding.rule].append(finding)
    return [
        RuleView(
            rule,
            sum(1 for finding in findings if finding.is_error),
            sum(1 for finding in findings if not finding.is_error),
            tuple(sorted(findings, key=lambda f: (not f.is_error, f.product, f.field))),
        )
        for rule, findings in sorted(found.items())
    ]


@router.get(f"{UI_PREFIX}/governance", response_class=HTMLResponse)
def governance(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    domain: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Counts per domain, per rule which products break it (with the hint), and each
    product's findings; ``domain`` narrows the rules and products to one domain."""
    report = context.runtime.governance.report()
    document = report.document()
    chosen = [item for item in report.products if not domain or item.domain == domain]
    domains: dict[str, list[ProductCompliance]] = defaultdict(list)
    for product in chosen:
        domains[product.domain].append(product)
    return render(
        request,
        "governance.html",
        viewer,
        title="Governance",
        report=report,
        summary=document["summary"],
        counts=document["domains"],
        rules=rule_views(chosen),
        domain=domain,
        domains=dict(sorted(domains.items())),
    )


@dataclass(frozen=True, slots=True)
class Folded:
    """A run of machine events (key hand-outs) shown as one row with a counter.

    Attributes:
        action: Their action.
        count: How many.
        actors: Who they were for, in order of first appearance.
        newest: The newest one's moment; ``oldest`` the oldest's.
    """

    action: AuditAction
    count: int
    actors: tuple[str, ...]
    newest: datetime
    oldest: datetime


def fold(events: Sequence[AuditRecord]) -> list[AuditRecord | Folded]:
    """``events`` (newest first) with each run of consecutive machine events of one action
    replaced by a :class:`Folded` counter, so the changes people made stand out."""
    shown: list[AuditRecord | Folded] = []
    for event in events:
        last = shown[-1] if shown else None
        if event.action not in MACHINE_ACTIONS:
            shown.append(event)
        elif isinstance(last, Folded) and last.action is event.action:
            actors = last.actors if event.actor in last.actors else (*last.actors, event.actor)
            shown[-1] = Folded(event.action, last.count + 1, actors, last.newest, event.at)
        else:
            shown.append(Folded(event.action, 1, (event.actor,), event.at, event.at))
    return shown


@router.get(f"{UI_PREFIX}/activity", response_class=HTMLResponse)
def activity(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    before: Annotated[int | None, Query(ge=0)] = None,
    action: Annotated[str, Query(max_length=100)] = "",
    actor: Annotated[str, Query(max_length=200)] = "",
    product: Annotated[str, Query(max_length=300)] = "",
    period: Annotated[Literal["", "1h", "24h", "7d", "30d"], Query()] = "",
) -> HTMLResponse:
    """What happened in the mesh, newest first, from ``_mesh.events``: filtered by action,
    actor, product (any subject naming it) and period; machine events folded into counters
    unless their action is the one asked for."""
    wanted = _action(action)
    end = _end_offset(context)
    upto = end if before is None else min(before, end)
    start = max(upto - ACTIVITY_SIZE, 0)
    events = read_mesh_events(context.runtime.log, from_offset=start, max_events=upto - start)
    newest_first = list(reversed(events[: upto - start]))
    actor, product = actor.strip(), product.strip()
    after = datetime.now(UTC) - PERIODS[period] if period else None
    kept = [
        event
        for event in newest_first
        if (wanted is None or event.action is wanted)
        and (not actor or event.actor == actor)
        and (not product or product in event.subject)
        and (after is None or event.at >= after)
    ]
    filters = {
        "action": wanted.value if wanted is not None else "",
        "actor": actor,
        "product": product,
        "period": period,
    }
    # Older pages keep the filters; a period reaches no further back than its start.
    reached_start = after is not None and bool(newest_first) and newest_first[-1].at < after
    return render(
        request,
        "activity.html",
        viewer,
        title="Activity",
        events=kept if wanted in MACHINE_ACTIONS else fold(kept),
        filters=filters,
        filtered=any(filters.values()),
        actions=[item.value for item in AuditAction],
        periods={
            "": "any time",
            "1h": "last hour",
            "24h": "last day",
            "7d": "last week",
            "30d": "last 30 days",
        },
        older={**{k: v for k, v in filters.items() if v}, "before": start}
        if start > 0 and not reached_start
        else None,
    )


def _action(text: str) -> AuditAction | None:
    """The action filter's choice; ``None`` for any. An unknown name answers 422."""
    if not text.strip():
        return None
    try:
        return AuditAction(text.strip())
    except ValueError:
        raise HTTPException(
            422, f"unknown action '{text}' in the activity filter; choose one from the list"
        ) from None


def _end_offset(context: ServerContext) -> int:
    """How many events ``_mesh.events`` holds (one partition; 0 before the first)."""
    try:
        description = context.runtime.log.describe_topic(MESH_EVENTS_TOPIC)
    except LogError:
        return 0
    return sum(description.end_offsets.values())
