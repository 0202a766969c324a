"""``AuditAction``: the closed set of control-plane changes, named as their event types."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    """What changed. The value is the event's ``type`` on ``_mesh.events`` and in the REST API,
    so values are part of the public contract: add members, never rename one."""

    DOMAIN_REGISTERED = "domain.registered"
    TEAM_REGISTERED = "team.registered"
    PRODUCT_CREATED = "product.created"
    """The first apply of a product version (status draft or published)."""
    PRODUCT_UPDATED = "product.updated"
    """Metadata of the descriptor changed."""
    PRODUCT_PUBLISHED = "product.published"
    PRODUCT_DEPRECATED = "product.deprecated"
    PRODUCT_RETIRED = "product.retired"
    PRODUCT_VERSION_ADDED = "product.version-added"
    """A new major version (v2) was linked to the one it replaces."""
    TOPIC_CREATED = "topic.created"
    SCHEMA_REGISTERED = "schema.registered"
    """A new schema version of a product's subject."""
    APPLICATION_REGISTERED = "application.registered"
    """A consuming or producing application was registered with a product."""
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
