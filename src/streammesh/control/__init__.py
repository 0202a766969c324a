"""The control plane of the mesh: plan and apply data products, their lifecycle and versions,
the domains and teams that own them, and the applications that use them.

``ControlPlane`` is the one implementation of these operations; the CLI, the REST API and the
SDK call it (in-process through ``streammesh.runtime.MeshRuntime``, which also opens the
access control and the key store, or over HTTP through the server). Errors::

    ControlError
    ├── ProductNotFound         no product (version) of that name was applied
    ├── PlanRefused             the plan has errors; nothing was changed
    ├── NotAcceptingConsumers   a new consumer of a deprecated or retired product
    ├── InvalidProductSource    a descriptor/schema pair or a name that cannot be used
    ├── ConcurrentChange        the product changed between plan and apply
    ├── ConsumerGroupTaken      a consumer group another principal registered
    └── TransferNotOffered      a new team's owner accepts a transfer nobody offered
"""

from __future__ import annotations

from streammesh.control.contract import ProductContract
from streammesh.control.errors import (
    ConcurrentChange,
    ConsumerGroupTaken,
    ControlError,
    InvalidProductSource,
    NotAcceptingConsumers,
    PlanRefused,
    ProductNotFound,
    TransferNotOffered,
)
from streammesh.control.inventory import all_products
from streammesh.control.inventory import team as registered_team
from streammesh.control.open_mesh import OpenMesh
from streammesh.control.plan import (
    Action,
    Change,
    Plan,
    PlanProblem,
    PlanSummary,
    ProductPlan,
    ProductPlanSummary,
    Resource,
    Severity,
)
from streammesh.control.plane import ApplyResult, ControlPlane
from streammesh.control.records import (
    ApplicationRecord,
    ApplicationRole,
    DomainRecord,
    ProductRecord,
    TeamRecord,
    application_from_document,
    domain_from_document,
    product_from_document,
    team_from_document,
)
from streammesh.control.settings import ControlSettings
from streammesh.control.sources import ProductSource, read_product_sources
from streammesh.control.tables import domains as domains_table
from streammesh.control.tables import products as products_table
from streammesh.control.tables import teams as teams_table

__all__ = [
    "Action",
    "ApplicationRecord",
    "ApplicationRole",
    "ApplyResult",
    "Change",
    "ConcurrentChange",
    "ConsumerGroupTaken",
    "ControlError",
    "ControlPlane",
    "ControlSettings",
    "DomainRecord",
    "InvalidProductSource",
    "NotAcceptingConsumers",
    "OpenMesh",
    "Plan",
    "PlanProblem",
    "PlanRefused",
    "PlanSummary",
    "ProductContract",
    "ProductNotFound",
    "ProductPlan",
    "ProductPlanSummary",
    "ProductRecord",
    "ProductSource",
    "Resource",
    "Severity",
    "TeamRecord",
    "TransferNotOffered",
    "all_products",
    "application_from_document",
    "domain_from_document",
    "domains_table",
    "product_from_document",
    "products_table",
    "read_product_sources",
    "registered_team",
    "team_from_document",
    "teams_table",
]
