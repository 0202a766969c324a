"""The product page: a deprecation banner and the major versions, contract, the field table,
how to connect, schema versions and diffs, recent events (for viewers who may read them, one
column per field, masked fields shown masked, with a JSON lines download), throughput and
freshness, consumers, lineage neighbours, and the Request access form (not for deprecated
products, which take no new consumers)."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from streammesh.access import Caller, EventsNotReadable
from streammesh.control import ApplicationRole, ProductNotFound, ProductRecord
from streammesh.errors import MeshError
from streammesh.identity import AccountKind
from streammesh.lineage import Node
from streammesh.products import Status, connection_details, endpoint_of
from streammesh.registry import SchemaNotFound
from streammesh.schemas import SchemaField
from streammesh.serde import RegistryResolver
from streammesh.server.api.event_json import event_document
from streammesh.server.api.models.events import EventDocument
from streammesh.server.api.schemas import diff_schema_versions, list_schemas
from streammesh.server.api.streams import JSONL_MEDIA_TYPE, MAX_SAMPLE
from streammesh.server.context import ServerContext
from streammesh.server.ui.fields import event_table, field_rows
from streammesh.server.ui.health import product_health
from streammesh.server.ui.not_found import close_products, not_found_page
from streammesh.server.ui.samples import recent_events
from streammesh.server.ui.viewer import (
    UI_PREFIX,
    Context,
    CurrentViewer,
    Viewer,
    access_service,
    render,
    require_csrf,
)

router = APIRouter(include_in_schema=False)

SchemaVersion = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def _record(context: ServerContext, reference: str) -> ProductRecord | None:
    """The product version, or None when the mesh has no such product."""
    try:
        return context.runtime.plane.product(reference)
    except ProductNotFound:
        return None


def _missing(request: Request, context: ServerContext, reference: str) -> HTMLResponse:
    """The not-found page for an unknown product, with close names to follow."""
    return not_found_page(
        request,
        f"There is no data product '{reference}' in the mesh.",
        suggestions=close_products(context, reference),
    )


@router.get(f"{UI_PREFIX}/products/{{reference}}", response_class=HTMLResponse)
def product_page(
    request: Request,
    reference: str,
    viewer: CurrentViewer,
    context: Context,
    diff_from: Annotated[int | None, Query(alias="from", ge=1, le=2**31 - 1)] = None,
    diff_to: Annotated[int | None, Query(alias="to", ge=1, le=2**31 - 1)] = None,
    message: str = "",
) -> HTMLResponse:
    """Everything a consumer needs to judge and ask for a product."""
    record = _record(context, reference)
    if record is None:
        return _missing(request, context, reference)
    plane = context.runtime.plane
    assert plane is not None  # _record checked it
    schemas = list_schemas(record.reference, viewer.principal, plane, context.runtime.registry)
    diff = None
    if diff_from is not None and diff_to is not None:
        try:
            diff = diff_schema_versions(
                record.reference,
                viewer.principal,
                plane,
                context.runtime.registry,
                from_version=diff_from,
                to_version=diff_to,
            )
        except SchemaNotFound:
            diff = None
    recent = recent_events(context, viewer, record)
    fields = _fields(context, record)
    applications = [
        {"app": app, "active": active}
        for app, active in plane.applications(record.reference)
        if app.role is ApplicationRole.CONSUMER
    ]
    requests = context.runtime.access.list(product=record.reference)
    return render(
        request,
        "product.html",
        viewer,
        title=record.reference,
        record=record,
        contract=record.descriptor.model_dump(mode="json", by_alias=True),
        schemas=schemas,
        diff=diff,
        diff_from=diff_from,
        diff_to=diff_to,
        events=recent.events,
        reading=recent.reading,
        table=event_table(recent.events, fields, record.descriptor, recent.reading)
        if recent.reading is not None
        else None,
        fields=field_rows(fields, record.descriptor),
        raw_schema=next((s for s in schemas if s["id"] == record.schema_id), None),
        versions=_versions(context, record),
        closed=record.status in _CLOSED,
        applications=applications,
        grants=[r for r in requests if r.state.value == "approved"],
        lineage=_neighbours(context, record),
        health=product_health(context, record),
        applicants=_applicants(context, viewer),
        connection=_connection(request, context, viewer, record),
        message=message,
    )


_CLOSED = frozenset({Status.DEPRECATED, Status.RETIRED})
"""Statuses that take no new consumers (and so show no Request access form)."""


def _fields(context: ServerContext, record: ProductRecord) -> tuple[SchemaField, ...]:
    """The fields of the product's current value schema; none if the registry lost it."""
    try:
        return RegistryResolver(context.runtime.registry).schema_by_id(record.schema_id).fields()
    except SchemaNotFound:
        return ()


