"""``InProcessStreams``: stream applications built with the Python DSL over this mesh's products,
and the lifecycle of the applications the mesh records (deploy, list, status, stop, start,
reset, delete) as :class:`~streammesh.sdk.streams.StreamsClient` says."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streammesh.runtime import MeshRuntime
from streammesh.streams import (
    AppStatus,
    InvalidPipeline,
    PreparedApplication,
    ProductCatalog,
    Sink,
    SourceKind,
    Stream,
    StreamApp,
    check_application_name,
    check_runnable,
    explain_document,
    pipeline_script,
    stream,
    table,
)

__all__ = ["InProcessStreams", "Pipeline"]

Pipeline = Sink | Sequence[Sink]
"""What runs as one application: a finished pipeline (``.to(...)``/``.to_product(...)``) or
several, in order."""


class InProcessStreams:
    """Pipelines over the data products of ``runtime``, prepared as ``streams run`` prepares
    a script."""

    def __init__(
        self, runtime: MeshRuntime, principal: str | None, *, actor: str = "operator"
    ) -> None:
        self._runtime = runtime
        self._principal = principal
        self._actor = actor

    def source(self, reference: str, kind: SourceKind) -> Stream:
        """A pipeline reading the product ``reference``, resolved now as ``FROM`` resolves it.

        Raises:
            UnknownProduct: no such product (the nearest one suggested).
            ProductNotQueryable: its schema has no SQL columns.
            InvalidPipeline: the product is a table (state events) read as a stream, or a
                stream read as a table.
        """
        catalog = ProductCatalog(self._runtime.plane, self._runtime.registry)
        entry = catalog.entry(reference, None, "")
        if entry.kind is not kind:
            method = "table" if entry.kind is SourceKind.TABLE else "stream"
            raise InvalidPipeline(
                f"data product '{reference}' is a {entry.kind.value.lower()}"
                f" ({'state' if entry.kind is SourceKind.TABLE else 'event'} events): read it"
                f" with mesh.{method}('{reference}')"
            )
        return stream(reference) if kind is SourceKind.STREAM else table(reference)

    def sql(self, pipeline: Pipeline) -> str:
        """The ksqlDB script ``pipeline`` runs as (what ``streams run`` records)."""
        return pipeline_script(_sinks(pipeline))

    def prepare(
        self, pipeline: Pipeline, name: str, *, principal: str | None = None
    ) -> PreparedApplication:
        """Plan and check ``pipeline`` as the application ``name``, exactly as ``streams run``
        prepares its script: output products derived and planned through governance, the
        grants of ``principal`` (default: the mesh's principal) checked. Nothing is changed.

        Raises:
            PlanError, ExpressionError: the pipeline does not plan (names, keys, types).
            PlanRefused: governance refuses an output product.
            GrantMissing: the service account lacks a grant.
        """
        who = principal if principal is not None else self._principal
        return self._runtime.streams.prepare(self.sql(pipeline), name, who)

    # -- the application lifecycle (StreamsClient) ---------------------------------------------

    def deploy(
        self,
        name: str,
        sql: str,
        *,
        principal: str | None = None,
        descriptor: str | None = None,
    ) -> AppStatus:
        """Deploy ``sql`` as ``name`` for ``streammesh up`` to host (see
        :meth:`StreamsClient.deploy`): prepared, compiled and its inputs found before anything
        is recorded."""
        streams = self._runtime.streams
        check_application_name(name)
        prepared = streams.prepare(sql, name, principal, descriptor=descriptor)
        check_runnable(prepared, self._runtime.log, self._runtime.registry)
        streams.record(prepared, placement="server", actor=self._actor, descriptor=descriptor)
        return streams.status(name)

    def explain(
        self,
        sql: str,
        *,
        name: str = "explain",
        principal: str | None = None,
        descriptor: str | None = None,
    ) -> dict[str, Any]:
        """The script planned against the mesh, as ``streams explain --json`` prints it;
        nothing is changed."""
        prepared = self._runtime.streams.prepare(sql, name, principal, descriptor=descriptor)
        return explain_document(prepared, self._runtime.log, self._runtime.registry)

    def applications(self) -> list[AppStatus]:
        return self._runtime.streams.applications()

    def status(self, name: str) -> AppStatus:
        return self._runtime.streams.status(name)

    def stop(self, name: str) -> AppStatus:
        self._runtime.streams.stop(name, actor=self._actor)
        return self._runtime.streams.status(name)

    def start(self, name: str) -> AppStatus:
        self._runtime.streams.start(name, actor=self._actor)
        return self._runtime.streams.status(name)

    def reset(self, name: str) -> AppStatus:
        self._runtime.streams.reset(name, actor=self._actor)
        return self._runtime.streams.status(name)

    def delete(self, name: str) -> StreamApp:
        return self._runtime.streams.delete(name, actor=self._actor)


def _sinks(pipeline: Pipeline) -> tuple[Sink, ...]:
    sinks = (pipeline,) if isinstance(pipeline, Sink) else tuple(pipeline)
    if not sinks or not all(isinstance(item, Sink) for item in sinks):
        raise InvalidPipeline(
            "give a finished pipeline (.to(...) or .to_product(...)) or a list of them"
        )
    return sinks
