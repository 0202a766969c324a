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
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from streammesh.access import domain_scope
from streammesh.control import ControlPlane, Plan, ProductNotFound, ProductSource
from streammesh.errors import MeshError
from streammesh.registry import SchemaRegistry
from streammesh.server.api.roles import CHANGER_ROLES
from streammesh.server.context import ServerContext
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
    plan: Plan | None = None,
    applied: tuple[str, ...] = (),
    error: str | None = None,
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
        starts=team_products(plane, viewer),
        may_apply=viewer.principal.role in CHANGER_ROLES,
    )


@router.get(f"{UI_PREFIX}/publish", response_class=HTMLResponse)
def publish_page(
    request: Request, viewer: CurrentViewer, context: Context, product: str = ""
) -> HTMLResponse:
    """The empty form, or the form filled with ``product``'s descriptor and schema."""
    plane = _plane(context)
    descriptor = schema = ""
    if product:
        if product not in team_products(plane, viewer):
            raise HTTPException(404, f"no data product '{product}' of your team")
        try:
            descriptor, schema = product_texts(plane, context.runtime.registry, product)
        except ProductNotFound:
            raise HTTPException(404, f"no data product '{product}'") from None
    return _page(request, viewer, plane, descriptor=descriptor, schema=schema)


@router.post(f"{UI_PREFIX}/publish", response_class=HTMLResponse)
def publish(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    descriptor: Annotated[str, Form(max_length=MAX_TEXT)],
    schema_text: Annotated[str, Form(max_length=MAX_TEXT)],
    action: Annotated[Literal["plan", "apply"], Form()] = "plan",
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Plan the pasted product, or apply it (planning again first)."""
    require_csrf(request, viewer, csrf)
    plane = _plane(context)
    texts: dict[str, Any] = {"descriptor": descriptor, "schema": schema_text}
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
    try:
        source = ProductSource.parse(descriptor, schema_text, origin="publish form")
        if action == "plan":
            return _page(request, viewer, plane, **texts, plan=plane.plan([source]))
        # The same domain rule as POST /api/v1/apply: a domain owner publishes only in the
        # domains of its teams.
        scope = domain_scope(plane.store, viewer.principal.name, viewer.principal.role)
        result = plane.apply([source], actor=viewer.principal.name, scope=scope)
    except MeshError as exc:
        return _page(request, viewer, plane, **texts, error=str(exc), status_code=422)
    return _page(
        request,
        viewer,
        plane,
        **texts,
        plan=result.plan,
        applied=tuple(record.reference for record in result.applied),
    )
