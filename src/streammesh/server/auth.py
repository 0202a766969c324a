"""Who is calling: API tokens from ``Authorization`` headers, and who may do what.

A token travels as ``Authorization: Bearer <token>``, or as the password of HTTP basic auth
(the user name is ignored), which is what Confluent clients send from ``basic.auth.user.info``
— so ``confluent_kafka.schema_registry`` works against ``/registry`` unchanged. Both schemes
are declared to FastAPI, so the OpenAPI document says how to authenticate.

Failed sign-ins (a request whose credentials are refused, or a refused token on the web UI's
sign-in form) are logged with the client address, never the secret, and counted per client
address: after :data:`FAILED_SIGN_IN_LIMIT` failures within :data:`FAILED_SIGN_IN_WINDOW_S`
seconds, every further attempt with credentials from that address is answered 429 with
``Retry-After`` until the oldest failure leaves the window. The count is kept in each server
process's memory (see ``docs/decisions.md``): behind a load balancer with N replicas an
address gets up to N times the limit, and a restart forgets it.

Checking a token is on every request's path: :func:`authenticate` runs on the event loop and
answers from the tokens the server's :class:`~streammesh.identity.TokenStore` verified in the
last few seconds (:data:`~streammesh.identity.tokens.SERVER_REMEMBER_S`); only a token it does
not remember is looked up in the store, in a worker thread. A revocation in this process is
seen at once; one made by another process within those seconds.
"""

from __future__ import annotations

import binascii
import logging
import math
import threading
import time
from base64 import b64decode
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from streammesh.identity import Principal, Role, TokenStore
from streammesh.server.context import server_context
from streammesh.server.errors import (
    AuthenticationRequired,
    PermissionDenied,
    TooManyFailedSignIns,
)

_LOGGER = logging.getLogger(__name__)

FAILED_SIGN_IN_LIMIT = 10
"""Failed sign-ins one client address may make within the window before it gets 429."""
FAILED_SIGN_IN_WINDOW_S = 60.0
"""The sliding window failed sign-ins are counted in."""
_MAX_ADDRESSES = 10_000
"""Addresses remembered at once; the least recently failing are forgotten first."""


class _DeclaredBasic(HTTPBasic):
    """HTTP basic, declared for the OpenAPI document; :func:`token_from_header` parses it
    (FastAPI's parser would answer malformed credentials with its own 401 shape)."""

    async def __call__(self, request: HTTPConnection) -> None:
        return None


_bearer_scheme = HTTPBearer(
    auto_error=False, description="An API token: `Authorization: Bearer sm_...`."
)
_basic_scheme = _DeclaredBasic(
    auto_error=False,
    description="HTTP basic auth with an API token as the password (any user name); "
    "what Confluent clients send from `basic.auth.user.info`.",
)

WRITER_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.GOVERNANCE, Role.DOMAIN_OWNER})
"""Roles that may change the registry (register, delete, config, mode)."""


