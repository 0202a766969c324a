"""``RemoteStreams``: stream applications over a server's ``/api/v1/streams`` routes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from streammesh.sdk.errors import NotServedRemotely
from streammesh.sdk.remote.wire import path_segment
from streammesh.streams import (
    AppQuery,
    AppStatus,
    Desired,
    Instance,
    PartitionLag,
    Placement,
    QueryStatus,
    StreamApp,
)

if TYPE_CHECKING:
    from streammesh.sdk.remote.mesh import RemoteMesh

__all__ = ["RemoteStreams", "status_from_document"]


class RemoteStreams:
    """The stream applications of the mesh ``mesh`` reaches. The server hosts what is
    deployed; it checks the token: reading needs any token, deploying and changing need
    platform-admin or governance, or a domain owner acting with a service account of its teams.

    Building and preparing Python DSL pipelines (``source``, ``sql``, ``prepare``) needs the
    mesh in-process."""

    def __init__(self, mesh: RemoteMesh) -> None:
        self._mesh = mesh

    def deploy(
        self,
        name: str,
        sql: str,
        *,
        principal: str | None = None,
        descriptor: str | None = None,
    ) -> AppStatus:
        body = {"name": name, "sql": sql, "principal": principal, "descriptor": descriptor}
        return status_from_document(
            self._mesh.request("POST", "/streams", reference=name, body=body)
        )

    def applications(self) -> list[AppStatus]:
        return [status_from_document(item) for item in self._mesh.request("GET", "/streams")]

    def status(self, name: str) -> AppStatus:
        found = self._mesh.request("GET", f"/streams/{path_segment(name)}", reference=name)
        return status_from_document(found)

    def stop(self, name: str) -> AppStatus:
        return self._change(name, "stop")

    def start(self, name: str) -> AppStatus:
        return self._change(name, "start")

    def reset(self, name: str) -> AppStatus:
        return self._change(name, "reset")

    def delete(self, name: str) -> StreamApp:
        found = self._mesh.request("DELETE", f"/streams/{path_segment(name)}", reference=name)
        return _record(found, tuple(AppQuery.from_json(item) for item in found["queries"]))

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
        body = {"name": name, "sql": sql, "principal": principal, "descriptor": descriptor}
        found: dict[str, Any] = self._mesh.request("POST", "/streams/explain", body=body)
        return found

    def source(self, reference: str, kind: object) -> NoReturn:
        """Refused: pipelines are built where the mesh is opened in-process."""
        raise self._in_process()

    def sql(self, pipeline: object) -> NoReturn:
        """Refused: pipelines are built where the mesh is opened in-process."""
        raise self._in_process()

    def prepare(self, pipeline: object, name: str, *, principal: str | None = None) -> NoReturn:
        """Refused: pipelines are prepared where the mesh is opened in-process."""
        raise self._in_process()

    def _change(self, name: str, action: str) -> AppStatus:
        found = self._mesh.request(
            "POST", f"/streams/{path_segment(name)}/{action}", reference=name
        )
        return status_from_document(found)

    def _in_process(self) -> NotServedRemotely:
        return NotServedRemotely(
            self._mesh.url,
            "stream processing with the Python DSL (mesh.stream, mesh.table, mesh.streams.prepare)",
            "open the mesh in-process (Mesh.open) or run the pipeline with 'streammesh streams "
            "run module:pipeline --name APP' on the mesh's host; a SQL script can be deployed "
            "to the server with mesh.streams.deploy(name, sql)",
        )


def status_from_document(document: Mapping[str, Any]) -> AppStatus:
    """The :class:`AppStatus` the server's JSON document describes (its ``queries`` are the
    queries' status; the record's queries are rebuilt from them, without their changelogs)."""
    queries = tuple(
        QueryStatus(
            str(item["id"]),
            str(item["group"]),
            str(item["sink"]),
            int(item["records_in"]),
            int(item["records_out"]),
            int(item["dead_letters"]),
            int(item["late"]),
            float(item["in_per_s"]),
            float(item["out_per_s"]),
            tuple(
                PartitionLag(
                    str(lag["topic"]),
                    int(lag["partition"]),
                    None if lag["committed"] is None else int(lag["committed"]),
                    int(lag["end"]),
                )
                for lag in item["partitions"]
            ),
            str(item.get("dead_letter_topic", "")),
            int(item.get("dead_letter_records", 0)),
        )
        for item in document["queries"]
    )
    deployed = tuple(
        AppQuery(
            query.id,
            query.group,
            query.sink,
            tuple(dict.fromkeys(lag.topic for lag in query.partitions)),
            (),
        )
        for query in queries
    )
    instances = tuple(
        Instance(
            str(document["name"]),
            str(item["instance"]),
            str(item["host"]),
            int(item["pid"]),
            _time(item["started_at"]),
            _time(item["heartbeat_at"]),
            float(item["interval_s"]),
            tuple(dict(progress) for progress in item["progress"]),
            item.get("error"),
        )
        for item in document["instances"]
    )
    return AppStatus(_record(document, deployed), instances, queries)


def _record(document: Mapping[str, Any], queries: tuple[AppQuery, ...]) -> StreamApp:
    return StreamApp(
        name=str(document["name"]),
        sql=str(document["sql"]),
        principal=document.get("principal"),
        placement=Placement(document["placement"]),
        desired=Desired(document["desired"]),
        epoch=int(document["epoch"]),
        created_by=str(document["created_by"]),
        created_at=_time(document["created_at"]),
        updated_at=_time(document["updated_at"]),
        stopped_by=document.get("stopped_by"),
        queries=queries,
        descriptor=document.get("descriptor"),
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
