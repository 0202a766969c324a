"""Roles a principal can hold, and who they are in a data mesh."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a token's principal may do (enforced by the server)."""

    PLATFORM_ADMIN = "platform-admin"
    """Runs the platform: everything, including tokens."""
    GOVERNANCE = "governance"
    """The federated governance body: policies, and oversight of every product."""
    DOMAIN_OWNER = "domain-owner"
    """Owns a domain's products: publishes, evolves, deprecates, approves access."""
    MEMBER = "member"
    """A domain team member: works on the domain's products."""
    CONSUMER = "consumer"
    """Discovers products and reads the ones it was granted."""