def _versions(context: ServerContext, record: ProductRecord) -> list[ProductRecord]:
    """Every major version of the product, oldest first."""
    return [
        other
        for other in context.runtime.plane.products(domain=record.descriptor.domain)
        if other.name == record.name
    ]


def _connection(
    request: Request, context: ServerContext, viewer: Viewer, record: ProductRecord
) -> dict[str, Any] | None:
    """The connection details for the viewer."""
    details = connection_details(
        record.descriptor,
        schema_id=record.schema_id,
        endpoint=endpoint_of(
            context.runtime.log.url, str(request.base_url), context.runtime.config.kafka_security
        ),
        principal=viewer.principal.name,
    )
    return details.document()


@router.get(f"{UI_PREFIX}/products/{{reference}}/sample.jsonl")
def download_sample(
    request: Request, reference: str, viewer: CurrentViewer, context: Context
) -> Response:
    """The latest events (up to the REST sample's maximum) as a JSON lines download, with the
    REST sample's access rule and masking: 403 for a viewer who may not read the events."""
    record = _record(context, reference)
    if record is None:
        return _missing(request, context, reference)
    principal = viewer.principal
    try:
        sample = context.runtime.data.sample(
            record.reference, reader=Caller(principal.name, principal.role), limit=MAX_SAMPLE
        )
    except EventsNotReadable as exc:
        return Response(str(exc), status_code=403, media_type="text/plain")
    lines = (
        json.dumps(EventDocument.model_validate(event_document(e)).model_dump(mode="json")) + "\n"
        for e in sample.events
    )
    return Response(
        "".join(lines),
        media_type=JSONL_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{record.reference}.jsonl"'},
    )


def _applicants(context: ServerContext, viewer: Viewer) -> list[str]:
    """The service accounts the viewer may ask access for (their team's; every one for
    overseers)."""
    accounts = context.runtime.access.accounts.list(kind=AccountKind.SERVICE_ACCOUNT)
    return [
        account.name
        for account in accounts
        if viewer.overseer or (viewer.team is not None and account.team == viewer.team)
    ]


def _neighbours(context: ServerContext, record: ProductRecord) -> dict[str, list[Node]]:
    """The nodes one step upstream and downstream of the product in the lineage graph."""
    start = context.runtime.lineage.product_node(record.reference)
    graph = context.runtime.lineage.graph()
    return {
        "upstream": [graph.nodes[edge.source] for edge in graph.upstream_of(start)],
        "downstream": [graph.nodes[edge.target] for edge in graph.downstream_of(start)],
    }


@router.post(f"{UI_PREFIX}/products/{{reference}}/access-requests")
def request_access(
    reference: str,
    viewer: CurrentViewer,
    context: Context,
    request: Request,
    application: Annotated[str, Form()],
    purpose: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    classified: Annotated[bool, Form()] = False,
) -> Response:
    """Ask for one of the viewer's team's applications to read the product."""
    require_csrf(request, viewer, csrf)
    record = _record(context, reference)
    if record is None:
        return _missing(request, context, reference)
    access = access_service(context)
    try:
        made = access.request(
            record.reference,
            application,
            purpose=purpose,
            classified=classified,
            caller=Caller(viewer.principal.name, viewer.principal.role),
        )
        message = f"Access for '{application}' is {made.state.value}."
    except MeshError as exc:
        message = f"Access not requested: {exc}"
    return RedirectResponse(
        f"{UI_PREFIX}/products/{record.reference}?" + urlencode({"message": message}),
        status_code=303,
    )
