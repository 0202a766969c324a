"""``KafkaAcls``: create and delete ACL bindings on a Kafka cluster through the AdminClient.

The bindings come from the access layer (any object shaped like :class:`AclBindingSpec`, e.g.
``streammesh.access.AclBinding``); every one is an ALLOW binding for any host. Driver errors
are translated to ``LogError`` subclasses; a cluster without an authorizer refuses with
``SECURITY_DISABLED``, reported as :class:`AclsUnsupported`.

The test broker (tansu 0.6) crashes librdkafka on CreateAcls, so the calls are tested only
against a real Kafka with an authorizer.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # the stubs do not re-export them
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from streammesh.errors import ConfigError
from streammesh.log.config import LogConfig, parse_log_url
from streammesh.log.errors import LogError, LogUnavailable
from streammesh.log.kafka.settings import LIBRDKAFKA_LOGGER, admin_config
from streammesh.log.kafka.translate import describe_error, kafka_error_of, translate_exception

ANY_HOST = "*"


class AclBindingSpec(Protocol):
    """One ALLOW binding as the access layer describes it (enum values are lower-case names)."""

    @property
    def principal(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def resource_name(self) -> str: ...
    @property
    def pattern_type(self) -> str: ...
    @property
    def operation(self) -> str: ...


class AclsUnsupported(LogError):
    """The cluster has no authorizer (``authorizer.class.name`` unset): no ACLs to manage."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"Kafka log '{url}' does not support ACLs ({reason}); configure an authorizer on "
            "the brokers or turn ACL management off"
        )


class AclRefused(LogError):
    """The cluster refused a binding (not allowed to manage ACLs, or an invalid binding)."""

    def __init__(self, url: str, binding: str, reason: str) -> None:
        self.url = url
        self.binding = binding
        self.reason = reason
        super().__init__(
            f"Kafka log '{url}' refused ACL binding {binding}: {reason}; the platform's "
            "principal needs ALTER on the cluster"
        )


@dataclass(frozen=True, slots=True, order=True)
class BrokerAcl:
    """One ALLOW binding for any host as the cluster holds it (lower-case names, like the
    access layer's ``AclBinding``; operations or types it does not use keep Kafka's name)."""

    principal: str
    resource_type: str
    resource_name: str
    pattern_type: str
    operation: str


def from_kafka(binding: Any) -> BrokerAcl | None:
    """The :class:`BrokerAcl` of a confluent-kafka ``AclBinding``; ``None`` for a DENY binding
    or one limited to a host (the platform never creates those, so it leaves them alone)."""
    if binding.permission_type != AclPermissionType.ALLOW or binding.host != ANY_HOST:
        return None
    return BrokerAcl(
        str(binding.principal),
        binding.restype.name.lower(),
        str(binding.name),
        binding.resource_pattern_type.name.lower(),
        binding.operation.name.lower(),
    )


def to_kafka(spec: AclBindingSpec) -> Any:
    """confluent-kafka's ``AclBinding`` for ``spec``."""
    return AclBinding(
        ResourceType[str(spec.resource_type).upper()],
        spec.resource_name,
        ResourcePatternType[str(spec.pattern_type).upper()],
        spec.principal,
        ANY_HOST,
        AclOperation[str(spec.operation).upper()],
        AclPermissionType.ALLOW,
    )


def to_filter(spec: AclBindingSpec) -> Any:
    """The ``AclBindingFilter`` matching exactly ``spec``'s binding."""
    return AclBindingFilter(
        ResourceType[str(spec.resource_type).upper()],
        spec.resource_name,
        ResourcePatternType[str(spec.pattern_type).upper()],
        spec.principal,
        ANY_HOST,
        AclOperation[str(spec.operation).upper()],
        AclPermissionType.ALLOW,
    )


def describe_binding(spec: AclBindingSpec) -> str:
    """``User:app READ topic 'x.y.v1' (literal)``, for messages."""
    return (
        f"{spec.principal} {str(spec.operation).upper()} {spec.resource_type} "
        f"'{spec.resource_name}' ({spec.pattern_type})"
    )


