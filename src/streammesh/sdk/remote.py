"""``RemoteMesh``: the SDK over a streammesh server's REST API (``/api/v1``).

The same operations as a mesh opened in-process, for clients that reach the mesh only over
HTTP (e.g. a laptop using a team's server, or any client of an embedded mesh, whose log lives
on the server's disk). Records come back as the core types (``ProductRecord``,
``PlanSummary``, ``ProductEvent``) and refusals as the same ``MeshError`` classes, so code
written against a local mesh runs unchanged.

Remote produce buffers events and sends them in batches; ``flush()`` returning means the
server answered that they are durable. Remote consume reads through short-lived group
members on the server that commit the group's offsets before answering, so an event fetched
into a consumer's buffer counts as consumed for the group even if the client stops before
returning it (at most once for that buffer; ``batch_size=1`` narrows it to one event).

Example:
    >>> with RemoteMesh("http://127.0.0.1:8080", token) as mesh:  # doctest: +SKIP
    ...     with mesh.producer("execution.stocktrades") as producer:
    ...         producer.send({"trade_id": "t-1", "symbol": "ACME", "price": 12.5})
    ...     for event in mesh.consumer("execution.stocktrades", group="risk").take(10, 5):
    ...         print(event.key, event.value)
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from streammesh.control.errors import (
    InvalidProductSource,
    NotAcceptingConsumers,
    PlanRefused,
    ProductNotFound,
)
from streammesh.control.plan import PlanProblem, PlanSummary, Severity
from streammesh.control.records import ProductRecord, product_from_document
from streammesh.control.sources import read_sources
from streammesh.errors import MeshError
from streammesh.products.descriptor import KeyType, Status
from streammesh.products.errors import DescriptorInvalid, DescriptorProblem
from streammesh.products.lifecycle import LifecycleError
from streammesh.products.report import Severity as FindingSeverity
from streammesh.products.validation import find_descriptors
from streammesh.sdk.errors import ClientClosed, EventProblem, InvalidEvent, SdkError
from streammesh.sdk.events import ProductEvent, event_fields
from streammesh.sdk.keys import Key

API = "/api/v1"
DEFAULT_BATCH = 500


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


def _plan_problem(item: Mapping[str, Any]) -> PlanProblem:
    return PlanProblem(
        item["product"],
        item["origin"],
        Severity(item["severity"]),
        item["rule"],
        item["message"],
        item.get("hint") or "",
        tuple(item.get("details") or ()),
    )


class _Refusal:
    """One error answer: its code, message, details, and the reference the call was about."""

    def __init__(self, mesh: RemoteMesh, reference: str, status: int, body: Any) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            error = {"code": f"http-{status}", "message": f"HTTP {status}", "details": []}
        self.mesh = mesh
        self.reference = reference
        self.status = status
        self.code = str(error.get("code"))
        self.message = str(error.get("message"))
        self.details: list[dict[str, Any]] = list(error.get("details") or [])

    def lifecycle(self) -> MeshError:
        return LifecycleError(self.mesh.product(self.reference).lifecycle, self.message)

    def not_accepting(self) -> MeshError:
        record = self.mesh.product(self.reference)
        return NotAcceptingConsumers(record.reference, record.status, "", record.replaced_by)

    def invalid_event(self) -> MeshError:
        problems = [
            EventProblem(d.get("path", ""), d.get("rule", ""), d.get("reason", ""), d.get("index"))
            for d in self.details
        ] or [EventProblem("", "event", self.message)]
        return InvalidEvent(self.reference, "", problems, len(problems))

    def descriptor(self) -> MeshError:
        source = self.details[0].get("source", "request") if self.details else "request"
        problems = [
            DescriptorProblem(
                d.get("path", ""),
                d.get("message", ""),
                d.get("hint"),
                d.get("line"),
                d.get("column"),
            )
            for d in self.details
        ]
        return DescriptorInvalid(source, problems)


_ERRORS: dict[str, Callable[[_Refusal], MeshError]] = {
    "unauthenticated": lambda r: AuthenticationFailed(r.mesh.url, r.message),
    "forbidden": lambda r: RemotePermissionDenied(r.mesh.url, r.message),
    "product-not-found": lambda r: ProductNotFound(r.reference),
    "plan-refused": lambda r: PlanRefused([_plan_problem(d) for d in r.details]),
    "invalid-descriptor": _Refusal.descriptor,
    "invalid-product-source": lambda r: InvalidProductSource("request", r.message),
    "lifecycle-refused": _Refusal.lifecycle,
    "not-accepting-consumers": _Refusal.not_accepting,
    "invalid-event": _Refusal.invalid_event,
}
"""Error codes of the server's error table -> the ``MeshError`` a local mesh raises; the
server's message replaces the rebuilt one, so both read the same."""


