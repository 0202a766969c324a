"""``RemoteConnectors``: the connectors of a mesh over its server's ``/connect`` routes (Kafka
Connect's shapes), as :class:`~streammesh.sdk.connectors.ConnectorsClient` says.

Connect's error body carries only the HTTP status and a message, so refusals come back as
the mesh's classes by status: 404 ``UnknownConnector``, 409 ``ConnectorExists``, 422
``ConnectorConfigInvalid`` (with the server's message), others ``RemoteRequestFailed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streammesh.connect import (
    ConnectorConfigInvalid,
    ConnectorExists,
    ConnectorPlacement,
    ConnectorStatus,
    UnknownConnector,
    config_from_definition,
)
from streammesh.errors import MeshError
from streammesh.sdk.errors import RemoteRequestFailed
from streammesh.sdk.remote.wire import path_segment

if TYPE_CHECKING:
    from streammesh.sdk.remote.mesh import RemoteMesh

__all__ = ["RemoteConnectors", "connect_refusal"]


def connect_refusal(url: str, name: str, status: int, body: Any) -> MeshError:
    """The mesh error of a ``/connect`` refusal (Connect's ``{"error_code", "message"}``)."""
    message = str(body.get("message")) if isinstance(body, dict) else f"HTTP {status}"
    error: MeshError
    if status == 404:
        error = UnknownConnector(name, ())
    elif status == 409:
        error = ConnectorExists(name)
    elif status == 422:
        error = ConnectorConfigInvalid(name, "", message)
    else:
        return RemoteRequestFailed(url, status, f"http-{status}", message)
    error.args = (message,)
    return error


class RemoteConnectors:
    """The connectors of the mesh ``mesh`` reaches. Reading needs any token; changing needs
    platform-admin or governance, or a domain owner acting with a service account of its
    teams. ``${VAR}`` references are resolved by the server (placement ``server``) or by
    the ``connect run`` process."""

    def __init__(self, mesh: RemoteMesh) -> None:
        self._mesh = mesh

    def create(
        self, definition: str, *, placement: str = "server", replace: bool = False
    ) -> ConnectorStatus:
        name, config = config_from_definition(definition, placement=ConnectorPlacement(placement))
        if replace:
            self._call("PUT", f"/connectors/{path_segment(name)}/config", name, body=config)
        else:
            body = {"name": name, "config": config}
            self._call("POST", "/connectors", name, body=body)
        return self.status(name)

    def names(self) -> list[str]:
        return [str(item) for item in self._call("GET", "/connectors", "")]

    def statuses(self) -> list[ConnectorStatus]:
        found = self._call("GET", "/connectors", "", params={"expand": "status"})
        return [
            ConnectorStatus.from_json(found[name]["status"]["streammesh"]) for name in sorted(found)
        ]

    def status(self, name: str) -> ConnectorStatus:
        found = self._call("GET", f"/connectors/{path_segment(name)}/status", name)
        return ConnectorStatus.from_json(found["streammesh"])

    def config(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/connectors/{path_segment(name)}/config", name))

    def pause(self, name: str) -> ConnectorStatus:
        self._call("PUT", f"/connectors/{path_segment(name)}/pause", name)
        return self.status(name)

    def resume(self, name: str) -> ConnectorStatus:
        self._call("PUT", f"/connectors/{path_segment(name)}/resume", name)
        return self.status(name)

    def restart(self, name: str, *, only_failed: bool = False) -> bool:
        params = {"onlyFailed": "true"} if only_failed else None
        found = self._call("POST", f"/connectors/{path_segment(name)}/restart", name, params=params)
        if not only_failed:
            return True
        return bool(found and found["connector"]["state"] == "RESTARTING")

    def delete(self, name: str) -> None:
        self._call("DELETE", f"/connectors/{path_segment(name)}", name)

    def _call(
        self,
        method: str,
        path: str,
        name: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        status, answer = self._mesh.connect_request(method, path, params=params, body=body)
        if 200 <= status < 300:
            return answer
        raise connect_refusal(self._mesh.url, name, status, answer)
