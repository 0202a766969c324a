"""Pydantic models of the ``/api/v1`` request and response bodies, one module per resource."""
