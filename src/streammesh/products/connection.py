"""Connection details of a data product: what a consumer needs to read it, and ready snippets.

One module builds them for the three edges (REST ``/products/{reference}/connection``,
``streammesh products show`` and the web UI's product page), so they always agree. It is pure:
the caller says where the mesh is (Kafka bootstrap servers, or the server's base URL for an
embedded mesh) and who asks; nothing here reads a token. The caller's principal is filled in,
the secret never: every snippet reads it from ``$STREAMMESH_TOKEN``.

A consumer group belongs to the application that registers it first (see ``docs/access.md``),
and on Kafka an application's ACLs cover only the groups that start with its own name, so the
snippets use ``<principal>-<domain>-<product>`` as the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from streammesh.log import KafkaSecurity, SecurityProtocol, parse_log_url
from streammesh.products.descriptor import Descriptor, KeyType, SchemaFormatName

TOKEN_ENV = "STREAMMESH_TOKEN"
"""The environment variable every snippet reads the caller's API token from."""
REGISTRY_PATH = "/registry"
"""Where the streammesh server serves the Confluent-compatible schema registry."""
GROUP_RULE = (
    "A consumer group belongs to the application that registers it first; other applications "
    "are refused it. Name your groups after your application: they must start with its name "
    "(on Kafka its ACLs allow only those)."
)

_KEY_FORMATS: dict[KeyType, str] = {
    KeyType.STRING: "UTF-8 string (Kafka StringSerializer)",
    KeyType.UUID: "UUID as canonical lowercase text, UTF-8 (Kafka UUIDSerializer)",
    KeyType.INT: "4-byte big-endian signed integer (Kafka IntegerSerializer)",
    KeyType.LONG: "8-byte big-endian signed integer (Kafka LongSerializer)",
    KeyType.BYTES: "raw bytes (Kafka ByteArraySerializer)",
}
_JAVA_KEY_DESERIALIZERS: dict[KeyType, str] = {
    KeyType.STRING: "org.apache.kafka.common.serialization.StringDeserializer",
    KeyType.UUID: "org.apache.kafka.common.serialization.UUIDDeserializer",
    KeyType.INT: "org.apache.kafka.common.serialization.IntegerDeserializer",
    KeyType.LONG: "org.apache.kafka.common.serialization.LongDeserializer",
    KeyType.BYTES: "org.apache.kafka.common.serialization.ByteArrayDeserializer",
}
_JAVA_VALUE_DESERIALIZERS: dict[SchemaFormatName, str] = {
    SchemaFormatName.AVRO: "io.confluent.kafka.serializers.KafkaAvroDeserializer",
    SchemaFormatName.JSON: "io.confluent.kafka.serializers.json.KafkaJsonSchemaDeserializer",
    SchemaFormatName.PROTOBUF: "io.confluent.kafka.serializers.protobuf.KafkaProtobufDeserializer",
}
_PYTHON_DESERIALIZERS: dict[SchemaFormatName, tuple[str, str]] = {
    # format -> (import line, constructor call)
    SchemaFormatName.AVRO: (
        "from confluent_kafka.schema_registry.avro import AvroDeserializer",
        "AvroDeserializer(registry)",
    ),
    SchemaFormatName.JSON: (
        "from confluent_kafka.schema_registry.json_schema import JSONDeserializer",
        "JSONDeserializer(None, schema_registry_client=registry)",
    ),
    SchemaFormatName.PROTOBUF: (
        "from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer\n"
        "from my_generated_pb2 import MyMessage  # protoc's class for the product's schema",
        'ProtobufDeserializer(MyMessage, {"use.deprecated.format": False})',
    ),
}
_PYTHON_KEY_DESERIALIZERS: dict[KeyType, str | None] = {
    KeyType.STRING: 'StringDeserializer("utf_8")',
    KeyType.UUID: 'StringDeserializer("utf_8")',
    KeyType.INT: "IntegerDeserializer()",
    KeyType.LONG: None,  # confluent-kafka has none: int.from_bytes(key, "big", signed=True)
    KeyType.BYTES: None,
}


