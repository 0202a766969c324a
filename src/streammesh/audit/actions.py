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
    ACCOUNT_CREATED = "account.created"
    """A user or service-account principal was created."""
    ACCESS_REQUESTED = "access.requested"
    ACCESS_APPROVED = "access.approved"
    ACCESS_REJECTED = "access.rejected"
    ACCESS_REVOKED = "access.revoked"
    ACCESS_EXPIRED = "access.expired"
    KEY_HANDED_OUT = "privacy.key-handed-out"
    """A data key was used to decrypt an entity's classified fields for a principal (at most
    one entry per principal, product, entity key and hour per process)."""
    KEY_DESTROYED = "privacy.key-destroyed"
    """An entity's data keys were destroyed (``forget``): its classified fields are shredded."""
    TOKEN_REVEALED = "privacy.token-revealed"
    """A token was reversed to its value for a principal."""
    KEYS_ROTATED = "privacy.keys-rotated"
    """``streammesh keys rotate`` re-wrapped the mesh's data keys under another master key
    (one entry per run, with the key ids and counts; the events are not touched)."""
    POLICY_CHANGED = "policy.changed"
    """The global policy or a domain's policy was set (a new version of it)."""
    PROPOSAL_CREATED = "proposal.created"
    """A governance proposal was written."""
    PROPOSAL_MOVED = "proposal.moved"
    """A governance proposal changed status (e.g. in-review -> accepted)."""
    # -- notifications (issue 6) ---------------------------------------------------------------
    INCIDENT_DECLARED = "incident.declared"
    """An owner declared an incident on a product; its consumers are notified."""
    PRODUCT_OWNER_OFFERED = "product.owner-offered"
    """A domain owner of a product's team offered the product to another team of its domain;
    a domain owner of that team completes the transfer (``product.owner-changed``)."""
    PRODUCT_OWNER_CHANGED = "product.owner-changed"
    """A product version was transferred to another team (``before``/``after`` hold the team).
    The notifier also delivers a ``product.updated`` event whose owner contact changed under
    this type, so subscribers can ask for owner changes alone."""
    # -- monitoring (issue 6) ------------------------------------------------------------------
    SLO_BREACHED = "slo.breached"
    """A product version's SLO (freshness or availability) stopped being met."""
    SLO_RECOVERED = "slo.recovered"
    """A breached SLO is met again."""
    # -- subscriptions (issue 10) --------------------------------------------------------------
    SUBSCRIPTION_CREATED = "subscription.created"
    """A notification subscription was added (its webhook secret is never recorded)."""
    SUBSCRIPTION_DELETED = "subscription.deleted"
    """A notification subscription was removed."""
    # -- the schema registry's own API (issue 10) ----------------------------------------------
    REGISTRY_SCHEMA_REGISTERED = "registry.schema-registered"
    """A new schema version was registered through ``/registry`` (not by ``apply``, which
    records ``schema.registered`` for the product); an idempotent re-register records nothing."""
    REGISTRY_SUBJECT_DELETED = "registry.subject-deleted"
    """A subject's versions were soft- or permanently deleted through ``/registry``."""
    REGISTRY_VERSION_DELETED = "registry.version-deleted"
    """One version of a subject was soft- or permanently deleted through ``/registry``."""
    REGISTRY_CONFIG_CHANGED = "registry.config-changed"
    """A subject's or the global compatibility level was set or removed."""
    REGISTRY_MODE_CHANGED = "registry.mode-changed"
    """A subject's or the global mode was set or removed."""
    # -- stream applications (issue 12) -------------------------------------------------------
    STREAM_APP_DEPLOYED = "stream-app.deployed"
    """A stream application was recorded, or its script, principal or placement replaced;
    it should run (``desired`` running)."""
    STREAM_APP_STOPPED = "stream-app.stopped"
    """A stream application was asked to stop; its processes finish their batch and exit."""
    STREAM_APP_STARTED = "stream-app.started"
    """A stopped stream application should run again."""
    STREAM_APP_RESET = "stream-app.reset"
    """A stream application starts over from the beginning of its inputs (a new epoch)."""
    STREAM_APP_DELETED = "stream-app.deleted"
    """A stream application was removed, with its committed offsets and internal topics."""
    # -- connectors (issue 13) ----------------------------------------------------------------
    CONNECTOR_CREATED = "connector.created"
    """A connector was recorded (its definition, principal and placement); it should run."""
    CONNECTOR_UPDATED = "connector.updated"
    """A connector's definition, principal or placement was replaced; its workers restart."""
    CONNECTOR_PAUSED = "connector.paused"
    """A connector was asked to pause: its workers finish their batch and poll no more."""
    CONNECTOR_RESUMED = "connector.resumed"
    """A paused connector should run again."""
    CONNECTOR_RESTARTED = "connector.restarted"
    """A connector's workers were asked to start over (a new generation)."""
    CONNECTOR_DELETED = "connector.deleted"
    """A connector was removed (its products, offsets and dead letters are kept)."""
