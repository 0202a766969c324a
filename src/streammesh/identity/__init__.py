"""Identity: API tokens for principals (users, teams, service accounts) and their roles.

Errors::

    IdentityError
    ├── TokenNotFound
    ├── InvalidTokenRequest
    ├── AccountNotFound
    ├── AccountExists
    └── InvalidAccount
"""

from __future__ import annotations

from streammesh.identity.accounts import Account, AccountKind, AccountStore
from streammesh.identity.errors import (
    AccountExists,
    AccountNotFound,
    IdentityError,
    InvalidAccount,
    InvalidTokenRequest,
    TokenNotFound,
)
from streammesh.identity.roles import Role
from streammesh.identity.tokens import IssuedToken, Principal, TokenInfo, TokenStore

__all__ = [
    "Account",
    "AccountExists",
    "AccountKind",
    "AccountNotFound",
    "AccountStore",
    "IdentityError",
    "InvalidAccount",
    "InvalidTokenRequest",
    "IssuedToken",
    "Principal",
    "Role",
    "TokenInfo",
    "TokenNotFound",
    "TokenStore",
]
