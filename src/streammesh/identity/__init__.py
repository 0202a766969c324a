"""Identity: API tokens for principals (users, teams, service accounts) and their roles.

Errors::

    IdentityError
    ├── TokenNotFound
    └── InvalidTokenRequest
"""

from __future__ import annotations

from streammesh.identity.errors import IdentityError, InvalidTokenRequest, TokenNotFound
from streammesh.identity.roles import Role
from streammesh.identity.tokens import IssuedToken, Principal, TokenInfo, TokenStore

__all__ = [
    "IdentityError",
    "InvalidTokenRequest",
    "IssuedToken",
    "Principal",
    "Role",
    "TokenInfo",
    "TokenNotFound",
    "TokenStore",
]
