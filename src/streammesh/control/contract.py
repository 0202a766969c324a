"""``ProductContract``: what a producer or consumer of a data product needs to know about it."""

from __future__ import annotations

from dataclasses import dataclass

from streammesh.products import EventKind, KeyType, Status


@dataclass(frozen=True, slots=True)
class ProductContract:
    """The data-plane view of one version of a published data product.

    The SDK's producers and consumers are built from it: which topic to write to or read
    from, which registry subject holds the value schema, and how the key is taken from an
    event. The control plane builds it from what ``apply`` stored, never from a file.

    Attributes:
        name: ``domain.product``, e.g. ``execution.stocktrades``.
        version: Major version (``execution.stocktrades`` v2 lives in topic ``...v2``).
        topic: The stream's topic, ``<name>.v<version>``.
        value_subject: The registry subject of the value schema, ``<topic>-value``.
        key_field: The field of each event that its key is taken from (dotted path).
        key_type: How the key is encoded on the wire.
        kind: What each event says (state, delta, measurement, notification).
        status: Lifecycle stage; consumers may not newly subscribe to deprecated products.
        team: The owning team (the only one whose applications may produce).
    """

    name: str
    version: int
    topic: str
    value_subject: str
    key_field: str
    key_type: KeyType
    kind: EventKind
    status: Status
    team: str

    @property
    def reference(self) -> str:
        """``<name>.v<version>``, the way messages and lineage name this product version."""
        return f"{self.name}.v{self.version}"
