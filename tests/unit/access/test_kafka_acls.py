"""``KafkaAcls``: bindings in confluent-kafka's terms, errors translated; the real calls need a
Kafka with an authorizer."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # not re-exported by the stubs
    AclOperation as KafkaOperation,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)

from streammesh.access import AclBinding, AclOperation, AclPatternType, AclResourceType
from streammesh.errors import ConfigError
from streammesh.log.errors import LogError, LogUnavailable
from streammesh.log.kafka.acls import AclBinding as KafkaBinding
from streammesh.log.kafka.acls import (
    AclRefused,
    AclsUnsupported,
    BrokerAcl,
    KafkaAcls,
    acl_error,
    describe_binding,
    from_kafka,
    to_filter,
    to_kafka,
)

GROUP_READ = AclBinding(
    "User:app", AclResourceType.GROUP, "app", AclPatternType.PREFIXED, AclOperation.READ
)
TOPIC_WRITE = AclBinding(
    "User:ingest", AclResourceType.TOPIC, "a.b.v1", AclPatternType.LITERAL, AclOperation.WRITE
)


def test_bindings_become_allow_bindings_for_any_host() -> None:
    group = to_kafka(GROUP_READ)
    assert (group.restype, group.name, group.resource_pattern_type) == (
        ResourceType.GROUP,
        "app",
        ResourcePatternType.PREFIXED,
    )
    assert (group.principal, group.host, group.operation, group.permission_type) == (
        "User:app",
        "*",
        KafkaOperation.READ,
        AclPermissionType.ALLOW,
    )
    topic = to_filter(TOPIC_WRITE)
    assert (topic.restype, topic.name, topic.operation) == (
        ResourceType.TOPIC,
        "a.b.v1",
        KafkaOperation.WRITE,
    )
    assert topic.resource_pattern_type is ResourcePatternType.LITERAL
    assert describe_binding(TOPIC_WRITE) == "User:ingest WRITE topic 'a.b.v1' (literal)"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (KafkaError.SECURITY_DISABLED, AclsUnsupported),
        (KafkaError.CLUSTER_AUTHORIZATION_FAILED, AclRefused),
        (KafkaError.INVALID_REQUEST, AclRefused),
        (KafkaError._TRANSPORT, LogUnavailable),
        (KafkaError.UNKNOWN, LogError),
    ],
)
def test_driver_errors_become_log_errors(code: int, expected: type[LogError]) -> None:
    error = acl_error(
        KafkaException(KafkaError(code, "refused")),
        "kafka://k:9092",
        "User:a READ",
        "creating ACLs",
    )
    assert type(error) is expected
    assert "kafka://k:9092" in str(error)


@pytest.mark.kafka
def test_create_and_delete_against_a_broker(kafka_bootstrap: str) -> None:
    pytest.skip("tansu 0.6 crashes librdkafka on CreateAcls; run against a real Kafka with ACLs")


def test_bindings_the_cluster_lists_come_back_in_the_access_layers_terms() -> None:
    assert from_kafka(to_kafka(GROUP_READ)) == BrokerAcl(
        "User:app", "group", "app", "prefixed", "read"
    )
    every = KafkaBinding(
        ResourceType.BROKER,
        "kafka-cluster",
        ResourcePatternType.LITERAL,
        "User:ops",
        "*",
        KafkaOperation.ALL,
        AclPermissionType.ALLOW,
    )
    assert from_kafka(every) == BrokerAcl("User:ops", "broker", "kafka-cluster", "literal", "all")
    deny = KafkaBinding(
        ResourceType.TOPIC,
        "a.b.v1",
        ResourcePatternType.LITERAL,
        "User:x",
        "*",
        KafkaOperation.READ,
        AclPermissionType.DENY,
    )
    one_host = KafkaBinding(
        ResourceType.TOPIC,
        "a.b.v1",
        ResourcePatternType.LITERAL,
        "User:x",
        "10.0.0.1",
        KafkaOperation.READ,
        AclPermissionType.ALLOW,
    )
    assert from_kafka(deny) is None  # never the platform's: left alone
    assert from_kafka(one_host) is None


def test_the_acl_admin_is_only_for_a_kafka_log() -> None:
    with pytest.raises(ConfigError, match=r"kafka\.acls is on but the event log is 'embedded"):
        KafkaAcls.for_log("embedded:///tmp/mesh/log")
    assert isinstance(KafkaAcls.for_log("kafka://127.0.0.1:9"), KafkaAcls)  # sends nothing
