"""``RemoteMesh``: the SDK over a streammesh server's REST API (``/api/v1``).

The same operations as a mesh opened in-process, for clients that reach the mesh only over
HTTP (e.g. a laptop using a team's server, or any client of an embedded mesh, whose log lives
on the server's disk). Records come back as the core types (``ProductRecord``,
``PlanSummary``, ``ProductEvent``) and refusals as the same ``MeshError`` classes, so code
written against a local mesh runs unchanged.

Remote produce buffers events and sends them in batches; ``flush()`` returning means the
server answered that they are durable. Each batch carries an ``Idempotency-Key``, so a batch
the server did not answer is sent again (a few times) without being written twice. Remote
consume reads through the group's member the server keeps open, which commits the group's
offsets before answering, so an event fetched into a consumer's buffer counts as consumed
for the group even if the client stops before returning it (at most once for that buffer;
``batch_size=1`` narrows it to one event).

Example:
    >>> with RemoteMesh("http://127.0.0.1:8080", token) as mesh:  # doctest: +SKIP
    ...     with mesh.producer("execution.stocktrades") as producer:
    ...         producer.send({"trade_id": "t-1", "symbol": "ACME", "price": 12.5})
    ...     for event in mesh.consumer("execution.stocktrades", group="risk").take(10, 5):
    ...         print(event.key, event.value)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, Self

import httpx
import orjson

from streammesh.catalog import SearchResult
from streammesh.control import (
    ApplicationRecord,
    DomainRecord,
    PlanSummary,
    ProductRecord,
    TeamRecord,
    application_from_document,
    domain_from_document,
    product_from_document,
    read_product_sources,
    team_from_document,
)
from streammesh.products import Status
from streammesh.sdk.errors import MeshUnreachable, NotServedRemotely, RemoteRequestFailed
from streammesh.sdk.remote.access import RemoteAccess
from streammesh.sdk.remote.accounts import RemoteAccounts
from streammesh.sdk.remote.clients import RemoteConsumer, RemoteProducer
from streammesh.sdk.remote.connectors import RemoteConnectors
from streammesh.sdk.remote.governance import RemoteGovernance
from streammesh.sdk.remote.lineage import RemoteLineage
from streammesh.sdk.remote.monitoring import RemoteMonitoring
from streammesh.sdk.remote.notifications import RemoteNotifications
from streammesh.sdk.remote.privacy import RemotePrivacy
from streammesh.sdk.remote.refusals import ERRORS, Refusal
from streammesh.sdk.remote.streams import RemoteStreams
from streammesh.sdk.remote.tokens import RemoteTokens
from streammesh.sdk.remote.wire import API, json_default, path_segment

DEFAULT_BATCH = 500
"""Events per request of a remote producer or consumer (a consumer's read that comes back
short of it, as larger ones do on Kafka while the fetch catches up, makes the server's member
of the group leave, and the next read joins again)."""


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
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request to ``/api/v1<path>`` (with extra ``headers``) and return its JSON
        body.

        Raises:
            MeshError: the refusal as the mesh's own error class (see ``ERRORS``).
            MeshUnreachable: no answer.
        """
        content = None if body is None else json.dumps(body, default=json_default)
        sent = {**self._headers, **(headers or {})}
        if content is not None:
            sent["Content-Type"] = "application/json"
        # A client given to the constructor keeps its own timeouts (test clients refuse any).
        request = self._client.build_request(
            method, f"{self.url}{API}{path}", params=params, content=content, headers=sent
        )
        if self._owned:
            request.extensions["timeout"] = httpx.Timeout(self._timeout + wait).as_dict()
        try:
            response = self._client.send(request)
        except httpx.HTTPError as exc:
            raise MeshUnreachable(self.url, str(exc) or type(exc).__name__) from None
        try:
            answer = orjson.loads(response.content)  # a consume's 10,000 events parse fast
        except orjson.JSONDecodeError:
            answer = None
        if response.is_success:
            return answer
        refusal = Refusal(self, reference, response.status_code, answer)
        build = ERRORS.get(refusal.code)
        if build is None:
            raise RemoteRequestFailed(self.url, refusal.status, refusal.code, refusal.message)
        error = build(refusal)
        error.args = (refusal.message,)
        raise error

    def connect_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> tuple[int, Any]:
        """Send one request to ``/connect<path>`` (Kafka Connect's shapes); its status and JSON
        body (``None`` when empty), refusals included (see :mod:`.connectors`).

        Raises:
            MeshUnreachable: no answer.
        """
        content = None if body is None else json.dumps(body, default=json_default)
        headers = dict(self._headers)
        if content is not None:
            headers["Content-Type"] = "application/json"
        request = self._client.build_request(
            method, f"{self.url}/connect{path}", params=params, content=content, headers=headers
        )
        if self._owned:
            request.extensions["timeout"] = httpx.Timeout(self._timeout).as_dict()
        try:
            response = self._client.send(request)
        except httpx.HTTPError as exc:
            raise MeshUnreachable(self.url, str(exc) or type(exc).__name__) from None
        try:
            answer = response.json() if response.content else None
        except ValueError:
            answer = None
        return response.status_code, answer

    # -- products ---------------------------------------------------------------------------------

    def product(self, reference: str) -> ProductRecord:
        """A product version (``name`` for its current one, or ``name.vN``)."""
        found = self.request("GET", f"/products/{path_segment(reference)}", reference=reference)
        return product_from_document(found["product"])

    def products(
        self, *, domain: str | None = None, statuses: frozenset[Status] | None = None
    ) -> list[ProductRecord]:
        """Every product version of the mesh, optionally of one domain or some statuses."""
        params: dict[str, Any] = {"status": sorted(s.value for s in statuses or ())}
        if domain is not None:
            params["domain"] = domain
        return [product_from_document(d) for d in self.request("GET", "/products", params=params)]

    def search(self, query: str = "", **filters: Any) -> SearchResult:
        """Catalog search with facet counts; filters as :meth:`Catalog.search` names them
        (``domain``, ``owner``, ``team``, ``tags``, ``quality``, ``sla_tier``,
        ``alignment``, ``status``, ``include_deprecated``, ``limit``, ``offset``)."""
        params = {
            ("tag" if name == "tags" else name): value
            for name, value in filters.items()
            if value is not None
        }
        found = self.request("GET", "/products/search", params={"q": query, **params})
        return SearchResult.from_document(found)

    def applications(self, reference: str) -> list[tuple[ApplicationRecord, bool]]:
        """The applications registered with a product version, each with whether it is
        active."""
        path = f"/products/{path_segment(reference)}/applications"
        answer = self.request("GET", path, reference=reference)
        return [application_from_document(document) for document in answer]

    # -- domains and teams ------------------------------------------------------------------------

    def domains(self) -> list[DomainRecord]:
        return [domain_from_document(d) for d in self.request("GET", "/domains")]

    def teams(self, *, domain: str | None = None) -> list[TeamRecord]:
        params = {"domain": domain} if domain is not None else None
        return [team_from_document(d) for d in self.request("GET", "/teams", params=params)]

    def register_domain(self, name: str, *, description: str | None = None) -> DomainRecord:
        body = {"name": name, "description": description}
        return domain_from_document(self.request("POST", "/domains", body=body))

    def register_team(
        self,
        name: str,
        *,
        domain: str | None = None,
        email: str | None = None,
        description: str | None = None,
    ) -> TeamRecord:
        body = {"name": name, "domain": domain, "email": email, "description": description}
        return team_from_document(self.request("POST", "/teams", body=body))

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
        path = f"/products/{path_segment(reference)}/deprecate"
        return product_from_document(self.request("POST", path, reference=reference, body=body))

    def retire(self, reference: str, *, force: bool = False) -> ProductRecord:
        """Retire a deprecated product; ``force`` overrides active consumers (recorded)."""
        path = f"/products/{path_segment(reference)}/retire"
        answer = self.request("POST", path, reference=reference, body={"force": force})
        return product_from_document(answer)

    def transfer(self, reference: str, *, team: str, note: str | None = None) -> ProductRecord:
        """Give a product (every version) to another team of its domain; returns its current
        version (still of the old team when a domain owner's call only offered it)."""
        path = f"/products/{path_segment(reference)}/owner"
        answer = self.request("POST", path, reference=reference, body={"team": team, "note": note})
        return product_from_document(answer)

    # -- data plane -------------------------------------------------------------------------------

    def producer(self, reference: str, *, batch_size: int = DEFAULT_BATCH) -> RemoteProducer:
        """A producer of the product (checked to exist now)."""
        return RemoteProducer(self, self.product(reference), batch_size)

    def consumer(
        self, reference: str, group: str, *, batch_size: int = DEFAULT_BATCH
    ) -> RemoteConsumer:
        """A consumer of the product as member of consumer ``group`` (registered as a
        consuming application on the first read)."""
        return RemoteConsumer(self, self.product(reference), group, batch_size)

    # -- stream processing ------------------------------------------------------------------------

    def stream(self, reference: str) -> NoReturn:
        """Refused: stream applications run where the mesh is opened in-process."""
        raise self._no_streams()

    def table(self, reference: str) -> NoReturn:
        """Refused: stream applications run where the mesh is opened in-process."""
        raise self._no_streams()

    @property
    def streams(self) -> RemoteStreams:
        """The stream applications the server hosts: deploy, list, status, stop, start,
        reset, delete (Python DSL pipelines are built in-process only)."""
        return RemoteStreams(self)

    def _no_streams(self) -> NotServedRemotely:
        return NotServedRemotely(
            self.url,
            "stream processing (mesh.stream, mesh.table, mesh.streams)",
            "pipelines are built where the mesh is opened in-process (Mesh.open), or run with"
            " 'streammesh streams run module:pipeline --name APP' on the mesh's host; a SQL"
            " script can be deployed to the server with mesh.streams.deploy(name, sql)",
        )

    @property
    def connectors(self) -> RemoteConnectors:
        """The mesh's connectors over ``/connect``: create, list, status, config, pause,
        resume, restart, delete."""
        return RemoteConnectors(self)

    @property
    def notifications(self) -> RemoteNotifications:
        """Subscriptions, the inbox, dead letters and incidents, as the token's principal."""
        return RemoteNotifications(self)

    @property
    def privacy(self) -> RemotePrivacy:
        """Crypto-shredding, as the token's principal."""
        return RemotePrivacy(self)

    @property
    def governance(self) -> RemoteGovernance:
        return RemoteGovernance(self)

    @property
    def lineage(self) -> RemoteLineage:
        return RemoteLineage(self)

    @property
    def monitoring(self) -> RemoteMonitoring:
        return RemoteMonitoring(self)

    @property
    def access(self) -> RemoteAccess:
        """Access requests and grants, decided as the token's principal."""
        return RemoteAccess(self)

    @property
    def accounts(self) -> RemoteAccounts:
        """Users and service accounts, created as the token's principal."""
        return RemoteAccounts(self)

    @property
    def tokens(self) -> RemoteTokens:
        """API tokens the token's principal may manage."""
        return RemoteTokens(self)

    def close(self) -> None:
        """Release the HTTP connections (not a client given to the constructor)."""
        if self._owned:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _sources(paths: Sequence[str | Path]) -> dict[str, Any]:
    """The request body of ``/plan`` and ``/apply``: each descriptor under ``paths`` as written,
    with its schema (read once, refused with the words ``validate`` uses)."""
    return {
        "products": [
            {"descriptor": source.text, "schema": source.schema, "origin": source.origin}
            for source in read_product_sources(paths)
        ]
    }
