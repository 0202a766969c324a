"""Consumer groups belong to the application that registered them.

A consumer group's committed offsets decide where every member reads next, so whoever may
read or commit under a group can make its owner skip events. The first principal that
registers a consumer group with a product version (``mesh_applications.principal``) owns
it; registering (and so reading or committing) under it as another principal is refused
with :class:`~streammesh.control.errors.ConsumerGroupTaken`, whatever that principal's role.
The mesh's own background groups (the notifier and SLO checker on ``_mesh.events``) read no
product and are never registered here.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.control.errors import ConsumerGroupTaken
from streammesh.control.records import ApplicationRole
from streammesh.control.tables import applications


def group_owner(connection: Connection, reference: tuple[str, int], group: str) -> str | None:
    """The principal that registered consumer group ``group`` with a product version first
    (an application of that name, or one that named the group), or ``None``."""
    name, version = reference
    query = (
        sa.select(applications.c.principal)
        .where(
            applications.c.product == name,
            applications.c.version == version,
            applications.c.role == ApplicationRole.CONSUMER.value,
            sa.or_(applications.c.name == group, applications.c.consumer_group == group),
        )
        .order_by(applications.c.first_seen)
        .limit(1)
    )
    return connection.execute(query).scalar_one_or_none()


def check_group_owner(
    connection: Connection,
    reference: tuple[str, int],
    product: str,
    group: str | None,
    principal: str,
) -> None:
    """Refuse ``principal`` a consumer group another principal registered with the product.

    Raises:
        ConsumerGroupTaken: ``group`` belongs to another principal.
    """
    if group is None:
        return
    owner = group_owner(connection, reference, group)
    if owner is not None and owner != principal:
        raise ConsumerGroupTaken(product, group, owner, principal)
