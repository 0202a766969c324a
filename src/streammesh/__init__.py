"""streammesh: an event-driven data mesh platform.

Data products are event streams with a schema (the contract) and metadata, defined as code,
discoverable in a catalog and governed by policies the platform enforces. See
``docs/`` and the README for the tour.
"""

__version__ = "0.1.0"
