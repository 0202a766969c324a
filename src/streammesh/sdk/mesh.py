"""``Mesh``: where SDK users start — open a mesh in-process, or connect to a server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from streammesh.sdk.local import InProcessMesh

if TYPE_CHECKING:
    from streammesh.log import KafkaSecurity
    from streammesh.sdk.remote import RemoteMesh


class Mesh:
    """The two ways into a mesh.

    Example:
        >>> mesh = Mesh.open(".streammesh")  # embedded, in this process  # doctest: +SKIP
        >>> mesh = Mesh.connect("http://mesh.internal:8080", token=token)  # doctest: +SKIP
        >>> with mesh.producer("execution.stocktrades") as producer:  # doctest: +SKIP
        ...     producer.send({"trade_id": "t-1", "symbol": "ACME", "price": 12.5})
    """

    def __init__(self) -> None:
        raise TypeError("use Mesh.open(path) or Mesh.connect(url, token=...)")

    @staticmethod
    def open(
        home: str | Path | None = None,
        *,
        log_url: str | None = None,
        store_url: str | None = None,
        actor: str | None = None,
        principal: str | None = None,
        kafka_security: KafkaSecurity | None = None,
    ) -> InProcessMesh:
        """The mesh at directory ``home`` (default ``$STREAMMESH_HOME``, else ``./.streammesh``),
        created when missing, used in this process.

        Args:
            home: The mesh directory.
            log_url: Event log URL, overriding ``mesh.yaml`` and ``$STREAMMESH_LOG``.
            store_url: Metadata store URL, overriding ``mesh.yaml`` and ``$STREAMMESH_STORE``.
            actor: Who the audit log records for changes (default: ``principal``, else
                ``sdk:<user>``).
            principal: The application (a service account) to produce and consume as; its
                grants are checked and decide whether classified fields are readable. Without
                it you act as the mesh's operator (you hold its directory and keys).
            kafka_security: SASL and TLS settings of the Kafka clients, instead of
                ``kafka.security`` in ``mesh.yaml`` and ``$STREAMMESH_KAFKA_*``.

        Example:
            >>> from pydantic import SecretStr  # doctest: +SKIP
            >>> from streammesh.log import KafkaSecurity, SaslMechanism, SecurityProtocol
            >>> Mesh.open(  # doctest: +SKIP
            ...     log_url="kafka://broker:9093",
            ...     kafka_security=KafkaSecurity(
            ...         protocol=SecurityProtocol.SASL_SSL,
            ...         sasl_mechanism=SaslMechanism.SCRAM_SHA_512,
            ...         sasl_username="svc-trades",
            ...         sasl_password=SecretStr(os.environ["KAFKA_PASSWORD"]),
            ...     ),
            ... )
        """
        return InProcessMesh.open(
            home,
            log_url=log_url,
            store_url=store_url,
            actor=actor,
            principal=principal,
            kafka_security=kafka_security,
        )

    @staticmethod
    def connect(url: str, *, token: str) -> RemoteMesh:
        """The mesh served by the streammesh server at ``url``, used with API token ``token``.

        Produce and consume go through the server's REST API.
        """
        from streammesh.sdk.remote import RemoteMesh

        return RemoteMesh(url, token)
