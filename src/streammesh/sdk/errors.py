"""Errors the SDK raises itself: arguments it refuses, and a mesh reached over HTTP.

The errors of producing and consuming (``InvalidEvent``, ``InvalidKey``, ``UnreadableEvent``,
``ClientClosed``) are the data plane's, in :mod:`streammesh.dataplane.errors`; the SDK
raises those for in-process and remote meshes alike.

::

    SdkError
    ├── ArgumentOutOfRange  a client method's argument outside what it accepts (both sides)
    └── RemoteError         a mesh reached over HTTP (``Mesh.connect``)
        ├── MeshUnreachable          no answer from the server
        ├── AuthenticationFailed     the token was refused (401)
        ├── RemotePermissionDenied   the token's role may not do this (403)
        ├── RemoteRequestFailed      any other refusal, with status and error code
        └── NotServedRemotely        an operation only a mesh opened in-process offers
"""

from __future__ import annotations

from streammesh.errors import MeshError


class SdkError(MeshError):
    """Base of every error the SDK raises itself."""


class ArgumentOutOfRange(SdkError):
    """A client method's argument outside the range it accepts; refused before anything is
    asked, in-process and through a server alike."""

    exit_code = 2

    def __init__(self, name: str, value: float, low: float, high: float, unit: str) -> None:
        self.name = name
        self.value = value
        self.low = low
        self.high = high
        self.unit = unit
        super().__init__(f"{name} {value:g} is out of range: give {low:g} to {high:g} {unit}")


class RemoteError(SdkError):
    """Base of the errors only a mesh reached over HTTP raises."""


class MeshUnreachable(RemoteError):
    """No answer from the server (connection refused, timeout)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"cannot reach the mesh at {url}: {reason}; check that 'streammesh up' runs there"
        )


class AuthenticationFailed(RemoteError):
    """The server refused the token (HTTP 401)."""

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        self.detail = detail
        super().__init__(f"the mesh at {url} refused the token: {detail}")


class RemotePermissionDenied(RemoteError):
    """The token is valid but its role may not do this (HTTP 403)."""

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        self.detail = detail
        super().__init__(f"the mesh at {url} refused the operation: {detail}")


class RemoteRequestFailed(RemoteError):
    """Any other refusal or failure the server answered, with its status and error code."""

    def __init__(self, url: str, status: int, code: str, message: str) -> None:
        self.url = url
        self.status = status
        self.code = code
        super().__init__(f"{message} (HTTP {status} {code} from {url})")


class NotServedRemotely(RemoteError):
    """An operation a server does not offer: it runs only where the mesh is opened in-process
    (e.g. the Kafka ACL sync, which needs the cluster's admin credentials)."""

    def __init__(self, url: str, operation: str, reason: str) -> None:
        self.url = url
        self.operation = operation
        self.reason = reason
        super().__init__(f"{operation} is not offered through the mesh at {url}: {reason}")
