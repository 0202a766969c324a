"""Open Data Contract Standard (ODCS v3): export a product as a contract, import one back.

The contract is built with the ``open-data-contract-standard`` package's pydantic model. What
ODCS has a slot for goes there (id, name, version, status, domain, team, schema, SLA
properties, servers, tags); descriptor fields ODCS has no slot for travel as
``customProperties`` named ``streammesh.<field>``, so that export then import gives back an
equivalent descriptor. Import reports what it cannot represent as warnings, never drops it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from open_data_contract_standard.model import (
    CustomProperty,
    Description,
    OpenDataContractStandard,
    SchemaObject,
    SchemaProperty,
    Server,
    ServiceLevelAgreementProperty,
    Team,
    TeamMember,
)
from pydantic import ValidationError

from streammesh.bounded_yaml import load_yaml
from streammesh.products.descriptor import Descriptor, SchemaFormatName
from streammesh.products.errors import ProductError

SchemaFileFormat = Literal["avro", "json"]
"""Formats ``import`` writes the schema in."""

_PREFIX = "streammesh."
_CUSTOM_FIELDS = (
    "alignment",
    "kind",
    "key",
    "partitions",
    "retention",
    "quality",
    "regions",
    "upstreams",
    "visibility",
    "ports",
    "links",
    "deprecation",
)
"""Descriptor fields with no ODCS slot; carried as ``customProperties``."""
_LOGICAL = {
    "string": "string",
    "int": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "boolean": "boolean",
    "bytes": "string",
    "timestamp-millis": "timestamp",
    "timestamp-micros": "timestamp",
    "date": "date",
    "record": "object",
    "array": "array",
    "map": "object",
    "enum": "string",
}
"""Avro type (or logical type) -> ODCS ``logicalType``."""
_AVRO_OF_LOGICAL: dict[str, Any] = {
    "string": "string",
    "integer": "long",
    "number": "double",
    "boolean": "boolean",
    "date": {"type": "int", "logicalType": "date"},
    "timestamp": {"type": "long", "logicalType": "timestamp-millis"},
}
_JSON_OF_LOGICAL: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "timestamp": {"type": "string", "format": "date-time"},
    "object": {"type": "object"},
    "array": {"type": "array"},
}
_SLA_UNITS = {"freshness": None, "availability": "percent"}
_PROPERTY_LEFT_OUT = ("quality", "properties", "items", "relationships")
"""Property attributes an event schema's field cannot hold."""


class ContractInvalid(ProductError):
    """An ODCS contract that does not validate against the ODCS model, or cannot be read.

    ``problems`` holds ``(path, message)`` pairs, one per problem found.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = tuple(problems)
        details = "; ".join(f"{path or '<root>'}: {message}" for path, message in self.problems)
        super().__init__(f"contract '{source}' is not a valid ODCS v3 contract: {details}")


@dataclass(frozen=True, slots=True)
class ImportWarning:
    """Something in a contract that the descriptor cannot represent, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportedProduct:
    """What ``import`` makes of a contract: the descriptor document and its schema file."""

    descriptor: dict[str, Any]
    schema_file: str
    schema_text: str
    warnings: tuple[ImportWarning, ...]


def _avro_fields(schema_text: str) -> list[dict[str, Any]]:
    document = json.loads(schema_text)
    fields = document.get("fields", []) if isinstance(document, dict) else []
    return [field for field in fields if isinstance(field, dict)]


def _avro_logical(avro_type: Any) -> tuple[str, bool]:
    """ODCS logical type of an Avro type, and whether the field is required (not nullable)."""
    if isinstance(avro_type, list):
        others = [member for member in avro_type if member != "null"]
        logical, _ = _avro_logical(others[0] if len(others) == 1 else "string")
        return logical, "null" not in avro_type
    if isinstance(avro_type, dict):
        name = avro_type.get("logicalType") or avro_type.get("type")
        return _LOGICAL.get(str(name), "string"), True
    return _LOGICAL.get(str(avro_type), "object"), True