class KafkaAcls:
    """ACL bindings of one Kafka cluster.

    Creating the client sends nothing; only :meth:`create`, :meth:`delete` and :meth:`list`
    talk to the cluster.
    """

    @classmethod
    def for_log(cls, url: str, config: LogConfig | None = None) -> KafkaAcls:
        """The ACL admin of the cluster behind log URL ``kafka://host:port[,host:port]``.

        Raises:
            ConfigError: ``url`` is not a Kafka log URL.
        """
        location = parse_log_url(url)
        if location.scheme != "kafka":
            raise ConfigError(
                f"kafka.acls is on but the event log is '{url}'; ACL bindings exist only on a "
                "Kafka log (log: kafka://host:port in mesh.yaml); turn kafka.acls off"
            )
        return cls(url, location.target, config or LogConfig())

    def __init__(self, url: str, bootstrap: str, config: LogConfig) -> None:
        self._url = url
        self._timeout_s = config.request_timeout_s
        self._client: Any = AdminClient(admin_config(bootstrap, config), logger=LIBRDKAFKA_LOGGER)

    def create(self, bindings: Iterable[AclBindingSpec]) -> None:
        """Create ``bindings`` (creating an existing one is a no-op on Kafka)."""
        specs = list(bindings)
        if not specs:
            return
        kafka = [to_kafka(spec) for spec in specs]
        try:
            futures = self._client.create_acls(kafka, request_timeout=self._timeout_s)
        except (KafkaException, ValueError, TypeError) as exc:
            raise translate_exception(exc, url=self._url, operation="creating ACLs") from exc
        self._wait(futures, dict(zip(kafka, specs, strict=True)), "creating ACLs")

    def list(self) -> list[BrokerAcl]:
        """Every ALLOW binding for any host the cluster holds, sorted.

        Raises:
            AclsUnsupported: The cluster has no authorizer.
            LogUnavailable: No answer in time.
        """
        anything: Any = None  # a filter's None matches any name (the stubs say str only)
        every = AclBindingFilter(
            ResourceType.ANY,
            anything,
            ResourcePatternType.ANY,
            anything,
            anything,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        try:
            future = self._client.describe_acls(every, request_timeout=self._timeout_s)
            found = future.result(timeout=self._timeout_s + 5.0)
        except KafkaException as exc:
            raise acl_error(exc, self._url, "(every binding)", "listing ACLs") from exc
        except concurrent.futures.TimeoutError as exc:
            raise LogUnavailable(
                self._url, f"listing ACLs: no answer within {self._timeout_s:g} s"
            ) from exc
        return sorted(acl for acl in map(from_kafka, found) if acl is not None)

    def delete(self, bindings: Iterable[AclBindingSpec]) -> None:
        """Delete exactly ``bindings`` (deleting a missing one is a no-op)."""
        specs = list(bindings)
        if not specs:
            return
        filters = [to_filter(spec) for spec in specs]
        try:
            futures = self._client.delete_acls(filters, request_timeout=self._timeout_s)
        except (KafkaException, ValueError, TypeError) as exc:
            raise translate_exception(exc, url=self._url, operation="deleting ACLs") from exc
        self._wait(futures, dict(zip(filters, specs, strict=True)), "deleting ACLs")

    def _wait(
        self, futures: dict[Any, Any], specs: dict[Any, AclBindingSpec], operation: str
    ) -> None:
        for key, future in futures.items():
            try:
                future.result(timeout=self._timeout_s + 5.0)
            except KafkaException as exc:
                raise acl_error(exc, self._url, describe_binding(specs[key]), operation) from exc
            except concurrent.futures.TimeoutError as exc:
                raise LogUnavailable(
                    self._url, f"{operation}: no answer within {self._timeout_s:g} s"
                ) from exc


_REFUSED = frozenset(
    {
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.INVALID_REQUEST,
        KafkaError.INVALID_CONFIG,
    }
)


def acl_error(exc: BaseException, url: str, binding: str, operation: str) -> LogError:
    """The streammesh error for a failed ACL request about ``binding``."""
    error = kafka_error_of(exc)
    if error is not None:
        code = error.code()
        if code == KafkaError.SECURITY_DISABLED:
            return AclsUnsupported(url, describe_error(error))
        if code in _REFUSED:
            return AclRefused(url, binding, describe_error(error))
    return translate_exception(exc, url=url, operation=operation)


__all__: Sequence[str] = [
    "AclBindingSpec",
    "AclRefused",
    "AclsUnsupported",
    "BrokerAcl",
    "KafkaAcls",
    "acl_error",
    "describe_binding",
    "from_kafka",
    "to_filter",
    "to_kafka",
]
