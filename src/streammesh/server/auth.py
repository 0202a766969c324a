"""Who is calling: API tokens from ``Authorization`` headers, and who may do what.

A token travels as ``Authorization: Bearer <token>``, or as the password of HTTP basic auth
(the user name is ignored), which is what Confluent clients send from ``basic.auth.user.info``
— so ``confluent_kafka.schema_registry`` works against ``/registry`` unchanged. Both schemes
are declared to FastAPI, so the OpenAPI document says how to authenticate.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import HTTPConnection

from streammesh.identity import Principal, Role
from streammesh.server.context import server_context
from streammesh.server.errors import AuthenticationRequired, PermissionDenied


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


def authenticate(
    request: Request,
    # Declared only so the OpenAPI document lists both schemes; the header is parsed below.
    _bearer: Annotated[object, Depends(_bearer_scheme)] = None,
    _basic: Annotated[object, Depends(_basic_scheme)] = None,
) -> Principal:
    """FastAPI dependency: the caller's :class:`Principal`, or ``AuthenticationRequired``."""
    secret = token_from_header(request.headers.get("Authorization"))
    principal = server_context(request).tokens.verify(secret)
    if principal is None:
        raise AuthenticationRequired("the token is unknown, revoked or expired")
    return principal


def require_role(allowed: Iterable[Role]) -> Callable[[Principal], Principal]:
    """A FastAPI dependency that lets through only principals with one of ``allowed``."""
    roles = frozenset(allowed)

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in roles:
            raise PermissionDenied(principal.name, str(principal.role), sorted(roles))
        return principal

    return check


Reader = Annotated[Principal, Depends(authenticate)]
"""Any valid token."""

Writer = Annotated[Principal, Depends(require_role(WRITER_ROLES))]
"""A token whose role may change the registry."""