def _properties(descriptor: Descriptor, schema_text: str) -> list[SchemaProperty]:
    properties = []
    if descriptor.schema_ref.format is SchemaFormatName.AVRO:
        for field in _avro_fields(schema_text):
            name = str(field["name"])
            logical, required = _avro_logical(field["type"])
            physical = field["type"]
            classes = descriptor.classifications.get(name, ())
            properties.append(
                SchemaProperty(
                    name=name,
                    logicalType=logical,
                    physicalType=physical
                    if isinstance(physical, str)
                    else json.dumps(physical, separators=(",", ":")),
                    description=field.get("doc"),
                    required=required,
                    primaryKey=name == descriptor.key.field or None,
                    primaryKeyPosition=1 if name == descriptor.key.field else None,
                    classification=",".join(classes) if classes else None,
                )
            )
    elif descriptor.schema_ref.format is SchemaFormatName.JSON:
        document = json.loads(schema_text)
        required_names = set(document.get("required", []))
        for name, spec in document.get("properties", {}).items():
            json_type = spec.get("type", "object") if isinstance(spec, dict) else "object"
            classes = descriptor.classifications.get(name, ())
            properties.append(
                SchemaProperty(
                    name=name,
                    logicalType=json_type if json_type in _JSON_OF_LOGICAL else "object",
                    physicalType=json.dumps(spec, separators=(",", ":")),
                    description=spec.get("description") if isinstance(spec, dict) else None,
                    required=name in required_names,
                    primaryKey=name == descriptor.key.field or None,
                    primaryKeyPosition=1 if name == descriptor.key.field else None,
                    classification=",".join(classes) if classes else None,
                )
            )
    return properties


def export_contract(
    descriptor: Descriptor, schema_text: str, *, status: str, server: str
) -> OpenDataContractStandard:
    """The ODCS v3 contract of a product.

    Args:
        descriptor: The product's descriptor as last applied.
        schema_text: Its value schema as registered (Avro, JSON Schema or Protobuf).
        status: Its lifecycle status (where the product really is).
        server: Where it is served: Kafka bootstrap servers or the embedded mesh's location.
    """
    document = descriptor.model_dump(mode="json", by_alias=True, exclude_none=True)
    return OpenDataContractStandard(
        apiVersion="v3.0.2",
        kind="DataContract",
        id=descriptor.topic,
        name=descriptor.name,
        version=f"{descriptor.version}.0.0",
        status=status,
        domain=descriptor.domain,
        dataProduct=descriptor.name,
        description=Description(purpose=descriptor.description),
        tags=list(descriptor.tags) or None,
        team=_team(descriptor),
        schema=[_schema_object(descriptor, schema_text)],
        slaProperties=_sla_properties(descriptor, document),
        servers=[
            Server(
                server="mesh", type="kafka", host=server, format=descriptor.schema_ref.format.value
            )
        ],
        customProperties=_custom_properties(descriptor, document, schema_text),
    )


def _team(descriptor: Descriptor) -> Team:
    owner = TeamMember(username=descriptor.owner.email, name=descriptor.owner.name, role="owner")
    return Team(name=descriptor.team, members=[owner])


def _schema_object(descriptor: Descriptor, schema_text: str) -> SchemaObject:
    return SchemaObject(
        name=descriptor.topic,
        physicalName=descriptor.topic,
        logicalType="object",
        physicalType="topic",
        description=descriptor.description,
        properties=_properties(descriptor, schema_text),
    )


def _sla_properties(
    descriptor: Descriptor, document: dict[str, Any]
) -> list[ServiceLevelAgreementProperty]:
    sla = [ServiceLevelAgreementProperty(property="tier", value=int(descriptor.sla.tier))]
    if descriptor.sla.freshness is not None:
        sla.append(
            ServiceLevelAgreementProperty(property="freshness", value=document["sla"]["freshness"])
        )
    if descriptor.sla.availability is not None:
        sla.append(
            ServiceLevelAgreementProperty(
                property="availability", value=descriptor.sla.availability, unit="percent"
            )
        )
    if descriptor.sla.support_hours is not None:
        sla.append(
            ServiceLevelAgreementProperty(
                property="supportHours", value=descriptor.sla.support_hours.value
            )
        )
    if descriptor.sla.contact is not None:
        sla.append(ServiceLevelAgreementProperty(property="contact", value=descriptor.sla.contact))
    return sla


