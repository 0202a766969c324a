"""Data products as code: the descriptor model, its loader, and the ``init`` scaffold.

The descriptor checker (``DescriptorChecker``, ``validate_products``, ...) and the ODCS export
and import are loaded on first use: they import jsonschema and the ODCS model, which the many
importers of the descriptor model (and the command line's start) must not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streammesh.lazy_exports import loaded_on_first_use
from streammesh.products.asyncapi import (
    ExportedProduct,
    asyncapi_document,
    combine_documents,
    endpoint_of_document,
)
from streammesh.products.connection import MeshEndpoint, connection_details, endpoint_of
from streammesh.products.descriptor import (
    SCHEMA_EXTENSIONS,
    Alignment,
    Classification,
    Deprecation,
    Descriptor,
    EventKind,
    Key,
    KeyType,
    Owner,
    Port,
    PortKind,
    QualityTier,
    SchemaFormatName,
    SchemaRef,
    Sla,
    SlaTier,
    Status,
    SupportHours,
    Visibility,
)
from streammesh.products.durations import Duration, format_duration, parse_duration
from streammesh.products.errors import (
    DescriptorInvalid,
    DescriptorProblem,
    InvalidName,
    ProductError,
    ScaffoldConflict,
)
from streammesh.products.findings import FindingSeverity, PolicyFinding
from streammesh.products.json_schema import descriptor_json_schema
from streammesh.products.lifecycle import (
    DEFAULT_POLICY,
    HIDDEN_FROM_DEFAULT_SEARCH,
    LifecycleError,
    LifecyclePolicy,
    LifecycleState,
    accepts_new_consumers,
    deprecate,
    publish,
    retire,
)
from streammesh.products.loading import (
    load_descriptor,
    parse_descriptor,
    read_descriptor,
    read_schema,
)
from streammesh.products.names import SEGMENT_PATTERN, check_segment
from streammesh.products.report import Finding, Severity, ValidationReport
from streammesh.products.retention import Retention, RetentionMode
from streammesh.products.scaffold import DEFAULT_PRODUCT, write_scaffold
from streammesh.products.sizes import PartitionSize

if TYPE_CHECKING:
    from streammesh.products.checks import (
        INCOMPATIBLE,
        CheckedDescriptor,
        Compatibility,
        DescriptorChecker,
        PolicyReviewer,
        incompatible_hint,
    )
    from streammesh.products.odcs import contract_yaml, export_contract, write_imported
    from streammesh.products.validation import find_descriptors, validate_products

_LOADED_ON_FIRST_USE = {
    "INCOMPATIBLE": "streammesh.products.checks",
    "CheckedDescriptor": "streammesh.products.checks",
    "Compatibility": "streammesh.products.checks",
    "DescriptorChecker": "streammesh.products.checks",
    "PolicyReviewer": "streammesh.products.checks",
    "incompatible_hint": "streammesh.products.checks",
    "contract_yaml": "streammesh.products.odcs",
    "export_contract": "streammesh.products.odcs",
    "write_imported": "streammesh.products.odcs",
    "find_descriptors": "streammesh.products.validation",
    "validate_products": "streammesh.products.validation",
}


__getattr__ = loaded_on_first_use(__name__, _LOADED_ON_FIRST_USE)


__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_PRODUCT",
    "HIDDEN_FROM_DEFAULT_SEARCH",
    "INCOMPATIBLE",
    "SCHEMA_EXTENSIONS",
    "SEGMENT_PATTERN",
    "Alignment",
    "CheckedDescriptor",
    "Classification",
    "Compatibility",
    "Deprecation",
    "Descriptor",
    "DescriptorChecker",
    "DescriptorInvalid",
    "DescriptorProblem",
    "Duration",
    "EventKind",
    "ExportedProduct",
    "Finding",
    "FindingSeverity",
    "InvalidName",
    "Key",
    "KeyType",
    "LifecycleError",
    "LifecyclePolicy",
    "LifecycleState",
    "MeshEndpoint",
    "Owner",
    "PartitionSize",
    "PolicyFinding",
    "PolicyReviewer",
    "Port",
    "PortKind",
    "ProductError",
    "QualityTier",
    "Retention",
    "RetentionMode",
    "ScaffoldConflict",
    "SchemaFormatName",
    "SchemaRef",
    "Severity",
    "Sla",
    "SlaTier",
    "Status",
    "SupportHours",
    "ValidationReport",
    "Visibility",
    "accepts_new_consumers",
    "asyncapi_document",
    "check_segment",
    "combine_documents",
    "connection_details",
    "contract_yaml",
    "deprecate",
    "descriptor_json_schema",
    "endpoint_of",
    "endpoint_of_document",
    "export_contract",
    "find_descriptors",
    "format_duration",
    "incompatible_hint",
    "load_descriptor",
    "parse_descriptor",
    "parse_duration",
    "publish",
    "read_descriptor",
    "read_schema",
    "retire",
    "validate_products",
    "write_imported",
    "write_scaffold",
]
