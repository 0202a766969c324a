"""The publish page: paste a descriptor and its schema (or start from a product of your
team's), see the plan with its policy findings, then apply it.

Planning is open to every signed-in principal, as ``POST /api/v1/plan`` is; applying needs
a role that changes the mesh (platform-admin, governance, domain-owner), as
``POST /api/v1/apply`` does. Apply always plans again first: a plan with errors is refused
and nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from streammesh.access import domain_scope
from streammesh.control import ControlPlane, Plan, PlanRefused, ProductNotFound, ProductSource
from streammesh.errors import MeshError
from streammesh.products import DescriptorInvalid
from streammesh.registry import SchemaRegistry
from streammesh.server.api.roles import CHANGER_ROLES
from streammesh.server.context import ServerContext
from streammesh.server.ui import publish_form
from streammesh.server.ui.publish_form import FormProblem, Guided
from streammesh.server.ui.viewer import (
    UI_PREFIX,
    Context,
    CurrentViewer,
    Viewer,
    render,
    require_csrf,
)

router = APIRouter(include_in_schema=False)

MAX_TEXT = 256 * 1024
"""The longest descriptor or schema the form takes (bytes of text)."""


def _plane(context: ServerContext) -> ControlPlane:
    return context.runtime.plane


def team_products(plane: ControlPlane, viewer: Viewer) -> list[str]:
    """The product versions the viewer may start from: their team's (every one for
    overseers)."""
    return [
        record.reference
        for record in plane.products()
        if viewer.overseer or (viewer.team is not None and record.descriptor.team == viewer.team)
    ]


def product_texts(plane: ControlPlane, registry: SchemaRegistry, reference: str) -> tuple[str, str]:
    """A product version's descriptor as YAML and the text of its current value schema."""
    record = plane.product(reference)
    descriptor = record.descriptor.model_dump(mode="json", by_alias=True, exclude_none=True)
    schema = registry.version(record.value_subject, record.schema_version).schema
    # One line per scalar (no folding), so a field is edited where it stands.
    text = yaml.safe_dump(descriptor, sort_keys=False, allow_unicode=True, width=2**16)
    return text, schema


def _page(
    request: Request,
    viewer: Viewer,
    plane: ControlPlane,
    *,
    descriptor: str,
    schema: str,
    guided: Guided,
    plan: Plan | None = None,
    applied: tuple[str, ...] = (),
    error: str | None = None,
    problems: list[FormProblem] | None = None,
    composed: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "publish.html",
        viewer,
        status_code=status_code,
        title="Publish",
        descriptor=descriptor,
        schema=schema,
        plan=plan,
        applied=applied,
        error=error,
        problems=problems or [],
        composed=composed,
        guided=guided,
        choices={
            "alignment": publish_form.ALIGNMENTS,
            "kind": publish_form.KINDS,
            "key_type": publish_form.KEY_TYPES,
            "quality": publish_form.QUALITIES,
        },
        sla_tiers=publish_form.SLA_TIERS,
        classifications=publish_form.CLASSIFICATIONS,
        teams=sorted({record.descriptor.team for record in plane.products()}),
        starts=team_products(plane, viewer),
        may_apply=viewer.principal.role in CHANGER_ROLES,
    )


@router.get(f"{UI_PREFIX}/publish", response_class=HTMLResponse)
def publish_page(
    request: Request, viewer: CurrentViewer, context: Context, product: str = ""
) -> HTMLResponse:
    """The guided form from the template (its usual choices, nothing written yet), or
    filled with ``product``'s metadata, descriptor and schema."""
    plane = _plane(context)
    descriptor = schema = ""
    guided = Guided()
    if product:
        if product not in team_products(plane, viewer):
            raise HTTPException(404, f"no data product '{product}' of your team")
        try:
            descriptor, schema = product_texts(plane, context.runtime.registry, product)
            guided = Guided.from_descriptor(plane.product(product).descriptor)
        except ProductNotFound:
            raise HTTPException(404, f"no data product '{product}'") from None
    return _page(request, viewer, plane, descriptor=descriptor, schema=schema, guided=guided)


async def guided_fields(request: Request) -> Guided:
    """The guided form's fields of a submitted publish form."""
    return Guided.of(dict((await request.form()).items()))


def problems_of(exc: MeshError) -> list[FormProblem]:
    """A refused descriptor's problems, one per field with its fix; any other error one
    problem per line of its message."""
    if isinstance(exc, DescriptorInvalid):
        return [
            FormProblem(
                problem.path or "descriptor", problem.message, problem.hint or "", problem.line
            )
            for problem in exc.problems
        ]
    if isinstance(exc, PlanRefused):
        return [
            FormProblem(problem.rule, f"{problem.product}: {problem.message}", problem.hint)
            for problem in exc.problems
        ]
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return [FormProblem("", line, "") for line in lines]


@router.post(f"{UI_PREFIX}/publish", response_class=HTMLResponse)
def publish(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    guided: Annotated[Guided, Depends(guided_fields)],
    descriptor: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    schema_text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    action: Annotated[Literal["compose", "plan", "apply", "download"], Form()] = "plan",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Write the descriptor from the guided form and plan it, plan the descriptor as it
    stands, apply it (planning again first), or download it as the file to commit."""
    require_csrf(request, viewer, csrf)
    plane = _plane(context)
    if action == "download":
        return Response(
            descriptor,
            media_type="application/yaml; charset=utf-8",
            headers={
                "Content-Disposition": "attachment; "
                f'filename="{publish_form.download_name(descriptor)}"'
            },
        )
    form_problems: list[FormProblem] = []
    if action == "compose":
        version = publish_form.version_in(descriptor)
        descriptor, form_problems = publish_form.compose(guided, version=version)
        schema_text = schema_text if schema_text.strip() else publish_form.schema_template(guided)
        action = "plan"
    texts: dict[str, Any] = {
        "descriptor": descriptor,
        "schema": schema_text,
        "guided": guided,
        "composed": bool(form_problems) or action == "plan",
    }
    if action == "apply" and viewer.principal.role not in CHANGER_ROLES:
        return _page(
            request,
            viewer,
            plane,
            **texts,
            error=f"Your role '{viewer.principal.role.value}' may plan but not apply; ask a "
            "domain owner of your team.",
            status_code=403,
        )
    if not descriptor.strip() or not schema_text.strip():
        missing = "descriptor" if not descriptor.strip() else "schema"
        return _page(
            request,
            viewer,
            plane,
            **texts,
            problems=[
                FormProblem(
                    missing,
                    "is empty",
                    "fill in the form and press 'Write the YAML', or paste the "
                    f"{missing} in its box",
                )
            ],
            status_code=422,
        )
    try:
        source = ProductSource.parse(descriptor, schema_text, origin="publish form")
        if action == "plan":
            return _page(
                request,
                viewer,
                plane,
                **texts,
                plan=plane.plan([source]),
                problems=form_problems,
                status_code=422 if form_problems else 200,
            )
        # The same domain rule as POST /api/v1/apply: a domain owner publishes only in the
        # domains of its teams.
        scope = domain_scope(plane.store, viewer.principal.name, viewer.principal.role)
        result = plane.apply([source], actor=viewer.principal.name, scope=scope)
    except MeshError as exc:
        return _page(
            request,
            viewer,
            plane,
            **texts,
            problems=[*form_problems, *problems_of(exc)],
            status_code=422,
        )
    return _page(
        request,
        viewer,
        plane,
        **texts,
        plan=result.plan,
        applied=tuple(record.reference for record in result.applied),
    )
