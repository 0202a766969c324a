"""The ``--kafka-*`` options: ``kafka.security`` settings on the command line.

Global (``streammesh --kafka-sasl-username u topics list``) like ``--log``, and on the
long-running commands ``up`` and ``worker`` too, like their own ``--log``; a command's option
wins over the global one. Secrets (passwords, the OIDC client secret, the key password) have
no option: a process list would show them. They come from ``$STREAMMESH_KAFKA_*`` or
``mesh.yaml``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from streammesh.cli.settings import CliSettings

PANEL = "Kafka security (also kafka.security in mesh.yaml, $STREAMMESH_KAFKA_*)"

KafkaProtocolOption = Annotated[
    str | None,
    typer.Option(
        "--kafka-security-protocol",
        metavar="PROTOCOL",
        show_default=False,
        rich_help_panel=PANEL,
        help="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (kafka.security.protocol).",
    ),
]
KafkaMechanismOption = Annotated[
    str | None,
    typer.Option(
        "--kafka-sasl-mechanism",
        metavar="MECHANISM",
        show_default=False,
        rich_help_panel=PANEL,
        help="PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER; the password comes "
        "from $STREAMMESH_KAFKA_SASL_PASSWORD or mesh.yaml, never from an option.",
    ),
]
KafkaUsernameOption = Annotated[
    str | None,
    typer.Option(
        "--kafka-sasl-username",
        metavar="USER",
        show_default=False,
        rich_help_panel=PANEL,
        help="SASL user (PLAIN, SCRAM).",
    ),
]
KafkaCaOption = Annotated[
    str | None,
    typer.Option(
        "--kafka-ssl-ca-location",
        metavar="FILE",
        show_default=False,
        rich_help_panel=PANEL,
        help="CA certificate(s) (PEM) of the brokers; default: the system's CAs.",
    ),
]
KafkaCertificateOption = Annotated[
    str | None,
    typer.Option(
        "--kafka-ssl-certificate-location",
        metavar="FILE",
        show_default=False,
        rich_help_panel=PANEL,
        help="Client certificate (PEM), for clusters that ask for one.",
    ),
]
KafkaKeyOption = Annotated[
    str | None,
    typer.Option(
        "--kafka-ssl-key-location",
        metavar="FILE",
        show_default=False,
        rich_help_panel=PANEL,
        help="Private key (PEM) of the client certificate; its password comes from "
        "$STREAMMESH_KAFKA_SSL_KEY_PASSWORD.",
    ),
]


def kafka_options(
    ctx: typer.Context,
    *,
    protocol: str | None,
    sasl_mechanism: str | None,
    sasl_username: str | None,
    ssl_ca_location: str | None,
    ssl_certificate_location: str | None,
    ssl_key_location: str | None,
) -> dict[str, str]:
    """The ``kafka.security`` settings given on the command line: the global options, with
    these (a command's own) winning."""
    given = {
        "protocol": protocol,
        "sasl_mechanism": sasl_mechanism,
        "sasl_username": sasl_username,
        "ssl_ca_location": ssl_ca_location,
        "ssl_certificate_location": ssl_certificate_location,
        "ssl_key_location": ssl_key_location,
    }
    own = {name: value for name, value in given.items() if value}
    return {**ctx.ensure_object(CliSettings).kafka_options, **own}
