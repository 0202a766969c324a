"""Who may ask for access and who may decide on it.

- Requesting for an application: the application's own service account, a user account of
  the application's team, or a platform admin / governance principal.
- Approving, rejecting and revoking: a platform admin, governance, or a domain owner — a
  principal with the ``domain-owner`` role whose user account belongs to the product's owning
  team. Members and consumers may not; nor may service accounts, so an application can never
  grant itself access.
"""

from __future__ import annotations

from dataclasses import dataclass

from streammesh.access.errors import NotAllowedToDecide
from streammesh.identity import Account, AccountKind, Role

OVERSEERS = frozenset({Role.PLATFORM_ADMIN, Role.GOVERNANCE})


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks the access service for something: a principal name and its token's role.

    The command line working on a mesh directory acts as ``Caller(cli_actor(),
    Role.PLATFORM_ADMIN)``: whoever can open the store could change it anyway.
    """

    name: str
    role: Role


def check_may_decide(
    caller: Caller, caller_account: Account | None, owning_team: str, action: str, product: str
) -> None:
    """Raise ``NotAllowedToDecide`` unless ``caller`` may approve/reject/revoke for a product
    owned by ``owning_team``."""
    if caller.role in OVERSEERS:
        return
    if (
        caller.role is Role.DOMAIN_OWNER
        and caller_account is not None
        and caller_account.kind is AccountKind.USER
        and caller_account.team == owning_team
    ):
        return
    raise NotAllowedToDecide(
        caller.name,
        action,
        product,
        f"a domain owner of team '{owning_team}', governance or a platform admin",
    )


def check_may_request_as(
    caller: Caller, caller_account: Account | None, application: Account, product: str
) -> None:
    """Raise ``NotAllowedToDecide`` unless ``caller`` may request for ``application``."""
    if caller.role in OVERSEERS or caller.name == application.name:
        return
    if (
        caller_account is not None
        and caller_account.kind is AccountKind.USER
        and caller_account.team is not None
        and caller_account.team == application.team
    ):
        return
    raise NotAllowedToDecide(
        caller.name,
        "request",
        product,
        f"the application '{application.name}' itself, a user of team "
        f"'{application.team}', governance or a platform admin",
    )
