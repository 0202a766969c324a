"""A connector's definition as a Kafka Connect config, and back.

Kafka Connect describes a connector by a flat ``config`` map; the mesh by a definition YAML
(``name``, ``kind``, ``principal``, ``products`` for a sink, ``config``). They map one to one:

================================  ==============================================
Connect config key                 definition
================================  ==============================================
``connector.class``                ``kind`` (``jdbc-poll``, ``parquet``...)
``name``                           ``name`` (must match the URL's name)
``principal``                      ``principal`` (the service account)
``topics`` (a sink)                ``products``: ``"shop.orders,shop.users"`` or a list
``tasks.max``                      accepted when ``1`` (a connector is one task)
``placement``                      where it runs: ``server`` (default) or ``process``
any other key                      ``config.<key>``: the kind's settings, as given
================================  ==============================================

The kind's settings keep their JSON types (a nested ``columns`` mapping stays a mapping;
Connect's strings such as ``"1000"`` are accepted where a number is expected). ``${VAR}``
references are kept as written, never substituted in what is stored or returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import SecretStr

from streammesh.bounded_yaml import load_yaml
from streammesh.connect.kinds import ConnectorKind
from streammesh.connect.managed.errors import ConnectorConfigInvalid, SecretInClear
from streammesh.connect.managed.records import Connector, Placement

__all__ = [
    "RESERVED_KEYS",
    "check_credentials",
    "config_from_definition",
    "connect_config",
    "definition_from_config",
]

RESERVED_KEYS = ("connector.class", "name", "principal", "topics", "tasks.max", "placement")
"""The Connect config keys that are not the kind's settings."""

_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def connect_config(connector: Connector) -> dict[str, Any]:
    """``connector``'s definition as a Kafka Connect config (see the module)."""
    document = connector.document()
    config: dict[str, Any] = {
        "connector.class": connector.kind,
        "name": connector.name,
        "principal": connector.principal,
        "tasks.max": "1",
        "placement": connector.placement.value,
    }
    if connector.products:
        config["topics"] = ",".join(connector.products)
    settings = document.get("config") or {}
    if isinstance(settings, Mapping):
        config.update({str(key): value for key, value in settings.items()})
    return config


def config_from_definition(
    text: str, *, placement: Placement | None = None
) -> tuple[str, dict[str, Any]]:
    """The connector's name and Kafka Connect config of definition YAML ``text`` (for a client
    sending a definition file to a server), ``${VAR}`` references as written. The server
    validates it.

    Raises:
        ConnectorConfigInvalid: ``text`` is no mapping with a name.
    """
    try:
        loaded = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ConnectorConfigInvalid("", "", f"is not YAML: {exc}") from None
    if not isinstance(loaded, Mapping) or not isinstance(loaded.get("name"), str):
        raise ConnectorConfigInvalid("", "name", "is required: the definition's name")
    name = str(loaded["name"])
    config: dict[str, Any] = {
        "connector.class": loaded.get("kind"),
        "name": name,
        "principal": loaded.get("principal"),
    }
    if loaded.get("products"):
        config["topics"] = loaded["products"]
    if placement is not None:
        config["placement"] = placement.value
    settings = loaded.get("config") or {}
    if isinstance(settings, Mapping):
        config.update({str(key): value for key, value in settings.items()})
    return name, config


def definition_from_config(name: str, config: Mapping[str, Any]) -> tuple[str, Placement | None]:
    """The definition YAML of Connect config ``config`` for connector ``name``, and the
    placement it asks for (``None``: not given).

    Raises:
        ConnectorConfigInvalid: a reserved key is missing or wrong (named).
    """
    given = config.get("name")
    if given is not None and given != name:
        raise ConnectorConfigInvalid(
            name, "name", f"is {given!r}, not the connector's name {name!r} in the URL"
        )
    kind = config.get("connector.class")
    if not isinstance(kind, str) or not kind:
        raise ConnectorConfigInvalid(
            name, "connector.class", "is required: the connector kind (jdbc-poll, parquet...)"
        )
    principal = config.get("principal")
    if not isinstance(principal, str) or not principal:
        raise ConnectorConfigInvalid(
            name, "principal", "is required: the service account the connector runs as"
        )
    tasks = config.get("tasks.max")
    if tasks is not None and str(tasks) != "1":
        raise ConnectorConfigInvalid(
            name, "tasks.max", f"is {tasks!r}; a mesh connector runs as one task: give 1"
        )
    placement: Placement | None = None
    if config.get("placement") is not None:
        try:
            placement = Placement(str(config["placement"]))
        except ValueError:
            raise ConnectorConfigInvalid(
                name, "placement", "is 'server' (hosted by streammesh up) or 'process'"
            ) from None
    document: dict[str, Any] = {"name": name, "kind": kind, "principal": principal}
    topics = config.get("topics")
    if topics is not None:
        if isinstance(topics, str):
            products = [item.strip() for item in topics.split(",") if item.strip()]
        elif isinstance(topics, list) and all(isinstance(item, str) for item in topics):
            products = list(topics)
        else:
            raise ConnectorConfigInvalid(
                name, "topics", "is the products a sink reads: 'a.b,c.d' or a list of names"
            )
        document["products"] = products
    document["config"] = {
        str(key): value for key, value in config.items() if key not in RESERVED_KEYS
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True), placement


def check_credentials(
    name: str, settings: Mapping[str, Any], kind: ConnectorKind | None = None
) -> None:
    """Refuse a credential written in clear in ``settings`` (a definition's ``config:`` as
    written, references unsubstituted): a URL with a password that is not a ``${VAR}``, or a
    secret setting of the kind (``SecretStr``) whose value is neither a reference nor a URL
    without a password (checked only when ``kind`` is given: before the definition is
    validated, a password in a URL is refused before a validator could quote it).

    Raises:
        SecretInClear: naming the setting, never its value.
    """
    secret_fields = {
        field
        for field, info in (kind.config.model_fields.items() if kind is not None else ())
        if "SecretStr" in repr(info.annotation) or info.annotation is SecretStr
    }
    for path, value in _strings(settings, "config"):
        top = path.split(".")[1].split("[")[0] if "." in path else ""
        if _url_password_in_clear(value):
            raise SecretInClear(name, path)
        literal = not _REFERENCE.search(value) and "://" not in value
        if top in secret_fields and path == f"config.{top}" and literal:
            raise SecretInClear(name, path)


def _url_password_in_clear(value: str) -> bool:
    if "://" not in value:
        return False
    try:
        password = urlsplit(value).password
    except ValueError:
        return False
    return bool(password) and not _REFERENCE.search(password or "")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
