"""Errors of the control plane. Each names the product (and version) and what to do next.

::

    ControlError
    ├── ProductNotFound         no product (version) of that name was applied
    ├── PlanRefused             apply/plan found problems that block it; nothing was changed
    ├── NotAcceptingConsumers   a new consumer of a deprecated or retired product
    ├── ConsumerGroupTaken      a consumer group another principal registered
    ├── InvalidProductSource    a descriptor/schema pair sent to the API is unusable
    ├── ConcurrentChange        the product changed between plan and apply
    └── TransferNotOffered      a new team's owner accepts a transfer nobody offered
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from streammesh.errors import MeshError

if TYPE_CHECKING:
    from streammesh.control.plan import PlanProblem
    from streammesh.products import Status


class ControlError(MeshError):
    """Base of the control plane's errors."""


class ProductNotFound(ControlError):
    """No product of that name (and version) has been applied to the mesh."""

    def __init__(self, reference: str, known: Sequence[str] = ()) -> None:
        self.reference = reference
        hint = "; 'streammesh products list' shows the products of the mesh"
        if known:
            hint = f"; did you mean {', '.join(repr(name) for name in known)}?"
        super().__init__(f"product '{reference}' is not in the mesh{hint}")


class PlanRefused(ControlError):
    """The plan has errors; apply changed nothing."""

    def __init__(self, problems: Sequence[PlanProblem]) -> None:
        self.problems = tuple(problems)
        listed = "; ".join(problem.render() for problem in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"nothing was applied: {len(self.problems)} problem(s): {listed}{more}")


class NotAcceptingConsumers(ControlError):
    """A new application asked to consume a deprecated or retired product."""

    def __init__(
        self, reference: str, status: Status, application: str, replacement: str | None
    ) -> None:
        self.reference = reference
        self.status = status
        self.application = application
        self.replacement = replacement
        move = f"; consume '{replacement}' instead" if replacement else ""
        super().__init__(
            f"product '{reference}' is {status} and takes no new consumers, so application "
            f"'{application}' cannot start reading it{move}"
        )


class InvalidProductSource(ControlError):
    """A descriptor and schema sent for planning cannot be used."""

    def __init__(self, origin: str, reason: str) -> None:
        self.origin = origin
        self.reason = reason
        super().__init__(f"{origin}: {reason}")


class ConcurrentChange(ControlError):
    """The product changed between planning and applying (another apply ran at once)."""

    def __init__(self, reference: str) -> None:
        self.reference = reference
        super().__init__(
            f"product '{reference}' was changed by someone else while this apply ran; "
            "run plan and apply again"
        )


class ConsumerGroupTaken(ControlError):
    """A principal asked to read (or commit) under a consumer group that another principal
    registered with the product: the group's offsets are its owner's."""

    def __init__(self, reference: str, group: str, owner: str, principal: str) -> None:
        self.reference = reference
        self.group = group
        self.owner = owner
        self.principal = principal
        super().__init__(
            f"consumer group '{group}' of '{reference}' belongs to '{owner}', who registered "
            f"it; '{principal}' may not read or commit under it: use a group of its own "
            "(e.g. named after the application)"
        )


class TransferNotOffered(ControlError):
    """A domain owner of the new team asked for a product its current team did not offer."""

    def __init__(self, reference: str, current_team: str, team: str) -> None:
        self.reference = reference
        self.current_team = current_team
        self.team = team
        super().__init__(
            f"team '{current_team}' has not offered product '{reference}' to team '{team}'; a "
            f"domain owner of '{current_team}' offers it first (the same transfer), or "
            "governance or a platform admin transfers it"
        )