@dataclass(frozen=True, slots=True)
class MeshEndpoint:
    """Where consumers reach a mesh.

    Attributes:
        server_url: The streammesh server's base URL (REST API and ``/registry``).
        bootstrap_servers: The Kafka bootstrap servers (``host:port,...``) when the mesh's log
            is Kafka; ``None`` for an embedded mesh, which is read through the REST API only.
        security_protocol: The cluster's ``security.protocol`` (``PLAINTEXT``: none to set).
        sasl_mechanism: Its ``sasl.mechanism`` with a SASL protocol. A consumer logs in as
            itself: the snippets name where its own credentials go, never the mesh's.
        client_certificate: Whether the cluster asks clients for a TLS certificate (the mesh
            presents one); a consumer presents its own.
        oauth_token_url: OAUTHBEARER through OIDC: the identity provider's token endpoint
            (a public address, without any user or password it was written with).
        oauth_scope: The scope asked of that provider, if it needs one.
    """

    server_url: str
    bootstrap_servers: str | None = None
    security_protocol: str = SecurityProtocol.PLAINTEXT.value
    sasl_mechanism: str | None = None
    client_certificate: bool = False
    oauth_token_url: str | None = None
    oauth_scope: str | None = None

    def client_settings(self) -> list[tuple[str, str | None]]:
        """The librdkafka settings a consumer of this cluster adds to ``bootstrap.servers``:
        (name, value), the value ``None`` where the consumer fills in its own (a user, a
        secret, the CA file on its machine)."""
        protocol = self.security_protocol
        if protocol == SecurityProtocol.PLAINTEXT.value:
            return []
        settings: list[tuple[str, str | None]] = [("security.protocol", protocol)]
        if protocol.startswith("SASL"):
            mechanism = self.sasl_mechanism or "PLAIN"
            settings.append(("sasl.mechanism", mechanism))
            if mechanism == "OAUTHBEARER":
                settings += [
                    ("sasl.oauthbearer.method", "oidc"),
                    ("sasl.oauthbearer.client.id", None),
                    ("sasl.oauthbearer.client.secret", None),
                    ("sasl.oauthbearer.token.endpoint.url", None),
                ]
            else:
                settings += [("sasl.username", None), ("sasl.password", None)]
        if protocol.endswith("SSL"):
            settings.append(("ssl.ca.location", None))
            if self.client_certificate:
                settings += [("ssl.certificate.location", None), ("ssl.key.location", None)]
        return settings

    @property
    def registry_url(self) -> str:
        """The schema registry's URL, for Confluent clients."""
        return f"{self.server_url.rstrip('/')}{REGISTRY_PATH}"


