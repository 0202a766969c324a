"""AsyncAPI 3.0.0 documents of data products, for code generators and documentation portals.

One module builds them for the CLI (``streammesh products export --format asyncapi``) and the
REST API (``/products/{reference}/asyncapi``). It is pure: the caller gives the product
records, their registered schema text and where the mesh is; the server URLs, schema subject
and key encoding come from :mod:`streammesh.products.connection`, so the AsyncAPI document and
the connection details always agree.

On a secured Kafka cluster each server is ``kafka-secure`` (TLS) or ``kafka`` and names the
Security Scheme a client satisfies (``plain``, ``scramSha256``, ``scramSha512``, ``oauth2`` for
OAUTHBEARER, ``X509`` for a client certificate) in ``components.securitySchemes``; a client
logs in as itself, so none of the mesh's own credentials is ever in a document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from streammesh.log import SaslMechanism, SecurityProtocol
from streammesh.products.connection import MeshEndpoint, connection_details
from streammesh.products.descriptor import Descriptor, KeyType, SchemaFormatName, Status

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
SCHEMA_FORMATS: dict[SchemaFormatName, str] = {
    SchemaFormatName.AVRO: "application/vnd.apache.avro;version=1.9.0",
    SchemaFormatName.JSON: "application/schema+json;version=draft-07",
    SchemaFormatName.PROTOBUF: "application/vnd.google.protobuf;version=3",
}
"""The AsyncAPI ``schemaFormat`` of each registry format."""
SECURITY_EXTENSION = "x-streammesh-kafka-security"
"""The server extension with a secured cluster's client settings (``security.protocol``,
``sasl.mechanism``, and ``null`` for each one a client fills in with its own)."""
_KEY_SCHEMAS: dict[KeyType, dict[str, Any]] = {
    KeyType.STRING: {"type": "string"},
    KeyType.UUID: {"type": "string", "format": "uuid"},
    KeyType.INT: {"type": "integer", "format": "int32"},
    KeyType.LONG: {"type": "integer", "format": "int64"},
    KeyType.BYTES: {"type": "string", "contentEncoding": "binary"},
}


class ProductState(Protocol):
    """What a document says of a product version's state (``streammesh.control.ProductRecord``
    is the one implementation; the control plane sits above this package, so it is named by
    shape here)."""

    @property
    def descriptor(self) -> Descriptor: ...

    @property
    def reference(self) -> str: ...

    @property
    def status(self) -> Status: ...

    @property
    def status_since(self) -> datetime: ...

    @property
    def replaced_by(self) -> str | None: ...

    @property
    def schema_id(self) -> int: ...

    @property
    def schema_version(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ExportedProduct:
    """One product version to describe.

    Attributes:
        record: The product version as the control plane has it.
        schema: Its value schema's text as registered (id ``record.schema_id``).
    """

    record: ProductState
    schema: str


_SASL_SCHEMES: dict[SaslMechanism, tuple[str, dict[str, Any]]] = {
    # sasl.mechanism -> (components.securitySchemes name, the AsyncAPI Security Scheme)
    SaslMechanism.PLAIN: (
        "sasl-plain",
        {
            "type": "plain",
            "description": "SASL/PLAIN: log in with your application's own Kafka user "
            "and password (sasl.username, sasl.password).",
        },
    ),
    SaslMechanism.SCRAM_SHA_256: (
        "sasl-scram-sha-256",
        {
            "type": "scramSha256",
            "description": "SASL/SCRAM-SHA-256: log in with your application's own Kafka user "
            "and password (sasl.username, sasl.password).",
        },
    ),
    SaslMechanism.SCRAM_SHA_512: (
        "sasl-scram-sha-512",
        {
            "type": "scramSha512",
            "description": "SASL/SCRAM-SHA-512: log in with your application's own Kafka user "
            "and password (sasl.username, sasl.password).",
        },
    ),
}
_TLS_CLIENT_SCHEME = (
    "tls-client-certificate",
    {
        "type": "X509",
        "description": "TLS client certificate: present your application's own certificate "
        "and key (ssl.certificate.location, ssl.key.location).",
    },
)


def _oauth_scheme(endpoint: MeshEndpoint) -> tuple[str, dict[str, Any]]:
    """SASL/OAUTHBEARER as an OAuth 2 scheme: the client credentials flow at the identity
    provider's token endpoint when the mesh names one (never its client id or secret)."""
    flows: dict[str, Any] = {}
    if endpoint.oauth_token_url is not None:
        scopes = (
            {endpoint.oauth_scope: "Asked by the mesh's clients."} if endpoint.oauth_scope else {}
        )
        flows["clientCredentials"] = {
            "tokenUrl": endpoint.oauth_token_url,
            "availableScopes": scopes,
        }
    scheme: dict[str, Any] = {
        "type": "oauth2",
        "description": "SASL/OAUTHBEARER: log in with a token your application obtains with its "
        "own OAuth client credentials (sasl.oauthbearer.client.id, "
        "sasl.oauthbearer.client.secret).",
        "flows": flows,
    }
    if endpoint.oauth_scope:
        scheme["scopes"] = [endpoint.oauth_scope]
    return "sasl-oauthbearer", scheme


