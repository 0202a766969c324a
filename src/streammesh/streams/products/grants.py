"""The grants a stream application needs before it starts.

It runs as a service account, which needs an active read grant on every input product, and
must be a service account of each output product's owning team (or a platform admin) to write
it — the same checks the data plane makes on every consumer and producer, made once before
anything runs so a missing grant stops the start, named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from streammesh.access import AccessControl, AccessDenied
from streammesh.streams.products.errors import GrantMissing

__all__ = ["check_grants"]


def check_grants(
    grants: AccessControl,
    *,
    application: str,
    principal: str,
    inputs: Sequence[str],
    outputs: Sequence[tuple[str, str]],
) -> Mapping[str, bool]:
    """Check that ``principal`` may read every input and write every output.

    Args:
        grants: The mesh's grant checks.
        application: The stream application (named in the error).
        principal: The service account it runs as.
        inputs: The input product versions (``execution.stocktrades.v1``).
        outputs: Each output product version with its owning team.

    Returns:
        Per input, whether its grant includes classified fields in clear (else the
        application computes over their placeholders).

    Raises:
        GrantMissing: the first grant missing, inputs first.
    """
    clear: dict[str, bool] = {}
    for reference in inputs:
        grant = grants.read_grant(principal, reference)
        if grant is None:
            raise GrantMissing(application, principal, reference, write=False)
        clear[reference] = grant.classified
    for reference, team in outputs:
        try:
            grants.check_write(principal, reference, team)
        except AccessDenied:
            raise GrantMissing(application, principal, reference, write=True) from None
    return clear