class RemoteMesh:
    """A mesh reached through its server's REST API with an API token.

    Args:
        url: The server's base URL (``http://127.0.0.1:8080``).
        token: An API token (``streammesh token create``).
        timeout: Seconds an HTTP request may take (consume waits are added to it).
        client: An ``httpx.Client`` to send requests with (e.g. a test client), used with its
            own timeouts; by default the mesh makes and closes its own.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url: str = url.rstrip("/")
        self._timeout = timeout
        self._owned = client is None
        self._client = client or httpx.Client(timeout=timeout)
        self._headers = {"Authorization": f"Bearer {token}"}

    # -- HTTP -------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        reference: str = "",
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        wait: float = 0.0,
    ) -> Any:
        """Send one request to ``/api/v1<path>`` and return its JSON body.

        Raises:
            MeshError: the refusal as the mesh's own error class (see ``_ERRORS``).
            MeshUnreachable: no answer.
        """
        content = None if body is None else json.dumps(body, default=_json_default)
        headers = dict(self._headers)
        if content is not None:
            headers["Content-Type"] = "application/json"
        # A client given to the constructor keeps its own timeouts (test clients refuse any).
        request = self._client.build_request(
            method, f"{self.url}{API}{path}", params=params, content=content, headers=headers
        )
        if self._owned:
            request.extensions["timeout"] = httpx.Timeout(self._timeout + wait).as_dict()
        try:
            response = self._client.send(request)
        except httpx.HTTPError as exc:
            raise MeshUnreachable(self.url, str(exc) or type(exc).__name__) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.is_success:
            return answer
        refusal = _Refusal(self, reference, response.status_code, answer)
        build = _ERRORS.get(refusal.code)
        if build is None:
            raise RemoteRequestFailed(self.url, refusal.status, refusal.code, refusal.message)
        error = build(refusal)
        error.args = (refusal.message,)
        raise error

    # -- products ---------------------------------------------------------------------------------

    def product(self, reference: str) -> ProductRecord:
        """A product version (``name`` for its current one, or ``name.vN``)."""
        found = self.request("GET", f"/products/{_path(reference)}", reference=reference)
        return product_from_document(found["product"])

    def products(
        self, *, domain: str | None = None, status: Status | Iterable[Status] | None = None
    ) -> list[ProductRecord]:
        """Every product version of the mesh, optionally of one domain or some statuses."""
        statuses = [status] if isinstance(status, Status) else list(status or ())
        params: dict[str, Any] = {"status": [s.value for s in statuses]}
        if domain is not None:
            params["domain"] = domain
        return [product_from_document(d) for d in self.request("GET", "/products", params=params)]

    def search(self, query: str = "", **filters: Any) -> dict[str, Any]:
        """Catalog search: ``{"hits", "total", "facets", "limit", "offset"}``; filters as
        the REST API names them (``domain``, ``owner``, ``team``, ``tag``, ``quality``,
        ``sla_tier``, ``alignment``, ``status``, ``include_deprecated``, ``limit``,
        ``offset``)."""
        params = {name: value for name, value in filters.items() if value is not None}
        found: dict[str, Any] = self.request(
            "GET", "/products/search", params={"q": query, **params}
        )
        return found

    # -- plan and apply ---------------------------------------------------------------------------

    def plan(self, paths: Sequence[str | Path]) -> PlanSummary:
        """What ``apply(paths)`` would change; ``paths`` are descriptor files or folders."""
        return PlanSummary.from_document(self.request("POST", "/plan", body=_sources(paths)))

    def apply(self, paths: Sequence[str | Path]) -> PlanSummary:
        """Make the mesh match the descriptors under ``paths``; ``PlanRefused`` if it has
        errors (nothing changed)."""
        return PlanSummary.from_document(self.request("POST", "/apply", body=_sources(paths)))

    # -- lifecycle --------------------------------------------------------------------------------

    def deprecate(
        self, reference: str, *, reason: str, sunset: date, replacement: str | None = None
    ) -> ProductRecord:
        """Deprecate a published product (the token's principal is recorded as the actor)."""
        body = {"reason": reason, "sunset": sunset.isoformat(), "replacement": replacement}
        path = f"/products/{_path(reference)}/deprecate"
        return product_from_document(self.request("POST", path, reference=reference, body=body))

    def retire(self, reference: str, *, force: bool = False) -> ProductRecord:
        """Retire a deprecated product; ``force`` overrides active consumers (recorded)."""
        path = f"/products/{_path(reference)}/retire"
        answer = self.request("POST", path, reference=reference, body={"force": force})
        return product_from_document(answer)

    # -- data plane -------------------------------------------------------------------------------

    def producer(self, reference: str, *, batch_size: int = DEFAULT_BATCH) -> RemoteProducer:
        """A producer of the product (checked to exist now)."""
        return RemoteProducer(self, self.product(reference), batch_size)

    def consumer(
        self, reference: str, *, group: str, batch_size: int = DEFAULT_BATCH
    ) -> RemoteConsumer:
        """A consumer of the product as member of consumer ``group`` (registered as a
        consuming application on the first read)."""
        return RemoteConsumer(self, self.product(reference), group, batch_size)

    def close(self) -> None:
        """Release the HTTP connections (not a client given to the constructor)."""
        if self._owned:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class RemoteProducer:
    """Buffers events of one product and sends them in batches of ``batch_size``.

    Each batch is validated on the server and written all or nothing: an invalid event
    raises :class:`InvalidEvent` (indexes within the batch) and none of that batch is
    written. :meth:`flush` returning means every event sent so far is durable.
    """

    def __init__(self, mesh: RemoteMesh, record: ProductRecord, batch_size: int) -> None:
        self._mesh = mesh
        self.product = record.reference
        self._batch_size = max(batch_size, 1)
        self._buffer: list[dict[str, Any]] = []
        self._closed = False

    def send(self, event: Mapping[str, Any] | object) -> None:
        """Queue ``event`` (a mapping, dataclass or pydantic model); sends a full batch."""
        if self._closed:
            raise ClientClosed("producer", self.product)
        fields = event_fields(event)
        if fields is None:
            problem = EventProblem("", "event.type", f"is a {type(event).__name__}, not fields")
            raise InvalidEvent(self.product, "", [problem])
        self._buffer.append(fields)
        if len(self._buffer) >= self._batch_size:
            self.flush()

    def send_many(self, events: Iterable[Mapping[str, Any] | object]) -> int:
        """Queue every event; returns how many."""
        count = 0
        for event in events:
            self.send(event)
            count += 1
        return count

    def flush(self) -> None:
        """Send what is buffered; returns once the server answered it is durable."""
        if self._closed:
            raise ClientClosed("producer", self.product)
        batch, self._buffer = self._buffer, []
        if batch:
            path = f"/products/{_path(self.product)}/events"
            self._mesh.request("POST", path, reference=self.product, body={"events": batch})

    def close(self) -> None:
        """Flush and stop; a second call does nothing."""
        if not self._closed:
            try:
                self.flush()
            finally:
                self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class RemoteConsumer:
    """Reads one product's events for a consumer group through the server.

    Yields the same :class:`ProductEvent` as an in-process consumer (keys decoded per the
    product's key type; bytes inside values come as base64 text).
    """

    def __init__(
        self, mesh: RemoteMesh, record: ProductRecord, group: str, batch_size: int
    ) -> None:
        self._mesh = mesh
        self.product = record.reference
        self.group = group
        self._key_type = record.descriptor.key.type
        self._batch_size = max(batch_size, 1)
        self._pending: deque[ProductEvent] = deque()
        self._closed = False

    def poll(self, timeout: float = 1.0) -> ProductEvent | None:
        """The next event, or ``None`` if none arrived within ``timeout`` seconds."""
        if self._closed:
            raise ClientClosed("consumer", self.product)
        if not self._pending:
            self._fetch(self._batch_size, timeout)
        return self._pending.popleft() if self._pending else None

    def take(self, count: int, timeout: float = 10.0) -> list[ProductEvent]:
        """Up to ``count`` events: returns once it has ``count``, or after ``timeout``."""
        events: list[ProductEvent] = []
        deadline = time.monotonic() + timeout
        while len(events) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if not self._pending:
                self._fetch(min(count - len(events), self._batch_size), remaining)
            while self._pending and len(events) < count:
                events.append(self._pending.popleft())
        return events

    def __iter__(self) -> Iterator[ProductEvent]:
        """Every event, waiting for new ones, until the consumer is closed."""
        while not self._closed:
            event = self.poll(1.0)
            if event is not None:
                yield event

    def close(self) -> None:
        """Stop reading (the group's offsets were committed with each fetch)."""
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _fetch(self, count: int, timeout: float) -> None:
        wait = min(max(timeout, 0.0), 30.0)
        answer = self._mesh.request(
            "GET",
            f"/products/{_path(self.product)}/events",
            reference=self.product,
            params={"group": self.group, "max": min(count, 10_000), "timeout": wait},
            wait=wait,
        )
        self._pending.extend(self._event(document) for document in answer["events"])

    def _event(self, document: Mapping[str, Any]) -> ProductEvent:
        return ProductEvent(
            product=document["product"],
            key=_key(self._key_type, document["key"]),
            value=document["value"],
            partition=document["partition"],
            offset=document["offset"],
            timestamp=datetime.fromisoformat(document["timestamp"]),
            schema_id=document["schema_id"],
            headers=tuple(
                (header["name"], base64.b64decode(header["value"]))
                for header in document["headers"]
            ),
        )


def _key(key_type: KeyType, raw: str | int | None) -> Key | None:
    if raw is None:
        return None
    if key_type is KeyType.UUID:
        return uuid.UUID(str(raw))
    if key_type is KeyType.BYTES:
        return base64.b64decode(str(raw))
    if key_type in (KeyType.INT, KeyType.LONG):
        return int(raw)
    return str(raw)


def _sources(paths: Sequence[str | Path]) -> dict[str, Any]:
    files, findings = find_descriptors(paths)
    errors = [finding for finding in findings if finding.severity is FindingSeverity.ERROR]
    if errors:
        raise InvalidProductSource(errors[0].file, errors[0].message)
    return {
        "products": [
            {
                "descriptor": Path(source.origin).read_text(encoding="utf-8"),
                "schema": source.schema,
                "origin": source.origin,
            }
            for source in read_sources(files)
        ]
    }


def _path(reference: str) -> str:
    return quote(reference, safe="")


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


__all__ = [
    "AuthenticationFailed",
    "MeshUnreachable",
    "RemoteConsumer",
    "RemoteError",
    "RemoteMesh",
    "RemotePermissionDenied",
    "RemoteProducer",
    "RemoteRequestFailed",
]