def security_schemes(endpoint: MeshEndpoint) -> dict[str, dict[str, Any]]:
    """The AsyncAPI Security Schemes a client of the mesh's Kafka cluster satisfies, by their
    ``components.securitySchemes`` name: the cluster's SASL mechanism, or on TLS without SASL
    a client certificate if the cluster asks for one. Empty for a PLAINTEXT cluster and an
    embedded mesh. A client logs in as itself: nothing here is the mesh's own credential."""
    if endpoint.bootstrap_servers is None:
        return {}
    protocol = SecurityProtocol(endpoint.security_protocol)
    if protocol.uses_sasl:
        mechanism = SaslMechanism(endpoint.sasl_mechanism or SaslMechanism.PLAIN)
        if mechanism is SaslMechanism.OAUTHBEARER:
            name, scheme = _oauth_scheme(endpoint)
        else:
            name, scheme = _SASL_SCHEMES[mechanism]
        return {name: scheme}
    if protocol.uses_tls and endpoint.client_certificate:
        name, scheme = _TLS_CLIENT_SCHEME
        return {name: scheme}
    return {}


def _kafka_server(endpoint: MeshEndpoint, broker: str, bindings: dict[str, Any]) -> dict[str, Any]:
    protocol = SecurityProtocol(endpoint.security_protocol)
    server: dict[str, Any] = {
        "host": broker,
        "protocol": "kafka-secure" if protocol.uses_tls else "kafka",
        "description": "Kafka bootstrap server of the mesh.",
    }
    if protocol is SecurityProtocol.PLAINTEXT:
        server["bindings"] = bindings
        return server
    schemes = security_schemes(endpoint)
    if schemes:
        server["security"] = [{"$ref": f"#/components/securitySchemes/{name}"} for name in schemes]
    server["bindings"] = bindings
    # AsyncAPI has no word for SASL without TLS nor for the CA file: the exact librdkafka
    # settings (those of the connection snippets) say it, null where the client puts its own.
    server[SECURITY_EXTENSION] = dict(endpoint.client_settings())
    return server