class FailedSignIns:
    """Failed sign-ins per client address over a sliding window, in this process's memory.

    Args:
        limit: Failures allowed within ``window_s`` seconds.
        window_s: The window.
        clock: Seconds from a monotonic clock (tests pass their own).
    """

    def __init__(
        self,
        limit: int = FAILED_SIGN_IN_LIMIT,
        window_s: float = FAILED_SIGN_IN_WINDOW_S,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # sync routes run in a thread pool

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or ``None`` when it may try now."""
        now = self._clock()
        with self._lock:
            failures = self._failures.get(address)
            if failures is None:
                return None
            while failures and failures[0] <= now - self._window_s:
                failures.popleft()
            if not failures:
                del self._failures[address]
                return None
            if len(failures) < self._limit:
                return None
            return max(1, math.ceil(failures[0] + self._window_s - now))

    def failed(self, address: str, where: str, reason: str) -> None:
        """Count and log one failed sign-in of ``address`` at ``where`` (a path)."""
        _LOGGER.warning("failed sign-in from %s to %s: %s", address, where, reason)
        with self._lock:
            failures = self._failures.pop(address, None) or deque()
            failures.append(self._clock())
            while len(failures) > self._limit:
                failures.popleft()
            self._failures[address] = failures  # most recent last
            while len(self._failures) > _MAX_ADDRESSES:
                self._failures.popitem(last=False)


def failed_sign_ins(request: HTTPConnection) -> FailedSignIns:
    """The failed sign-in counter of the app serving ``request`` (made when first needed)."""
    counter = getattr(request.app.state, "streammesh_failed_sign_ins", None)
    if not isinstance(counter, FailedSignIns):
        counter = FailedSignIns()
        request.app.state.streammesh_failed_sign_ins = counter
    return counter


def client_address(request: HTTPConnection) -> str:
    """The address the request came from (the proxy's, behind one)."""
    return request.client.host if request.client is not None else "unknown"


def check_sign_in_allowed(request: HTTPConnection) -> None:
    """Raise :class:`TooManyFailedSignIns` when the client's address failed too often."""
    address = client_address(request)
    wait = failed_sign_ins(request).retry_after(address)
    if wait is not None:
        raise TooManyFailedSignIns(address, wait)


def token_from_header(authorization: str | None) -> str:
    """The token carried by an ``Authorization`` header value.

    Raises:
        AuthenticationRequired: no header, an unknown scheme, or malformed basic credentials.
    """
    if not authorization:
        raise AuthenticationRequired("no credentials")
    scheme, param = get_authorization_scheme_param(authorization)
    if scheme.lower() == "bearer" and param:
        return param
    if scheme.lower() == "basic" and param:
        try:
            decoded = b64decode(param, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationRequired("malformed basic credentials") from None
        _user, separator, password = decoded.partition(":")
        if separator and password:
            return password
        raise AuthenticationRequired("basic credentials without a token as the password")
    raise AuthenticationRequired("unsupported authorization scheme; use Bearer or Basic")


def authenticate_now(request: Request) -> Principal:
    """The caller's :class:`Principal`, asking the token store on this thread (for sync code
    outside the dependency system, e.g. ``/metrics``).

    Raises:
        AuthenticationRequired: no credentials, or refused ones (counted and logged).
        TooManyFailedSignIns: credentials from an address that failed too often lately.
    """
    secret = _secret_of(request)
    return _accepted(request, server_context(request).tokens.verify(secret))


async def authenticate(
    request: Request,
    # Declared only so the OpenAPI document lists both schemes; the header is parsed below.
    _bearer: Annotated[object, Depends(_bearer_scheme)] = None,
    _basic: Annotated[object, Depends(_basic_scheme)] = None,
) -> Principal:
    """FastAPI dependency: the caller's :class:`Principal`.

    A token the server verified in the last few seconds is accepted without a store query;
    any other is looked up in a worker thread, so the event loop never waits for the store.

    Raises:
        AuthenticationRequired: no credentials, or refused ones (counted and logged).
        TooManyFailedSignIns: credentials from an address that failed too often lately
            (not even checked).
    """
    secret = _secret_of(request)
    tokens = server_context(request).tokens
    if isinstance(tokens, TokenStore):
        remembered = tokens.remembered(secret)
        if remembered is not None:
            return remembered
    return _accepted(request, await run_in_threadpool(tokens.verify, secret))


def _secret_of(request: HTTPConnection) -> str:
    """The token of the request's ``Authorization`` header, once the address may sign in."""
    authorization = request.headers.get("Authorization")
    if not authorization:
        raise AuthenticationRequired("no credentials")
    check_sign_in_allowed(request)
    try:
        return token_from_header(authorization)
    except AuthenticationRequired as refused:
        _count_failure(request, refused)
        raise


def _accepted(request: HTTPConnection, principal: Principal | None) -> Principal:
    if principal is None:
        refused = AuthenticationRequired("the token is unknown, revoked or expired")
        _count_failure(request, refused)
        raise refused
    return principal


def _count_failure(request: HTTPConnection, refused: AuthenticationRequired) -> None:
    failed_sign_ins(request).failed(client_address(request), request.url.path, refused.reason)


def require_role(allowed: Iterable[Role]) -> Callable[[Principal], Awaitable[Principal]]:
    """A FastAPI dependency that lets through only principals with one of ``allowed``."""
    roles = frozenset(allowed)

    # Async: nothing here blocks, and a sync dependency would cost a worker-thread hop.
    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in roles:
            raise PermissionDenied(principal.name, str(principal.role), sorted(roles))
        return principal

    return check


Reader = Annotated[Principal, Depends(authenticate)]
"""Any valid token."""

Writer = Annotated[Principal, Depends(require_role(WRITER_ROLES))]
"""A token whose role may change the registry."""
