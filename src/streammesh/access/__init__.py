"""Access to data products: requests, grants, and the checks the data plane makes.

Access is off by default: an application (a service account) requests read access to a
product version with a purpose, saying whether it needs classified fields in clear. A product
that needs no approval (by default: one without classified fields) is approved at once by
policy; otherwise a domain owner of the owning team, governance or a platform admin approves
or rejects it. Grants can expire and be revoked. States::

    requested → approved | rejected        approved → revoked | expired

Errors::

    AccessError
    ├── AccessDenied            no grant to read / not a writer of the product
    │   └── EventsNotReadable   no grant, team or overseer role to read a product's events
    ├── NotAllowedToDecide      the caller may not request / approve / reject / revoke
    ├── OutsideDomain           a change outside the domains of the caller's teams
    ├── AccessRequestNotFound
    ├── AccessStateError        a step the request's state does not allow
    ├── AccessRefused           a deprecated or retired product
    ├── AccessRequestExists     a pending request or active grant covers it
    └── InvalidAccessRequest
"""

from __future__ import annotations

from streammesh.access.acl_bindings import (
    AclBinding,
    AclChange,
    AclOperation,
    AclPatternType,
    AclResourceType,
    Writer,
    acl_change,
    desired_bindings,
    read_bindings,
    write_bindings,
)
from streammesh.access.acl_sync import AclInventory, AclSyncReport, sync_acls
from streammesh.access.authority import OVERSEERS, Caller
from streammesh.access.contents import ContentAccess, ReadBasis, content_access
from streammesh.access.control import AccessControl, WritePermission
from streammesh.access.errors import (
    AccessDenied,
    AccessError,
    AccessRefused,
    AccessRequestExists,
    AccessRequestNotFound,
    AccessStateError,
    EventsNotReadable,
    InvalidAccessRequest,
    NotAllowedToDecide,
    OutsideDomain,
)
from streammesh.access.model import AccessRequest, AccessState, Grant
from streammesh.access.scope import DomainScope, domain_scope
from streammesh.access.service import (
    AUTO_APPROVER,
    AccessPolicy,
    AccessService,
    AclAdmin,
    has_classified_fields,
)

__all__ = [
    "AUTO_APPROVER",
    "OVERSEERS",
    "AccessControl",
    "AccessDenied",
    "AccessError",
    "AccessPolicy",
    "AccessRefused",
    "AccessRequest",
    "AccessRequestExists",
    "AccessRequestNotFound",
    "AccessService",
    "AccessState",
    "AccessStateError",
    "AclAdmin",
    "AclBinding",
    "AclChange",
    "AclInventory",
    "AclOperation",
    "AclPatternType",
    "AclResourceType",
    "AclSyncReport",
    "Caller",
    "ContentAccess",
    "DomainScope",
    "EventsNotReadable",
    "Grant",
    "InvalidAccessRequest",
    "NotAllowedToDecide",
    "OutsideDomain",
    "ReadBasis",
    "WritePermission",
    "Writer",
    "acl_change",
    "content_access",
    "desired_bindings",
    "domain_scope",
    "has_classified_fields",
    "read_bindings",
    "sync_acls",
    "write_bindings",
]
