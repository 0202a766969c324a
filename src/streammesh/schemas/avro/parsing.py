"""Reading Avro schema JSON into a normalised tree, checking every rule with its location.

The normalised tree is the schema with every name made full: a named type is defined once as
a dict whose ``name`` is its full name (no ``namespace`` key, aliases qualified), and every
later use of it is its full name as a string. Primitive types without attributes are plain
strings. Canonical form, field listing, event validation and compatibility all walk this tree,
so none of them has to know about namespaces.

Errors carry a JSON-pointer location into the schema as written (``/fields/2/type``).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from streammesh.schemas.avro.defaults import default_problem
from streammesh.schemas.avro.names import (
    NAMED_KINDS,
    PRIMITIVES,
    is_valid_fullname,
    is_valid_name,
    is_valid_namespace,
    namespace_of,
    qualify,
)
from streammesh.schemas.base import SchemaType
from streammesh.schemas.errors import InvalidSchema, UnresolvedReference
from streammesh.schemas.nesting import check_schema_text

_FIELD_ORDERS = ("ascending", "descending", "ignore")
_KINDS = ", ".join(sorted(PRIMITIVES | {"record", "enum", "fixed", "array", "map"}))


@dataclass(frozen=True, slots=True)
class SchemaTree:
    """A schema after parsing: its JSON as written, normalised root, and named types it defines."""

    raw: Any
    root: Any
    defined: Mapping[str, Any]


def decode_json(text: str) -> Any:
    """The JSON value of ``text``; ``InvalidSchema`` with line and column if it is not JSON,
    or is too large or nested too deep to parse (see :mod:`streammesh.schemas.nesting`)."""
    check_schema_text(text, SchemaType.AVRO)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSchema(
            SchemaType.AVRO,
            f"line {exc.lineno}, column {exc.colno}",
            f"the schema is not valid JSON: {exc.msg}",
        ) from exc


def normalise(raw: Any, external: Mapping[str, Any]) -> SchemaTree:
    """Check ``raw`` (decoded schema JSON) and normalise it.

    Args:
        raw: The decoded schema JSON.
        external: Normalised definitions of the named types that referenced schemas define,
            by full name.

    Raises:
        InvalidSchema: A rule of the Avro specification is broken; the location says where.
        UnresolvedReference: The schema uses a named type that is neither defined in it nor in
            ``external``.
    """
    walker = _Walker(external)
    root = walker.walk(raw, "", "")
    return SchemaTree(raw=raw, root=root, defined=walker.defined)


def _fail(location: str, reason: str) -> InvalidSchema:
    return InvalidSchema(SchemaType.AVRO, location or "/", reason)


class _Walker:
    def __init__(self, external: Mapping[str, Any]) -> None:
        self.external = external
        self.defined: dict[str, Any] = {}

    def lookup(self, fullname: str) -> Any | None:
        return self.defined.get(fullname, self.external.get(fullname))

    def walk(self, raw: Any, namespace: str, loc: str) -> Any:
        if isinstance(raw, str):
            return self.reference(raw, namespace, loc)
        if isinstance(raw, list):
            return self.union(raw, namespace, loc)
        if isinstance(raw, dict):
            return self.complex(raw, namespace, loc)
        raise _fail(
            loc,
            f"a type must be a type name, a JSON object or a JSON array (a union), "
            f"got {json.dumps(raw)}",
        )

    def reference(self, name: str, namespace: str, loc: str) -> str:
        if name in PRIMITIVES:
            return name
        if not is_valid_fullname(name):
            raise _fail(loc, f"'{name}' is not a valid type name; known types are {_KINDS}")
        for candidate in (qualify(name, namespace), name):
            if self.lookup(candidate) is not None:
                return candidate
        if "." not in name and name[:1].islower():
            # Named types are conventionally capitalised; a lower-case bare word is far more
            # likely a misspelt primitive or kind than a type from another schema.
            close = difflib.get_close_matches(name, sorted(PRIMITIVES | NAMED_KINDS), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise _fail(
                loc,
                f"unknown type '{name}'; {hint}known types are {_KINDS}, or a named type defined "
                "earlier in the schema or in a referenced schema",
            )
        raise UnresolvedReference(SchemaType.AVRO, qualify(name, namespace))

    def union(self, branches: list[Any], namespace: str, loc: str) -> list[Any]:
        if not branches:
            raise _fail(loc, "a union needs at least one branch")
        seen: set[str] = set()
        result = []
        for index, branch in enumerate(branches):
            where = f"{loc}/{index}"
            if isinstance(branch, list):
                raise _fail(where, "a union cannot directly contain another union; merge them")
            node = self.walk(branch, namespace, where)
            key = self.branch_key(node)
            if key in seen:
                raise _fail(where, f"the union already has a '{key}' branch; remove one")
            seen.add(key)
            result.append(node)
        return result

    def branch_key(self, node: Any) -> str:
        """What makes a union branch distinct: its full name if named, else its kind."""
        if isinstance(node, str):
            return node
        if node["type"] in NAMED_KINDS:
            return str(node["name"])
        return str(node["type"])

    def complex(self, raw: dict[str, Any], namespace: str, loc: str) -> Any:
        if "type" not in raw:
            raise _fail(loc, 'a schema object needs a "type" attribute')
        kind = raw["type"]
        if isinstance(kind, dict | list):
            if len(raw) != 1:
                raise _fail(f"{loc}/type", '"type" must be a type name when other keys are present')
            return self.walk(kind, namespace, f"{loc}/type")
        if not isinstance(kind, str):
            raise _fail(f"{loc}/type", f'"type" must be a string, got {json.dumps(kind)}')
        if kind in PRIMITIVES:
            attributes = {key: value for key, value in raw.items() if key != "type"}
            return {"type": kind, **attributes} if attributes else kind
        if kind in ("record", "error", "enum", "fixed"):
            return self.named(raw, kind, namespace, loc)
        if kind == "array":
            return self.container(raw, "items", namespace, loc)
        if kind == "map":
            return self.container(raw, "values", namespace, loc)
        if len(raw) == 1:
            return self.reference(kind, namespace, f"{loc}/type")
        raise _fail(f"{loc}/type", f"unknown type '{kind}'; known types are {_KINDS}")

    def container(self, raw: dict[str, Any], key: str, namespace: str, loc: str) -> Any:
        if key not in raw:
            raise _fail(loc, f'an {raw["type"]} needs an "{key}" attribute with its element type')
        node = dict(raw)
        node[key] = self.walk(raw[key], namespace, f"{loc}/{key}")
        return node

    def named(self, raw: dict[str, Any], kind: str, namespace: str, loc: str) -> Any:
        name = raw.get("name")
        if not isinstance(name, str) or not is_valid_fullname(name):
            raise _fail(
                f"{loc}/name",
                f"a {kind} needs a \"name\" made of letters, digits and '_' (not starting with a "
                f"digit), got {json.dumps(name)}",
            )
        own_namespace = raw.get("namespace", namespace)
        if own_namespace is None:
            own_namespace = ""
        if not isinstance(own_namespace, str) or not is_valid_namespace(own_namespace):
            raise _fail(f"{loc}/namespace", f"invalid namespace {json.dumps(own_namespace)}")
        fullname = qualify(name, own_namespace)
        if fullname in PRIMITIVES or name in PRIMITIVES:
            raise _fail(f"{loc}/name", f"'{name}' is a primitive type and cannot name a {kind}")
        if self.lookup(fullname) is not None:
            raise _fail(f"{loc}/name", f"the type '{fullname}' is already defined; rename one")
        inner = namespace_of(fullname)
        node: dict[str, Any] = {
            key: value for key, value in raw.items() if key not in ("name", "namespace")
        }
        node["type"] = "record" if kind == "error" else kind  # "error" is a record kind
        node["name"] = fullname
        node["aliases"] = self.aliases(raw, inner, loc, qualified=True)
        if not node["aliases"]:
            del node["aliases"]
        self.defined[fullname] = node  # before the fields: a record may refer to itself
        if kind in ("record", "error"):
            node["fields"] = self.fields(raw, inner, loc)
        elif kind == "enum":
            self.enum(raw, loc)
        else:
            size = raw.get("size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise _fail(
                    f"{loc}/size", f'a fixed needs a non-negative integer "size", got {size!r}'
                )
        return node

    def aliases(
        self, raw: dict[str, Any], namespace: str, loc: str, *, qualified: bool
    ) -> list[str]:
        aliases = raw.get("aliases", [])
        valid = is_valid_fullname if qualified else is_valid_name
        if not isinstance(aliases, list) or not all(
            isinstance(alias, str) and valid(alias) for alias in aliases
        ):
            raise _fail(f"{loc}/aliases", f'"aliases" must be a list of names, got {aliases!r}')
        if qualified:
            return sorted({qualify(alias, namespace) for alias in aliases})
        return sorted(set(aliases))

    def fields(self, raw: dict[str, Any], namespace: str, loc: str) -> list[dict[str, Any]]:
        fields = raw.get("fields")
        if not isinstance(fields, list):
            raise _fail(f"{loc}/fields", 'a record needs a "fields" list')
        result: list[dict[str, Any]] = []
        names: set[str] = set()
        for index, field in enumerate(fields):
            where = f"{loc}/fields/{index}"
            if not isinstance(field, dict):
                raise _fail(where, "a field must be a JSON object with a name and a type")
            name = field.get("name")
            if not isinstance(name, str) or not is_valid_name(name):
                raise _fail(
                    f"{where}/name",
                    "a field needs a \"name\" made of letters, digits and '_' (not starting with "
                    f"a digit), got {json.dumps(name)}",
                )
            if name in names:
                raise _fail(
                    f"{where}/name", f"duplicate field name '{name}'; field names must be unique"
                )
            names.add(name)
            if "type" not in field:
                raise _fail(where, f"field '{name}' needs a \"type\"")
            node = dict(field)
            node["type"] = self.walk(field["type"], namespace, f"{where}/type")
            aliases = self.aliases(field, namespace, where, qualified=False)
            if aliases:
                node["aliases"] = aliases
            else:
                node.pop("aliases", None)
            order = field.get("order", "ascending")
            if order not in _FIELD_ORDERS:
                raise _fail(
                    f"{where}/order", f'"order" must be one of {_FIELD_ORDERS}, got {order!r}'
                )
            if "default" in field:
                problem = default_problem(node["type"], field["default"], self.named_view())
                if problem is not None:
                    raise _fail(
                        f"{where}/default", f"invalid default for field '{name}': {problem}"
                    )
            result.append(node)
        return result

    def enum(self, raw: dict[str, Any], loc: str) -> None:
        symbols = raw.get("symbols")
        if not isinstance(symbols, list):
            raise _fail(f"{loc}/symbols", 'an enum needs a "symbols" list')
        for index, symbol in enumerate(symbols):
            if not isinstance(symbol, str) or not is_valid_name(symbol):
                raise _fail(
                    f"{loc}/symbols/{index}",
                    f"enum symbols are names (letters, digits, '_'), got {json.dumps(symbol)}",
                )
        if len(set(symbols)) != len(symbols):
            duplicates = sorted({symbol for symbol in symbols if symbols.count(symbol) > 1})
            raise _fail(f"{loc}/symbols", f"duplicate enum symbols {duplicates}")
        if "default" in raw and raw["default"] not in symbols:
            raise _fail(
                f"{loc}/default",
                f"the enum default {json.dumps(raw['default'])} is not one of its symbols",
            )

    def named_view(self) -> Mapping[str, Any]:
        return {**self.external, **self.defined}
