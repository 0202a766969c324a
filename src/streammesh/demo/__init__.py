"""The content of ``streammesh demo``: a small company's data mesh, seeded through the
platform's own services and kept busy by generators and consuming applications."""

from streammesh.demo.cast import APPLICATIONS, LAKE, REFERENCE_APPS, LakeSink, ReferenceApp
from streammesh.demo.postgres import (
    CONNECTOR_URL_ENV,
    ORDERS_CDC,
    POSTGRES_ENV,
    DemoPostgres,
    DemoPostgresError,
    postgres_mode,
)
from streammesh.demo.products import PRODUCTS, DemoProduct, write_products
from streammesh.demo.seeding import LAKE_FOLDER, Seeded, seed
from streammesh.demo.traffic import Traffic, TrafficReport

__all__ = [
    "APPLICATIONS",
    "CONNECTOR_URL_ENV",
    "LAKE",
    "LAKE_FOLDER",
    "ORDERS_CDC",
    "POSTGRES_ENV",
    "PRODUCTS",
    "REFERENCE_APPS",
    "DemoPostgres",
    "DemoPostgresError",
    "DemoProduct",
    "LakeSink",
    "ReferenceApp",
    "Seeded",
    "Traffic",
    "TrafficReport",
    "postgres_mode",
    "seed",
    "write_products",
]