def _servers(endpoint: MeshEndpoint) -> dict[str, Any]:
    if endpoint.bootstrap_servers is not None:
        brokers = [host.strip() for host in endpoint.bootstrap_servers.split(",") if host.strip()]
        bindings = {
            "kafka": {
                "schemaRegistryUrl": endpoint.registry_url,
                "schemaRegistryVendor": "confluent",
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        }
        names = (
            ["kafka"] if len(brokers) == 1 else [f"kafka-{n}" for n in range(1, len(brokers) + 1)]
        )
        return {
            name: _kafka_server(endpoint, broker, bindings)
            for name, broker in zip(names, brokers, strict=True)
        }
    url = urlsplit(endpoint.server_url)
    return {
        "mesh": {
            "host": url.netloc,
            "protocol": url.scheme or "http",
            "pathname": f"{url.path.rstrip('/')}/api/v1",
            "description": "The embedded mesh's REST API (consumers and producers by HTTP).",
        }
    }


def _payload(fmt: SchemaFormatName, text: str) -> dict[str, Any]:
    # Avro and JSON Schema are JSON documents: embedded as objects so tools read them
    # directly; Protobuf stays the registered .proto text.
    schema: Any = text if fmt is SchemaFormatName.PROTOBUF else json.loads(text)
    return {"schemaFormat": SCHEMA_FORMATS[fmt], "schema": schema}


def _message_id(topic: str) -> str:
    return topic.replace(".", "-")


def _pieces(product: ExportedProduct, endpoint: MeshEndpoint) -> dict[str, Any]:
    record = product.record
    descriptor = record.descriptor
    details = connection_details(
        descriptor, schema_id=record.schema_id, endpoint=endpoint, principal="consumer"
    )
    message_id = _message_id(details.topic)
    sla = descriptor.sla.model_dump(mode="json", exclude_none=True)
    message = {
        "name": message_id,
        "title": descriptor.name,
        "summary": descriptor.description,
        "contentType": "application/octet-stream",
        "payload": _payload(details.schema_format, product.schema),
        "bindings": {
            "kafka": {
                "key": {
                    **_KEY_SCHEMAS[details.key_type],
                    "description": f"From field '{details.key_field}': {details.key_format}.",
                },
                "schemaIdLocation": "payload",
                "schemaIdPayloadEncoding": "confluent",
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "x-streammesh-schema": {"subject": details.schema_subject, "id": details.schema_id},
    }
    channel = {
        "address": details.topic,
        "title": descriptor.name,
        "description": descriptor.description,
        "messages": {message_id: {"$ref": f"#/components/messages/{message_id}"}},
        "bindings": {
            "kafka": {
                "topic": details.topic,
                "partitions": descriptor.partition_count,
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "x-streammesh-product": record.reference,
        "x-streammesh-domain": descriptor.domain,
        "x-streammesh-owner": {
            "name": descriptor.owner.name,
            "email": descriptor.owner.email,
            "team": descriptor.team,
        },
        "x-streammesh-sla": sla,
        "x-streammesh-tags": list(descriptor.tags),
        "x-streammesh-classifications": {
            path: [str(label) for label in labels]
            for path, labels in descriptor.classifications.items()
        },
        "x-streammesh-lifecycle": {
            "status": record.status.value,
            "since": record.status_since.isoformat(),
            "replaced_by": record.replaced_by,
        },
    }
    # Ids are the topic with dashes: tools (and asyncapi3) accept only [\w-] in map keys.
    channel_ref = {"$ref": f"#/channels/{message_id}"}
    message_ref = {"$ref": f"#/channels/{message_id}/messages/{message_id}"}
    operations = {
        f"receive-{message_id}": {
            "action": "receive",
            "channel": channel_ref,
            "summary": f"Consume {record.reference} (any application registered as its consumer).",
            "messages": [message_ref],
        },
        f"send-{message_id}": {
            "action": "send",
            "channel": channel_ref,
            "summary": f"Produce {record.reference} (the owning team {descriptor.team} only).",
            "messages": [message_ref],
        },
    }
    return {
        "channel": (message_id, channel),
        "operations": operations,
        "message": (message_id, message),
    }


def asyncapi_document(
    products: Sequence[ExportedProduct],
    endpoint: MeshEndpoint,
    *,
    title: str | None = None,
) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of ``products`` (one product, a domain's or a mesh's).

    Args:
        products: The product versions with their registered value schemas.
        endpoint: Where the mesh is (Kafka bootstrap servers or the server's REST URL).
        title: The title of a domain's or the mesh's document; without one, a single
            product's document is titled with its name.
    """
    documents = [_single(product, endpoint) for product in products]
    if title is None and len(documents) == 1:
        return documents[0]
    return combine_documents(documents, endpoint, title=title or "streammesh")


def _single(product: ExportedProduct, endpoint: MeshEndpoint) -> dict[str, Any]:
    record = product.record
    descriptor = record.descriptor
    pieces = _pieces(product, endpoint)
    channel_id, channel = pieces["channel"]
    message_id, message = pieces["message"]
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": descriptor.name,
            "version": f"{descriptor.version}.{record.schema_version}.0",
            "description": descriptor.description,
            "contact": {"name": descriptor.owner.name, "email": descriptor.owner.email},
            "tags": [{"name": tag} for tag in descriptor.tags],
        },
        "defaultContentType": "application/octet-stream",
        "servers": _servers(endpoint),
        "channels": {channel_id: channel},
        "operations": pieces["operations"],
        "components": _components(endpoint, {message_id: message}),
    }


def _components(endpoint: MeshEndpoint, messages: dict[str, Any]) -> dict[str, Any]:
    components: dict[str, Any] = {"messages": messages}
    schemes = security_schemes(endpoint)
    if schemes:
        components["securitySchemes"] = schemes
    return components


def combine_documents(
    documents: Sequence[Mapping[str, Any]], endpoint: MeshEndpoint, *, title: str
) -> dict[str, Any]:
    """One AsyncAPI document of several products from their single-product documents.

    The CLI builds a domain's or the mesh's document this way through ``--server`` too, from
    the server's ``/products/{reference}/asyncapi`` documents.

    Args:
        documents: Single-product documents, as :func:`asyncapi_document` builds them.
        endpoint: Where the mesh is.
        title: The combined document's title (the domain, or the mesh).
    """
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    tags: set[str] = set()
    for document in documents:
        channels.update(document["channels"])
        operations.update(document["operations"])
        messages.update(document["components"]["messages"])
        tags.update(tag["name"] for tag in document["info"].get("tags", ()))
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": f"{len(documents)} data product version(s) of the mesh.",
            "tags": [{"name": tag} for tag in sorted(tags)],
        },
        "defaultContentType": "application/octet-stream",
        "servers": _servers(endpoint),
        "channels": channels,
        "operations": operations,
        "components": _components(endpoint, messages),
    }


def endpoint_of_document(document: Mapping[str, Any] | None, server_url: str) -> MeshEndpoint:
    """The mesh endpoint a document of :func:`asyncapi_document` describes: its Kafka brokers
    and their security, or the REST API at ``server_url`` (also without a document).

    The CLI combines the server's own single-product documents through ``--server`` with it.

    Args:
        document: One of the mesh's documents, or ``None`` when it has none.
        server_url: The streammesh server's base URL.
    """
    servers: Mapping[str, Any] = {} if document is None else document.get("servers", {})
    kafka = [s for s in servers.values() if s.get("protocol") in ("kafka", "kafka-secure")]
    brokers = ",".join(server["host"] for server in kafka) or None
    settings: Mapping[str, Any] = kafka[0].get(SECURITY_EXTENSION, {}) if kafka else {}
    protocol = settings.get("security.protocol", SecurityProtocol.PLAINTEXT.value)
    token_url = scope = None
    schemes = {} if document is None else document.get("components", {})
    oauth = schemes.get("securitySchemes", {}).get("sasl-oauthbearer")
    if oauth is not None:
        flow = oauth["flows"].get("clientCredentials", {})
        token_url = flow.get("tokenUrl")
        scope = next(iter(oauth.get("scopes", ())), None)
    return MeshEndpoint(
        server_url=server_url.rstrip("/"),
        bootstrap_servers=brokers,
        security_protocol=protocol,
        sasl_mechanism=settings.get("sasl.mechanism"),
        client_certificate="ssl.certificate.location" in settings,
        oauth_token_url=token_url,
        oauth_scope=scope,
    )


__all__ = [
    "ASYNCAPI_VERSION",
    "SCHEMA_FORMATS",
    "SECURITY_EXTENSION",
    "ExportedProduct",
    "asyncapi_document",
    "combine_documents",
    "endpoint_of_document",
    "security_schemes",
]
