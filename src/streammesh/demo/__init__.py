"""The content of ``streammesh demo``: a small company's data mesh, seeded through the
platform's own services and kept busy by generators and consuming applications."""

from streammesh.demo.cast import APPLICATIONS, LAKE, REFERENCE_APPS, LakeSink, ReferenceApp
from streammesh.demo.products import PRODUCTS, DemoProduct, write_products
from streammesh.demo.seeding import LAKE_FOLDER, Seeded, seed
from streammesh.demo.traffic import Traffic, TrafficReport

__all__ = [
    "APPLICATIONS",
    "LAKE",
    "LAKE_FOLDER",
    "PRODUCTS",
    "REFERENCE_APPS",
    "DemoProduct",
    "LakeSink",
    "ReferenceApp",
    "Seeded",
    "Traffic",
    "TrafficReport",
    "seed",
    "write_products",
]
