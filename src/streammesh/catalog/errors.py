"""Errors of the product catalog."""

from __future__ import annotations

from streammesh.errors import MeshError


class CatalogError(MeshError):
    """Base of every catalog error."""


class ProductNotInCatalog(CatalogError):
    """No catalog entry has the product name (and version) asked for."""

    def __init__(self, name: str, version: int | None = None) -> None:
        self.name = name
        self.version = version
        which = f"'{name}'" if version is None else f"'{name}' version {version}"
        super().__init__(
            f"data product {which} is not in the catalog; "
            "search the catalog to find the product's exact name"
        )


class InvalidSearch(CatalogError):
    """A search request whose paging or filters cannot be used as given."""

    exit_code = 2

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid catalog search: {reason}")
