"""Identity: API tokens for principals (users, teams, service accounts), their roles, and the
web UI's server-side sessions.

Errors::

    IdentityError
    ├── TokenNotFound
    ├── InvalidTokenRequest
    ├── TokenChangeRefused
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
    TokenChangeRefused,
    TokenNotFound,
)
from streammesh.identity.roles import Role
from streammesh.identity.sessions import SESSION_LIFETIME, SessionStore
from streammesh.identity.tables import accounts as accounts_table
from streammesh.identity.tokens import (
    SERVER_REMEMBER_S,
    IssuedToken,
    Principal,
    TokenInfo,
    TokenStore,
)

__all__ = [
    "SERVER_REMEMBER_S",
    "SESSION_LIFETIME",
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
    "SessionStore",
    "TokenChangeRefused",
    "TokenInfo",
    "TokenNotFound",
    "TokenStore",
    "accounts_table",
]