def _custom_properties(
    descriptor: Descriptor, document: dict[str, Any], schema_text: str
) -> list[CustomProperty]:
    custom = [
        CustomProperty(property=f"{_PREFIX}{name}", value=document[name])
        for name in _CUSTOM_FIELDS
        if document.get(name) not in (None, [], {})
    ]
    custom.append(
        CustomProperty(property=f"{_PREFIX}schemaFormat", value=descriptor.schema_ref.format.value)
    )
    if descriptor.schema_ref.format is SchemaFormatName.PROTOBUF:
        custom.append(CustomProperty(property=f"{_PREFIX}schema", value=schema_text))
        # No properties are derived from a .proto, so classifications have no property to sit on.
        if document.get("classifications"):
            custom.append(
                CustomProperty(
                    property=f"{_PREFIX}classifications", value=document["classifications"]
                )
            )
    return custom


def contract_yaml(contract: OpenDataContractStandard) -> str:
    """The contract as ODCS YAML (camelCase keys, no empty fields)."""
    document = contract.model_dump(mode="json", by_alias=True, exclude_none=True)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def parse_contract(text: str, *, source: str) -> OpenDataContractStandard:
    """Read and validate an ODCS contract; raise :class:`ContractInvalid` with every problem."""
    try:
        document = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ContractInvalid(source, [("", str(exc).replace("\n", " "))]) from exc
    if not isinstance(document, dict):
        raise ContractInvalid(source, [("", "the contract is not a mapping")])
    try:
        return OpenDataContractStandard.model_validate(document)
    except ValidationError as exc:
        problems = [
            (".".join(str(part) for part in error["loc"]), error["msg"]) for error in exc.errors()
        ]
        raise ContractInvalid(source, problems) from exc


def _custom(contract: OpenDataContractStandard) -> dict[str, Any]:
    return {
        (item.property or ""): item.value
        for item in contract.customProperties or []
        if item.property is not None
    }


def _avro_type(prop: SchemaProperty, path: str, warnings: list[ImportWarning]) -> Any:
    if prop.physicalType:
        try:
            return json.loads(prop.physicalType)
        except json.JSONDecodeError:
            return prop.physicalType
    logical = prop.logicalType or "string"
    if logical not in _AVRO_OF_LOGICAL:
        warnings.append(
            ImportWarning(
                f"{path}.logicalType", f"'{logical}' has no Avro type here; written as string"
            )
        )
        return "string"
    avro = _AVRO_OF_LOGICAL[logical]
    return avro if prop.required else ["null", avro]


def import_contract(
    contract: OpenDataContractStandard, *, schema_format: SchemaFileFormat = "avro"
) -> ImportedProduct:
    """A descriptor document and schema file from an ODCS contract, plus what could not fit.

    Raises:
        ContractInvalid: The contract lacks what a descriptor cannot do without.
    """
    # One list, filled phase by phase, so the warnings read in the contract's own order.
    warnings: list[ImportWarning] = []
    custom = _custom(contract)
    obj = _event_schema(contract, warnings)
    name = contract.dataProduct or contract.name or ""
    product = name.split(".", 1)[-1]
    team = contract.team if isinstance(contract.team, Team) else None
    owner = _owner(contract, team, warnings)
    properties = obj.properties or []
    schema_file, schema_text = _schema_file(contract, obj, product, schema_format, custom, warnings)
    sla = _sla(contract, warnings)
    descriptor: dict[str, Any] = {
        "name": name,
        "domain": contract.domain,
        "owner": {"name": owner.name or owner.username, "email": owner.username} if owner else None,
        "team": team.name if team else None,
        "description": contract.description.purpose if contract.description else obj.description,
        "tags": list(contract.tags or []),
        "alignment": custom.get(f"{_PREFIX}alignment", "source"),
        "kind": custom.get(f"{_PREFIX}kind", "state"),
        "key": _key(custom, properties),
        "schema": schema_file,
        "version": _major(contract.version),
        "sla": sla,
        "classifications": _classifications(properties)
        or custom.get(f"{_PREFIX}classifications", {}),
        "status": contract.status,
    }
    # The rest of the fields with no ODCS slot come back from where export put them.
    for field_name in _CUSTOM_FIELDS:
        if f"{_PREFIX}{field_name}" in custom and field_name not in descriptor:
            descriptor[field_name] = custom[f"{_PREFIX}{field_name}"]
    _warn_unknown_custom(contract, warnings)
    _warn_left_out(
        contract,
        ("roles", "support", "price", "authoritativeDefinitions"),
        "",
        "not represented in a descriptor; left out",
        warnings,
    )
    return ImportedProduct(descriptor, schema_file, schema_text, tuple(warnings))


