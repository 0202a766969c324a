"""``/whoami``: the caller as the server sees it."""

from __future__ import annotations

from pydantic import BaseModel

from streammesh.identity import Role


class WhoAmI(BaseModel):
    """The principal behind the token of the request."""

    name: str
    role: Role
    token_id: str