@dataclass(frozen=True, slots=True)
class ConnectionDetails:
    """What a consumer needs to read one product version.

    Attributes:
        product: The product version, ``<name>.v<N>``.
        endpoint: Where the mesh is.
        principal: Who asked; filled into the snippets (the secret never is).
        topic: The product's topic.
        schema_subject: The registry subject of the value schema.
        schema_id: The registry id of the value schema applied last.
        schema_format: Its format (avro, json, protobuf).
        key_field: The field each event's key is taken from.
        key_type: How the key is encoded.
    """

    product: str
    endpoint: MeshEndpoint
    principal: str
    topic: str
    schema_subject: str
    schema_id: int
    schema_format: SchemaFormatName
    key_field: str
    key_type: KeyType

    @property
    def group(self) -> str:
        """The suggested consumer group: the principal's name, then the product's name (its
        dots as dashes: group names are application names, which take no dots)."""
        return f"{self.principal}-{self.product.rsplit('.v', 1)[0].replace('.', '-')}"

    @property
    def key_format(self) -> str:
        """How the key is encoded on the wire, in words."""
        return _KEY_FORMATS[self.key_type]

    def snippets(self) -> dict[str, str | None]:
        """The generated snippets by name; the Kafka ones are ``None`` on an embedded mesh."""
        kafka = self.endpoint.bootstrap_servers is not None
        return {
            "cli": self._cli(),
            "curl": self._curl(),
            "python_sdk": self._python_sdk(),
            "python_confluent_kafka": self._python_confluent() if kafka else None,
            "java_properties": self._java() if kafka else None,
            "kcat": self._kcat() if kafka else None,
        }

    def document(self) -> dict[str, Any]:
        """The JSON document of the REST API and ``products show --json``."""
        return {
            "product": self.product,
            "principal": self.principal,
            "rest_url": self.endpoint.server_url,
            "bootstrap_servers": self.endpoint.bootstrap_servers,
            "registry_url": self.endpoint.registry_url,
            "topic": self.topic,
            "schema": {
                "subject": self.schema_subject,
                "id": self.schema_id,
                "format": self.schema_format.value,
            },
            "key": {
                "field": self.key_field,
                "type": self.key_type.value,
                "format": self.key_format,
            },
            "consumer_group": {"suggested": self.group, "rule": GROUP_RULE},
            "token_env": TOKEN_ENV,
            "snippets": self.snippets(),
        }

    def _cli(self) -> str:
        return (
            f"# API token of {self.principal}: 'streammesh token create', kept in ${TOKEN_ENV}\n"
            f"streammesh consume {self.product} --server {self.endpoint.server_url} \\\n"
            f"  --group {self.group} --from-beginning --max 10\n"
        )

    def _curl(self) -> str:
        return (
            f'curl -H "Authorization: Bearer ${TOKEN_ENV}" \\\n'
            f"  '{self.endpoint.server_url}/api/v1/products/{self.product}/sample?limit=10'\n"
        )

    def _python_sdk(self) -> str:
        return (
            "import os\n"
            "\n"
            "from streammesh.sdk import Mesh\n"
            "\n"
            f"# API token of {self.principal}: 'streammesh token create', kept in ${TOKEN_ENV}\n"
            f'with Mesh.connect("{self.endpoint.server_url}", '
            f'token=os.environ["{TOKEN_ENV}"]) as mesh:\n'
            f'    with mesh.consumer("{self.product}", "{self.group}") as consumer:\n'
            "        for event in consumer.take(10, timeout=5):\n"
            "            print(event.key, event.value)\n"
        )

    def _python_confluent(self) -> str:
        deserializer_import, deserializer = _PYTHON_DESERIALIZERS[self.schema_format]
        key = _PYTHON_KEY_DESERIALIZERS[self.key_type]
        key_import = ""
        key_line = ""
        if key is not None:
            key_import = f"from confluent_kafka.serialization import {key.split('(')[0]}\n"
            key_line = f'        "key.deserializer": {key},\n'
        return (
            "import os\n"
            "\n"
            "from confluent_kafka import DeserializingConsumer\n"
            "from confluent_kafka.schema_registry import SchemaRegistryClient\n"
            f"{deserializer_import}\n"
            f"{key_import}"
            "\n"
            "registry = SchemaRegistryClient(\n"
            "    {\n"
            f'        "url": "{self.endpoint.registry_url}",\n'
            f'        "basic.auth.user.info": "{self.principal}:" + os.environ["{TOKEN_ENV}"],\n'
            "    }\n"
            ")\n"
            "consumer = DeserializingConsumer(\n"
            "    {\n"
            f'        "bootstrap.servers": "{self.endpoint.bootstrap_servers}",\n'
            f"{self._python_security()}"
            f'        "group.id": "{self.group}",\n'
            '        "auto.offset.reset": "earliest",\n'
            f"{key_line}"
            f'        "value.deserializer": {deserializer},\n'
            "    }\n"
            ")\n"
            f'consumer.subscribe(["{self.topic}"])\n'
            "try:\n"
            "    while True:  # Ctrl-C stops\n"
            "        message = consumer.poll(1.0)\n"
            "        if message is not None:\n"
            "            print(message.key(), message.value(), flush=True)\n"
            "finally:\n"
            "    consumer.close()\n"
        )

    def _python_security(self) -> str:
        lines = []
        for name, value in self.endpoint.client_settings():
            if value is not None:
                lines.append(f'        "{name}": "{value}",\n')
            else:  # the consumer's own: from its environment, never the mesh's
                lines.append(f'        "{name}": os.environ["{_variable(name)}"],\n')
        return "".join(lines)

    def _java(self) -> str:
        security = "".join(
            f"{name}={value if value is not None else '${' + _variable(name) + '}'}\n"
            for name, value in self.endpoint.client_settings()
        )
        return (
            f"bootstrap.servers={self.endpoint.bootstrap_servers}\n"
            f"{security}"
            f"group.id={self.group}\n"
            "auto.offset.reset=earliest\n"
            f"key.deserializer={_JAVA_KEY_DESERIALIZERS[self.key_type]}\n"
            f"value.deserializer={_JAVA_VALUE_DESERIALIZERS[self.schema_format]}\n"
            f"schema.registry.url={self.endpoint.registry_url}\n"
            "basic.auth.credentials.source=USER_INFO\n"
            f"basic.auth.user.info={self.principal}:${{{TOKEN_ENV}}}\n"
        )

    def _kcat(self) -> str:
        security = "".join(
            f"  -X {name}={value if value is not None else '$' + _variable(name)} \\\n"
            for name, value in self.endpoint.client_settings()
        )
        command = (
            f"kcat -C -b {self.endpoint.bootstrap_servers} -G {self.group} {self.topic} \\\n"
            f"{security}"
            "  -f 'key=%k partition=%p offset=%o %s\\n'"
        )
        if self.schema_format is SchemaFormatName.AVRO:
            registry = self.endpoint.registry_url.replace(
                "://", f"://{self.principal}:${TOKEN_ENV}@", 1
            )
            return f"{command} \\\n  -s value=avro -r '{registry}'\n"
        # kcat decodes only Avro through a registry; other values print in the Confluent
        # wire format (a 5-byte schema id header, then the payload).
        return f"{command}\n"


