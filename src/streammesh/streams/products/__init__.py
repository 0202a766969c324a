"""Stream processing over the mesh's data products: products named in ``FROM``, a query's
output published as a product, classifications propagated, and the grants an application
needs (see ``docs/streams.md``, "Derived data products")."""

from __future__ import annotations

from streammesh.streams.products.catalog import InputProduct, ProductCatalog
from streammesh.streams.products.classification import (
    REMOVING_FUNCTIONS,
    Labels,
    column_labels,
    expression_labels,
)
from streammesh.streams.products.errors import (
    GrantMissing,
    GrantRevoked,
    OutputProductInvalid,
    ProductNotQueryable,
    UnknownProduct,
)
from streammesh.streams.products.grants import check_grants
from streammesh.streams.products.output import OutputProduct, derive_output

__all__ = [
    "REMOVING_FUNCTIONS",
    "GrantMissing",
    "GrantRevoked",
    "InputProduct",
    "Labels",
    "OutputProduct",
    "OutputProductInvalid",
    "ProductCatalog",
    "ProductNotQueryable",
    "UnknownProduct",
    "check_grants",
    "column_labels",
    "derive_output",
    "expression_labels",
]