def _warn_left_out(
    item: Any, attributes: tuple[str, ...], at: str, reason: str, warnings: list[ImportWarning]
) -> None:
    """Warn of each of ``item``'s ``attributes`` that is set; paths are ``at`` + the name."""
    for attribute in attributes:
        if getattr(item, attribute):
            warnings.append(ImportWarning(f"{at}{attribute}", reason))


def _event_schema(
    contract: OpenDataContractStandard, warnings: list[ImportWarning]
) -> SchemaObject:
    if not contract.schema_:
        raise ContractInvalid("contract", [("schema", "a product needs one schema object")])
    for index in range(1, len(contract.schema_)):
        warnings.append(
            ImportWarning(f"schema[{index}]", "a product has one event schema; left out")
        )
    return contract.schema_[0]


def _owner(
    contract: OpenDataContractStandard, team: Team | None, warnings: list[ImportWarning]
) -> TeamMember | None:
    # ODCS 3.0 allowed the team as a bare list of members.
    members: list[TeamMember] = list(
        (team.members if team else contract.team if isinstance(contract.team, list) else None) or []
    )
    owner = next((m for m in members if m.role == "owner"), members[0] if members else None)
    for index, member in enumerate(members):
        if member is not owner:
            warnings.append(
                ImportWarning(
                    f"team.members[{index}]", "only the owner is kept; descriptors name one"
                )
            )
    return owner


def _key(custom: dict[str, Any], properties: list[SchemaProperty]) -> Any:
    key = custom.get(f"{_PREFIX}key")
    if key is None:
        primary = next((p.name for p in properties if p.primaryKey), None)
        key = {"field": primary or "", "type": "string"}
    return key


def _classifications(properties: list[SchemaProperty]) -> dict[str, list[str]]:
    return {
        str(prop.name): prop.classification.split(",") for prop in properties if prop.classification
    }


def _schema_file(
    contract: OpenDataContractStandard,
    obj: SchemaObject,
    product: str,
    schema_format: SchemaFileFormat,
    custom: dict[str, Any],
    warnings: list[ImportWarning],
) -> tuple[str, str]:
    """The schema file's name and text: ``obj``'s properties rebuilt in ``schema_format``,
    or the product's .proto when it travelled whole."""
    properties = obj.properties or []
    original_format = custom.get(f"{_PREFIX}schemaFormat")
    if schema_format == "avro":
        schema_text = _avro_schema(contract, product, properties, original_format, warnings)
        schema_file = f"{product}.avsc"
    else:
        schema_text = _json_schema(properties, original_format, warnings)
        schema_file = f"{product}.json"
    _warn_left_out(
        obj, ("quality", "relationships"), "schema[0].", "not represented; left out", warnings
    )
    proto = custom.get(f"{_PREFIX}schema")
    if original_format == "protobuf" and isinstance(proto, str):
        # The .proto travelled whole: write it back rather than a schema rebuilt from nothing.
        schema_text, schema_file = proto.rstrip("\n"), f"{product}.proto"
        if schema_format == "json":
            warnings.append(
                ImportWarning(
                    f"customProperties.{_PREFIX}schema",
                    "the product's schema is Protobuf; written as .proto, not JSON Schema",
                )
            )
    return schema_file, schema_text


def _avro_schema(
    contract: OpenDataContractStandard,
    product: str,
    properties: list[SchemaProperty],
    original_format: Any,
    warnings: list[ImportWarning],
) -> str:
    fields: list[dict[str, Any]] = []
    for index, prop in enumerate(properties):
        path = f"schema[0].properties[{index}]"
        _warn_left_out(prop, _PROPERTY_LEFT_OUT, f"{path}.", "not represented; left out", warnings)
        if original_format == "json":
            avro: Any = _AVRO_OF_LOGICAL.get(prop.logicalType or "string", "string")
        else:
            avro = _avro_type(prop, path, warnings)
        field: dict[str, Any] = {"name": prop.name, "type": avro}
        if isinstance(avro, list) and "null" in avro:
            field["default"] = None
        if prop.description:
            field["doc"] = prop.description
        fields.append(field)
    return json.dumps(
        {
            "type": "record",
            "name": product.replace("-", "_").capitalize() or "Event",
            "namespace": f"{contract.domain}.v{_major(contract.version)}",
            "fields": fields,
        },
        indent=2,
    )