def connection_details(
    descriptor: Descriptor,
    *,
    schema_id: int,
    endpoint: MeshEndpoint,
    principal: str,
) -> ConnectionDetails:
    """The connection details of ``descriptor``'s product version for ``principal``.

    Args:
        descriptor: The product version's descriptor (topic, key, schema format).
        schema_id: The registry id of its value schema applied last.
        endpoint: Where the mesh is.
        principal: Who asks (an application's service account, usually).
    """
    return ConnectionDetails(
        product=descriptor.topic,
        endpoint=endpoint,
        principal=principal,
        topic=descriptor.topic,
        schema_subject=f"{descriptor.topic}-value",
        schema_id=schema_id,
        schema_format=descriptor.schema_ref.format,
        key_field=descriptor.key.field,
        key_type=descriptor.key.type,
    )


def endpoint_of(
    log_url: str, server_url: str, security: KafkaSecurity | None = None
) -> MeshEndpoint:
    """The endpoint of a mesh whose log is at ``log_url``, served at ``server_url``; a Kafka
    cluster's ``security`` (the mesh's own settings) gives the protocol and mechanism its
    consumers need too — none of the mesh's credentials."""
    location = parse_log_url(log_url)
    if location.scheme != "kafka":
        return MeshEndpoint(server_url=server_url.rstrip("/"))
    given = security or KafkaSecurity()
    return MeshEndpoint(
        server_url=server_url.rstrip("/"),
        bootstrap_servers=location.target,
        security_protocol=given.protocol.value,
        sasl_mechanism=None if given.sasl_mechanism is None else given.sasl_mechanism.value,
        client_certificate=given.protocol.uses_tls and given.ssl_certificate_location is not None,
        oauth_token_url=_public_url(given.oauthbearer_token_endpoint_url),
        oauth_scope=given.oauthbearer_scope,
    )


def _public_url(url: str | None) -> str | None:
    """``url`` without the user and password it may have been written with."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit(parts._replace(netloc=netloc))


def _variable(setting: str) -> str:
    """The environment variable a snippet reads a consumer's own ``setting`` from."""
    return "KAFKA_" + setting.replace(".", "_").upper()


__all__ = [
    "GROUP_RULE",
    "TOKEN_ENV",
    "ConnectionDetails",
    "MeshEndpoint",
    "connection_details",
    "endpoint_of",
]
