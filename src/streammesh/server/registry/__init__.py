"""The Confluent Schema Registry API, served under ``/registry``.

Each route is a thin translation between Confluent's JSON shapes and the
:class:`~streammesh.registry.base.SchemaRegistry` Protocol; errors go through the server's
error table. Like Confluent: ``schemaType`` omitted means AVRO and AVRO responses omit it,
versions are a positive number, ``latest`` or ``-1``, and responses are
``application/vnd.schemaregistry.v1+json``. Reads need any valid token; changes (register,
delete, config, mode) need a writer role (:data:`streammesh.server.auth.WRITER_ROLES`), act
only within the caller's domains and are audited (see
:class:`~streammesh.server.registry.writes.RegistryWrites`); the global compatibility level and
mode belong to platform admins and governance.

One module per concern: :mod:`.schemas` (schemas by global id), :mod:`.subjects` (subjects and
versions), :mod:`.compatibility`, :mod:`.config` (compatibility level and mode); what they
share is in :mod:`.translation`, the JSON bodies in :mod:`.models`.
"""

from __future__ import annotations

from fastapi import APIRouter

from streammesh.server.registry import compatibility, config, schemas, subjects
from streammesh.server.registry.models import registry_errors
from streammesh.server.registry.translation import RegistryJSONResponse

router = APIRouter(
    default_response_class=RegistryJSONResponse,
    tags=["schema registry"],
    responses=registry_errors(401),
)
for module in (schemas, subjects, compatibility, config):
    router.include_router(module.router)

__all__ = ["router"]