def _json_property(physical_type: str, path: str) -> dict[str, Any]:
    """The JSON Schema of a property a streammesh export wrote in ``physicalType``."""
    try:
        spec = json.loads(physical_type)
    except json.JSONDecodeError:
        spec = None
    if not isinstance(spec, dict):
        raise ContractInvalid(
            "contract",
            [
                (
                    path,
                    f"'{physical_type[:80]}' is not a JSON Schema object, which a contract "
                    "with streammesh.schemaFormat 'json' carries there",
                )
            ],
        )
    return spec


def _json_schema(
    properties: list[SchemaProperty], original_format: Any, warnings: list[ImportWarning]
) -> str:
    json_properties: dict[str, Any] = {}
    for index, prop in enumerate(properties):
        path = f"schema[0].properties[{index}]"
        _warn_left_out(prop, _PROPERTY_LEFT_OUT, f"{path}.", "not represented; left out", warnings)
        spec: dict[str, Any]
        if original_format == "json" and prop.physicalType:
            spec = _json_property(prop.physicalType, f"{path}.physicalType")
        else:
            spec = dict(_JSON_OF_LOGICAL.get(prop.logicalType or "string", {"type": "string"}))
            if prop.description:
                spec["description"] = prop.description
        json_properties[str(prop.name)] = spec
    return json.dumps(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": json_properties,
            "required": [str(prop.name) for prop in properties if prop.required],
        },
        indent=2,
    )


def _sla(contract: OpenDataContractStandard, warnings: list[ImportWarning]) -> dict[str, Any]:
    sla: dict[str, Any] = {}
    names = {"tier": "tier", "freshness": "freshness", "availability": "availability"}
    names |= {"supportHours": "support_hours", "contact": "contact"}
    for index, item in enumerate(contract.slaProperties or []):
        if item.property in names:
            sla[names[item.property]] = item.value
        else:
            warnings.append(
                ImportWarning(
                    f"slaProperties[{index}]", f"'{item.property}' has no descriptor field"
                )
            )
    sla.setdefault("tier", 4)
    return sla


def _warn_unknown_custom(contract: OpenDataContractStandard, warnings: list[ImportWarning]) -> None:
    known = {
        f"{_PREFIX}{field}"
        for field in (*_CUSTOM_FIELDS, "schemaFormat", "schema", "classifications")
    }
    for index, extra in enumerate(contract.customProperties or []):
        if extra.property not in known:
            warnings.append(
                ImportWarning(
                    f"customProperties[{index}]", f"'{extra.property}' is not a descriptor field"
                )
            )


def _major(version: str | None) -> int:
    head = (version or "1").split(".", 1)[0]
    return int(head) if head.isdigit() and int(head) >= 1 else 1


def write_imported(
    contract_file: Path, into: Path, *, schema_format: str = "avro"
) -> tuple[ImportWarning, ...]:
    """Import a contract file: write ``<product>.yaml`` and its schema file under ``into``.

    Nothing is written when the contract is invalid, makes no valid descriptor, or a file
    to write exists already.

    Returns:
        What the descriptor could not represent, path and reason each.

    Raises:
        ContractInvalid: The contract cannot be read, does not validate, or makes no valid
            descriptor; or a file to write exists.
    """
    source = str(contract_file)
    if schema_format not in ("avro", "json"):
        raise ContractInvalid(
            source, [("--schema-format", f"'{schema_format}' is not avro or json")]
        )
    try:
        text = contract_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractInvalid(source, [("", f"cannot be read: {exc}")]) from exc
    contract = parse_contract(text, source=source)
    imported = import_contract(
        contract, schema_format="json" if schema_format == "json" else "avro"
    )
    try:
        descriptor = Descriptor.model_validate(imported.descriptor)
    except ValidationError as exc:
        problems = [
            (".".join(str(part) for part in error["loc"]), error["msg"]) for error in exc.errors()
        ]
        raise ContractInvalid(source, problems) from exc
    product = descriptor.name.split(".", 1)[1]
    descriptor_path = into / f"{product}.yaml"
    schema_path = into / imported.schema_file
    for path in (descriptor_path, schema_path):
        if path.exists():
            raise ContractInvalid(source, [("", f"'{path}' exists already; nothing was written")])
    into.mkdir(parents=True, exist_ok=True)
    schema_path.write_text(imported.schema_text + "\n", encoding="utf-8")
    descriptor_path.write_text(
        yaml.safe_dump(imported.descriptor, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return imported.warnings
