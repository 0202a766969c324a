"""The embedded mesh with ``execution.stocktrades`` and ``members.users`` of the product tests."""

from __future__ import annotations

from tests.unit.streams.products.conftest import mesh

__all__ = ["mesh"]
