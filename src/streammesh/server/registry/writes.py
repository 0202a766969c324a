"""``RegistryWrites``: the schema registry's writes for one caller, as ``/registry`` serves them.

Three rules hold on top of the registry's own (see ``docs/schema-registry.md``):

- **Domains.** A subject belongs to a domain: the domain of the data product whose topic it
  names (``<topic>-value`` / ``<topic>-key``, any lifecycle status), else its first dotted
  segment when that is a registered domain. A principal that is not a platform admin or
  governance writes only subjects of its own teams' domains (``OutsideDomain``); a subject of
  no domain is free-form, as in a plain Confluent registry.
- **Products in use.** A product that is not retired writes and reads its events with its
  subjects: deleting such a subject (soft or permanent), deleting for good any of its versions,
  or soft-deleting the version the product uses is refused (``SubjectInUse``).
- **Audit.** Every write that changes something is recorded in the transaction that makes it
  (:class:`~streammesh.registry.audited.AuditRecorder`) and relayed to ``_mesh.events`` after
  the commit.

Global compatibility and mode are platform-admin and governance only; the routes check the role.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.access import DomainScope, domain_scope
from streammesh.audit import AuditLog
from streammesh.control import domains_table, products_table
from streammesh.identity import Principal
from streammesh.log import LogError
from streammesh.products import Status
from streammesh.registry import (
    AuditRecorder,
    CompatibilityLevel,
    RegistryMode,
    SchemaSubmission,
    SqlSchemaRegistry,
    SubjectInUse,
    SubjectNotFound,
    SubjectVersion,
    VersionNotFound,
    VersionSelector,
)
from streammesh.store import MetadataStore

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")

_SUFFIXES = ("-value", "-key")


@dataclass(frozen=True, slots=True)
class ProductUse:
    """A product version whose topic a subject names.

    Attributes:
        reference: ``<name>.v<version>``.
        domain: The product's domain.
        status: Its lifecycle status.
        schema_id: The registered schema id it writes with.
        schema_version: The version of its value subject that holds that schema.
    """

    reference: str
    domain: str
    status: str
    schema_id: int
    schema_version: int

    @property
    def live(self) -> bool:
        """Whether the product still writes or reads events (any status but retired)."""
        return self.status != Status.RETIRED.value


def topic_of(subject: str) -> str | None:
    """The topic a TopicNameStrategy subject names (``<topic>-value`` / ``<topic>-key``)."""
    for suffix in _SUFFIXES:
        if subject.endswith(suffix) and len(subject) > len(suffix):
            return subject[: -len(suffix)]
    return None


def product_uses(connection: Connection, subject: str) -> list[ProductUse]:
    """The product versions whose topic ``subject`` names (none for other subjects)."""
    topic = topic_of(subject)
    if topic is None:
        return []
    products = products_table
    rows = connection.execute(
        sa.select(
            products.c.name,
            products.c.version,
            products.c.domain,
            products.c.status,
            products.c.schema_id,
            products.c.schema_version,
        ).where(products.c.topic == topic)
    ).all()
    return [
        ProductUse(
            f"{row.name}.v{row.version}", row.domain, row.status, row.schema_id, row.schema_version
        )
        for row in rows
    ]


def subject_domain(connection: Connection, subject: str) -> str | None:
    """The domain ``subject`` belongs to, ``None`` for a free-form subject (see module doc)."""
    uses = product_uses(connection, subject)
    if uses:
        return uses[0].domain
    first = subject.split(".", 1)[0]
    domains = domains_table
    found = connection.execute(
        sa.select(domains.c.name).where(domains.c.name == first)
    ).scalar_one_or_none()
    return None if found is None else str(found)


class RegistryWrites:
    """The registry's writes as one principal makes them: domain scope, products in use, audit.

    Args:
        registry: The registry in the metadata store.
        principal: Who writes.
        relay: Appends committed audit rows to ``_mesh.events`` (``None``: left for the next
            relay, e.g. in an app built for the registry alone).
    """

    def __init__(
        self,
        registry: SqlSchemaRegistry,
        principal: Principal,
        relay: Callable[[], object] | None = None,
    ) -> None:
        self._store: MetadataStore = registry.store
        self._principal = principal
        self._relay = relay
        self._registry = registry.recording(AuditRecorder(AuditLog(self._store), principal.name))

    # -- the writes -----------------------------------------------------------------------------

    def register(
        self, subject: str, submission: SchemaSubmission, *, normalize: bool
    ) -> SubjectVersion:
        """Register a schema under a subject of the caller's domains."""
        self._check_domain(subject, "register a schema under subject")
        return self._relayed(
            lambda: self._registry.register(subject, submission, normalize=normalize)
        )

    def delete_subject(self, subject: str, *, permanent: bool) -> list[int]:
        """Delete a subject of the caller's domains that no live product uses."""
        self._check_domain(subject, "delete subject")
        with self._store.read() as connection:
            for use in product_uses(connection, subject):
                if use.live:
                    raise SubjectInUse(
                        subject, None, use.reference, use.status, permanent=permanent
                    )
        return self._relayed(lambda: self._registry.delete_subject(subject, permanent=permanent))

    def delete_version(self, subject: str, version: VersionSelector, *, permanent: bool) -> int:
        """Delete a version of a subject of the caller's domains, unless a live product needs
        it: any version for good, or the product's own version softly."""
        self._check_domain(subject, "delete a version of subject")
        with self._store.read() as connection:
            live = [use for use in product_uses(connection, subject) if use.live]
        for use in live:
            if permanent:
                raise SubjectInUse(
                    subject, _number(version), use.reference, use.status, permanent=True
                )
            target = self._soft_delete_target(subject, version)
            if target is not None and (
                target.version == use.schema_version or target.id == use.schema_id
            ):
                raise SubjectInUse(
                    subject, target.version, use.reference, use.status, permanent=False
                )
        return self._relayed(
            lambda: self._registry.delete_version(subject, version, permanent=permanent)
        )

    def set_compatibility(
        self, level: CompatibilityLevel, subject: str | None
    ) -> CompatibilityLevel:
        """Set a subject's (or, for ``None``, the global) compatibility level."""
        if subject is not None:
            self._check_domain(subject, "change the compatibility level of subject")
        return self._relayed(lambda: self._registry.set_compatibility(level, subject))

    def delete_compatibility(self, subject: str | None) -> CompatibilityLevel:
        """Remove a subject's own level (or reset the global one); answers the old one."""
        if subject is not None:
            self._check_domain(subject, "change the compatibility level of subject")
        return self._relayed(lambda: self._registry.delete_compatibility(subject))

    def set_mode(self, mode: RegistryMode, subject: str | None) -> RegistryMode:
        """Set a subject's (or, for ``None``, the global) mode."""
        if subject is not None:
            self._check_domain(subject, "change the mode of subject")
        return self._relayed(lambda: self._registry.set_mode(mode, subject))

    def delete_mode(self, subject: str | None) -> RegistryMode:
        """Remove a subject's own mode (or reset the global one); answers the old one."""
        if subject is not None:
            self._check_domain(subject, "change the mode of subject")
        return self._relayed(lambda: self._registry.delete_mode(subject))

    # -- the rules ------------------------------------------------------------------------------

    def _scope(self) -> DomainScope:
        return domain_scope(self._store, self._principal.name, self._principal.role)

    def _check_domain(self, subject: str, action: str) -> None:
        scope = self._scope()
        if scope.mesh_wide:
            return
        with self._store.read() as connection:
            domain = subject_domain(connection, subject)
        if domain is not None:
            scope.check(domain, action, subject)

    def _soft_delete_target(self, subject: str, version: VersionSelector) -> SubjectVersion | None:
        """The version a soft delete of ``version`` would hit (``None``: the registry answers
        the request with its own error)."""
        try:
            return self._registry.version(subject, version)
        except (SubjectNotFound, VersionNotFound):
            return None

    def _relayed(self, write: Callable[[], _T]) -> _T:
        result = write()
        if self._relay is not None:
            try:
                self._relay()
            except LogError as exc:  # committed: the next relay (or server start) sends it
                _LOGGER.warning("mesh events not relayed yet (will retry): %s", exc)
        return result


def _number(version: VersionSelector) -> int | None:
    return None if version == "latest" else int(version)


__all__ = [
    "ProductUse",
    "RegistryWrites",
    "product_uses",
    "subject_domain",
    "topic_of",
]
