"""The compatibility table: can every document the writer accepts be read by the reader?"""

from __future__ import annotations

import json
from typing import Any

import pytest

from streammesh.schemas import InvalidSchema
from streammesh.schemas.json_schema import JsonSchemaFormat

FORMAT = JsonSchemaFormat()
DRAFT7 = "http://json-schema.org/draft-07/schema#"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"
DRAFT4 = "http://json-schema.org/draft-04/schema#"
DRAFT6 = "http://json-schema.org/draft-06/schema#"
DRAFT2019 = "https://json-schema.org/draft/2019-09/schema"


def obj(properties: dict[str, Any] | None = None, **keywords: Any) -> dict[str, Any]:
    """An object schema with ``properties`` and other keywords."""
    return {"type": "object", "properties": properties or {}, **keywords}


def prop(schema: dict[str, Any], **keywords: Any) -> dict[str, Any]:
    """An object schema with one property ``p``."""
    return obj({"p": schema}, **keywords)


def d2020(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` declaring 2020-12 (draft-07 is the default, as in Confluent)."""
    return {"$schema": DRAFT2020, **schema}


STR = {"type": "string"}
NUM = {"type": "number"}


def arr(items: list[Any], **keywords: Any) -> dict[str, Any]:
    """A draft-07 object whose property ``p`` is a tuple of ``items``."""
    return prop({"type": "array", "items": items, **keywords})


def contains(schema: dict[str, Any], **keywords: Any) -> dict[str, Any]:
    """An object whose property ``p`` is an array that must contain ``schema``."""
    return prop({"type": "array", "contains": schema, **keywords})


CASES: list[tuple[str, Any, Any, list[str]]] = [
    # id, reader, writer, expected rules (empty: compatible)
    ("identical", prop({"type": "string"}), prop({"type": "string"}), []),
    ("type-changed", prop({"type": "string"}), prop({"type": "integer"}), ["TYPE_CHANGED"]),
    (
        "type-narrowed-null-dropped",
        prop({"type": "string"}),
        prop({"type": ["string", "null"]}),
        ["TYPE_NARROWED"],
    ),
    ("type-widened", prop({"type": ["string", "null"]}), prop({"type": "string"}), []),
    ("integer-read-as-number", prop({"type": "number"}), prop({"type": "integer"}), []),
    (
        "number-read-as-integer",
        prop({"type": "integer"}),
        prop({"type": "number"}),
        ["TYPE_NARROWED"],
    ),
    ("type-spellings-equal", prop({"type": ["string"]}), prop({"type": "string"}), []),
    ("type-added-to-untyped", prop({"type": "string"}), prop({}), ["TYPE_NARROWED"]),
    (
        "required-added",
        prop({"type": "string"}, required=["p"]),
        prop({"type": "string"}),
        ["REQUIRED_ATTRIBUTE_ADDED"],
    ),
    ("required-removed", prop({"type": "string"}), prop({"type": "string"}, required=["p"]), []),
    (
        "required-added-to-closed-writer",
        obj({"p": {"type": "string"}, "q": {"type": "string"}}, required=["q"]),
        prop({"type": "string"}, additionalProperties=False),
        ["REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"],
    ),
    (
        "property-added-to-open-content-model",
        obj({"p": {"type": "string"}, "q": {"type": "string"}}),
        prop({"type": "string"}),
        ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"],
    ),
    (
        "property-with-empty-schema-added-to-open",
        obj({"p": {"type": "string"}, "q": {"description": "anything"}}),
        prop({"type": "string"}),
        [],
    ),
    (
        "property-added-writer-closed",
        obj({"p": {"type": "string"}, "q": {"type": "string"}}, additionalProperties=False),
        prop({"type": "string"}, additionalProperties=False),
        [],
    ),
    (
        "property-added-covered-by-partially-open",
        obj({"p": {"type": "string"}, "q": {"type": "string"}}),
        prop({"type": "string"}, additionalProperties={"type": "string"}),
        [],
    ),
    (
        "property-added-not-covered-by-partially-open",
        obj({"p": {"type": "string"}, "q": {"type": "integer"}}),
        prop({"type": "string"}, additionalProperties={"type": "string"}),
        ["PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"],
    ),
    (
        "property-removed-from-closed-reader",
        obj({}, additionalProperties=False),
        prop({"type": "string"}, additionalProperties=False),
        ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"],
    ),
    ("property-removed-from-open-reader", obj({}), prop({"type": "string"}), []),
    (
        "property-removed-not-covered-by-partially-open-reader",
        obj({}, additionalProperties={"type": "integer"}),
        prop({"type": "string"}, additionalProperties={"type": "integer"}),
        ["PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"],
    ),
    (
        "property-removed-covered-by-partially-open-reader",
        obj({}, additionalProperties={"type": "string"}),
        prop({"type": "string"}, additionalProperties={"type": "string"}),
        [],
    ),
    (
        "additional-properties-removed",
        prop({"type": "string"}, additionalProperties=False),
        prop({"type": "string"}),
        ["ADDITIONAL_PROPERTIES_REMOVED"],
    ),
    (
        "additional-properties-narrowed-from-true",
        prop({"type": "string"}, additionalProperties={"type": "string"}),
        prop({"type": "string"}),
        ["ADDITIONAL_PROPERTIES_NARROWED"],
    ),
    (
        "additional-properties-narrowed-schema",
        prop({"type": "string"}, additionalProperties={"type": "integer"}),
        prop({"type": "string"}, additionalProperties={"type": "number"}),
        ["ADDITIONAL_PROPERTIES_NARROWED"],
    ),
    (
        "additional-properties-extended",
        prop({"type": "string"}),
        prop({"type": "string"}, additionalProperties=False),
        [],
    ),
    (
        "enum-narrowed",
        prop({"enum": ["BUY"]}),
        prop({"enum": ["BUY", "SELL"]}),
        ["ENUM_ARRAY_NARROWED"],
    ),
    ("enum-extended", prop({"enum": ["BUY", "SELL"]}), prop({"enum": ["BUY"]}), []),
    (
        "enum-added-to-free-string",
        prop({"type": "string", "enum": ["BUY"]}),
        prop({"type": "string"}),
        ["ENUM_ARRAY_NARROWED"],
    ),
    ("const-within-enum", prop({"enum": ["BUY", "SELL"]}), prop({"const": "BUY"}), []),
    (
        "enum-true-is-not-1",
        prop({"enum": [1]}),
        prop({"enum": [True]}),
        ["ENUM_ARRAY_NARROWED", "TYPE_CHANGED"],
    ),
    (
        "enum-value-breaks-reader-bound",
        prop({"type": "string", "maxLength": 3}),
        prop({"type": "string", "enum": ["BUY", "SELL"]}),
        ["MAX_LENGTH_DECREASED"],
    ),
    (
        "maximum-decreased",
        prop({"type": "number", "maximum": 10}),
        prop({"type": "number", "maximum": 100}),
        ["MAXIMUM_DECREASED"],
    ),
    (
        "maximum-added",
        prop({"type": "number", "maximum": 10}),
        prop({"type": "number"}),
        ["MAXIMUM_ADDED"],
    ),
    (
        "maximum-increased",
        prop({"type": "number", "maximum": 100}),
        prop({"type": "number", "maximum": 10}),
        [],
    ),
    (
        "minimum-increased",
        prop({"type": "number", "minimum": 5}),
        prop({"type": "number", "minimum": 0}),
        ["MINIMUM_INCREASED"],
    ),
    (
        "minimum-decreased",
        prop({"type": "number", "minimum": 0}),
        prop({"type": "number", "minimum": 5}),
        [],
    ),
    (
        "exclusive-maximum-decreased",
        prop({"type": "number", "exclusiveMaximum": 10}),
        prop({"type": "number", "maximum": 10}),
        ["EXCLUSIVE_MAXIMUM_DECREASED"],
    ),
    (
        "exclusive-maximum-covers-maximum",
        prop({"type": "number", "maximum": 10}),
        prop({"type": "number", "exclusiveMaximum": 10}),
        [],
    ),
    (
        "exclusive-minimum-increased",
        prop({"type": "number", "exclusiveMinimum": 0}),
        prop({"type": "number", "minimum": 0}),
        ["EXCLUSIVE_MINIMUM_INCREASED"],
    ),
    (
        "multiple-of-changed",
        prop({"type": "number", "multipleOf": 0.5}),
        prop({"type": "number", "multipleOf": 0.2}),
        ["MULTIPLE_OF_CHANGED"],
    ),
    (
        "multiple-of-a-divisor",
        prop({"type": "number", "multipleOf": 0.01}),
        prop({"type": "number", "multipleOf": 0.05}),
        [],
    ),
    (
        "multiple-of-added",
        prop({"type": "integer", "multipleOf": 2}),
        prop({"type": "integer"}),
        ["MULTIPLE_OF_ADDED"],
    ),
    (
        "max-length-decreased",
        prop({"type": "string", "maxLength": 5}),
        prop({"type": "string", "maxLength": 10}),
        ["MAX_LENGTH_DECREASED"],
    ),
    (
        "max-length-added",
        prop({"type": "string", "maxLength": 5}),
        prop({"type": "string"}),
        ["MAX_LENGTH_ADDED"],
    ),
    (
        "min-length-increased",
        prop({"type": "string", "minLength": 3}),
        prop({"type": "string", "minLength": 1}),
        ["MIN_LENGTH_INCREASED"],
    ),
    (
        "min-length-decreased",
        prop({"type": "string", "minLength": 1}),
        prop({"type": "string", "minLength": 3}),
        [],
    ),
    (
        "pattern-changed",
        prop({"type": "string", "pattern": "^[A-Z]+$"}),
        prop({"type": "string", "pattern": "^[A-Z]{3}$"}),
        ["PATTERN_CHANGED"],
    ),
    (
        "pattern-removed",
        prop({"type": "string"}),
        prop({"type": "string", "pattern": "^[A-Z]+$"}),
        [],
    ),
    (
        "bounds-ignored-when-types-differ",
        prop({"type": ["string", "integer"], "maxLength": 3}),
        prop({"type": "integer"}),
        [],
    ),
    (
        "items-type-changed",
        prop({"type": "array", "items": {"type": "string"}}),
        prop({"type": "array", "items": {"type": "integer"}}),
        ["TYPE_CHANGED"],
    ),
    (
        "max-items-decreased",
        prop({"type": "array", "maxItems": 2}),
        prop({"type": "array", "maxItems": 5}),
        ["MAX_ITEMS_DECREASED"],
    ),
    (
        "min-items-increased",
        prop({"type": "array", "minItems": 2}),
        prop({"type": "array", "minItems": 1}),
        ["MIN_ITEMS_INCREASED"],
    ),
    (
        "unique-items-added",
        prop({"type": "array", "uniqueItems": True}),
        prop({"type": "array"}),
        ["UNIQUE_ITEMS_ADDED"],
    ),
    (
        "unique-items-removed",
        prop({"type": "array"}),
        prop({"type": "array", "uniqueItems": True}),
        [],
    ),
    (
        "tuple-closed",
        d2020(prop({"type": "array", "prefixItems": [{"type": "string"}], "items": False})),
        d2020(prop({"type": "array", "prefixItems": [{"type": "string"}]})),
        ["ADDITIONAL_ITEMS_REMOVED"],
    ),
    (
        "items-schema-added",
        prop({"type": "array", "items": STR}),
        prop({"type": "array"}),
        ["SCHEMA_ADDED"],
    ),
    ("items-schema-removed", prop({"type": "array"}), prop({"type": "array", "items": STR}), []),
    (
        "2020-12-additional-items-narrowed",
        d2020(prop({"type": "array", "prefixItems": [STR], "items": NUM})),
        d2020(prop({"type": "array", "prefixItems": [STR]})),
        ["ADDITIONAL_ITEMS_NARROWED"],
    ),
    (
        "tuple-position-changed",
        d2020(prop({"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}]})),
        d2020(prop({"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}]})),
        ["TYPE_CHANGED"],
    ),
    (
        "sum-type-extended",
        prop({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
        prop({"type": "string"}),
        [],
    ),
    (
        "sum-type-narrowed",
        prop({"oneOf": [{"type": "string"}]}),
        prop({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
        ["SUM_TYPE_NARROWED"],
    ),
    (
        "sum-branch-changed",
        prop({"anyOf": [{"type": "string"}, {"type": "boolean"}]}),
        prop({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        ["COMBINED_TYPE_SUBSCHEMAS_CHANGED"],
    ),
    (
        "sum-branches-reordered",
        prop({"anyOf": [{"type": "integer"}, {"type": "string"}]}),
        prop({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        [],
    ),
    (
        "any-of-became-one-of",
        prop({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
        prop({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        ["COMBINED_TYPE_CHANGED"],
    ),
    (
        "nullable-via-sum-narrowed",
        prop({"type": "string"}),
        prop({"oneOf": [{"type": "string"}, {"type": "null"}]}),
        ["TYPE_CHANGED"],
    ),
    (
        "product-type-extended",
        {"type": "object", "allOf": [prop({"type": "string"}), obj(required=["p"])]},
        {"type": "object", "allOf": [prop({"type": "string"})]},
        ["PRODUCT_TYPE_EXTENDED"],
    ),
    (
        "product-type-narrowed",
        {"type": "object", "allOf": [prop({"type": "string"})]},
        {"type": "object", "allOf": [prop({"type": "string"}), obj(required=["p"])]},
        [],
    ),
    (
        "all-of-writer-read-by-flat-reader",
        obj({"p": {"type": "string"}, "q": {"type": "integer"}}, required=["p", "q"]),
        {
            "type": "object",
            "allOf": [
                obj({"p": {"type": "string"}}, required=["p"]),
                obj({"q": {"type": "integer"}}, required=["q"]),
            ],
        },
        [],
    ),
    (
        "not-extended",
        prop({"type": "string", "not": {"enum": ["X"]}}),
        prop({"type": "string"}),
        ["NOT_TYPE_EXTENDED"],
    ),
    (
        "not-narrowed",
        prop({"type": "string", "not": {"enum": ["X"]}}),
        prop({"type": "string", "not": {"enum": ["X", "Y"]}}),
        [],
    ),
    (
        "nested-object-property",
        prop(prop({"type": "integer"})),
        prop(prop({"type": "number"})),
        ["TYPE_NARROWED"],
    ),
    (
        "ref-to-defs-followed",
        {
            "type": "object",
            "properties": {"p": {"$ref": "#/$defs/money"}},
            "$defs": {"money": {"type": "integer"}},
        },
        prop({"type": "string"}),
        ["TYPE_CHANGED"],
    ),
    (
        "ref-and-inline-equal",
        {
            "type": "object",
            "properties": {"p": {"$ref": "#/$defs/money"}},
            "$defs": {"money": {"type": "number", "minimum": 0}},
        },
        prop({"type": "integer", "minimum": 0}),
        [],
    ),
    (
        "draft7-definitions",
        {
            "$schema": DRAFT7,
            "type": "object",
            "properties": {"p": {"$ref": "#/definitions/id", "type": "integer"}},
            "definitions": {"id": {"type": "string"}},
        },
        prop({"type": "string"}),
        [],  # draft 7 ignores keywords next to $ref
    ),
    (
        "draft-2020-ref-siblings-apply",
        d2020(
            {
                "type": "object",
                "properties": {"p": {"$ref": "#/$defs/id", "maxLength": 3}},
                "$defs": {"id": {"type": "string"}},
            }
        ),
        prop({"type": "string"}),
        ["MAX_LENGTH_ADDED"],
    ),
    (
        "dependency-added",
        d2020(obj({}, dependentRequired={"a": ["b"]})),
        obj({}),
        ["DEPENDENCY_ARRAY_ADDED"],
    ),
    (
        "unevaluated-properties-sees-all-of",
        d2020(
            {"type": "object", "allOf": [prop({"type": "integer"})], "unevaluatedProperties": False}
        ),
        d2020(
            {"type": "object", "allOf": [prop({"type": "number"})], "unevaluatedProperties": False}
        ),
        ["TYPE_NARROWED"],
    ),
    (
        "unevaluated-properties-closes",
        d2020({"type": "object", "allOf": [obj({})], "unevaluatedProperties": False}),
        d2020({"type": "object", "allOf": [prop({"type": "number"})]}),
        ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "ADDITIONAL_PROPERTIES_REMOVED"],
    ),
    (
        "draft4-exclusive-maximum-made-exclusive",
        {"$schema": DRAFT4, **prop({"type": "number", "maximum": 5, "exclusiveMaximum": True})},
        {"$schema": DRAFT4, **prop({"type": "number", "maximum": 5})},
        ["EXCLUSIVE_MAXIMUM_DECREASED"],
    ),
    (
        "draft4-exclusive-maximum-removed",
        {"$schema": DRAFT4, **prop({"type": "number", "maximum": 5})},
        {"$schema": DRAFT4, **prop({"type": "number", "maximum": 5, "exclusiveMaximum": True})},
        [],
    ),
    (
        "draft7-ignores-prefix-items",
        prop({"type": "array", "prefixItems": [{"type": "string"}]}),
        prop({"type": "array", "prefixItems": [{"type": "number"}]}),
        [],
    ),
    (
        "draft7-tuple-position-changed",
        prop({"type": "array", "items": [{"type": "string"}, {"type": "string"}]}),
        prop({"type": "array", "items": [{"type": "string"}, {"type": "number"}]}),
        ["TYPE_CHANGED"],
    ),
    # Tuples (draft-07 items array + additionalItems; 2020-12 prefixItems + items), with
    # Confluent's item content-model names.
    (
        "item-added-to-closed-content-model",
        arr([STR, NUM], additionalItems=False),
        arr([STR], additionalItems=False),
        [],
    ),
    (
        "item-added-to-open-content-model",
        arr([STR, NUM]),
        arr([STR]),
        ["ITEM_ADDED_TO_OPEN_CONTENT_MODEL"],
    ),
    ("item-with-empty-schema-added-to-open-content-model", arr([STR, {}]), arr([STR]), []),
    (
        "item-added-is-covered-by-partially-open-content-model",
        arr([STR, NUM]),
        arr([STR], additionalItems={"type": "integer"}),
        [],
    ),
    (
        "item-added-not-covered-by-partially-open-content-model",
        arr([STR, {"type": "integer"}]),
        arr([STR], additionalItems=NUM),
        ["ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"],
    ),
    ("item-removed-from-open-content-model", arr([STR]), arr([STR, NUM]), []),
    (
        "item-removed-from-closed-content-model",
        arr([STR], additionalItems=False),
        arr([STR, NUM], additionalItems=False),
        ["ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"],
    ),
    (
        "item-removed-is-covered-by-partially-open-content-model",
        arr([STR], additionalItems=NUM),
        arr([STR, {"type": "integer"}], additionalItems=NUM),
        [],
    ),
    (
        "item-removed-not-covered-by-partially-open-content-model",
        arr([STR], additionalItems={"type": "integer"}),
        arr([STR, NUM], additionalItems={"type": "integer"}),
        ["ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"],
    ),
    (
        "additional-items-removed",
        arr([STR], additionalItems=False),
        arr([STR]),
        ["ADDITIONAL_ITEMS_REMOVED"],
    ),
    ("additional-items-added", arr([STR]), arr([STR], additionalItems=False), []),
    (
        "additional-items-narrowed",
        arr([STR], additionalItems=NUM),
        arr([STR]),
        ["ADDITIONAL_ITEMS_NARROWED"],
    ),
    ("additional-items-extended", arr([STR]), arr([STR], additionalItems=NUM), []),
    (
        "additional-items-schema-changed",
        arr([STR], additionalItems={"type": "integer"}),
        arr([STR], additionalItems=NUM),
        ["TYPE_NARROWED"],
    ),
    (
        "2020-12-item-added-to-open-content-model",
        d2020(prop({"type": "array", "prefixItems": [STR, NUM]})),
        d2020(prop({"type": "array", "prefixItems": [STR]})),
        ["ITEM_ADDED_TO_OPEN_CONTENT_MODEL"],
    ),
    (
        "2020-12-item-added-to-closed-content-model",
        d2020(prop({"type": "array", "prefixItems": [STR, NUM], "items": False})),
        d2020(prop({"type": "array", "prefixItems": [STR], "items": False})),
        [],
    ),
    (
        "2020-12-additional-items-removed",
        d2020(prop({"type": "array", "prefixItems": [STR], "items": False})),
        d2020(prop({"type": "array", "prefixItems": [STR]})),
        ["ADDITIONAL_ITEMS_REMOVED"],
    ),
    # contains / minContains / maxContains (the counts from 2019-09 on).
    ("contains-identical", contains(STR), contains(STR), []),
    ("contains-added", contains(STR), prop({"type": "array"}), ["SCHEMA_ADDED"]),
    ("contains-removed", prop({"type": "array"}), contains(STR), []),
    ("contains-narrowed", contains({"type": "integer"}), contains(NUM), ["TYPE_NARROWED"]),
    ("contains-widened", contains(NUM), contains({"type": "integer"}), []),
    (
        "min-contains-added",
        d2020(contains(STR, minContains=2)),
        d2020(contains(STR)),
        ["MIN_CONTAINS_ADDED"],
    ),
    (
        "min-contains-increased",
        d2020(contains(STR, minContains=3)),
        d2020(contains(STR, minContains=2)),
        ["MIN_CONTAINS_INCREASED"],
    ),
    (
        "min-contains-decreased",
        d2020(contains(STR, minContains=1)),
        d2020(contains(STR, minContains=2)),
        [],
    ),
    ("min-contains-removed", d2020(contains(STR)), d2020(contains(STR, minContains=2)), []),
    (
        "max-contains-added",
        d2020(contains(STR, maxContains=2)),
        d2020(contains(STR)),
        ["MAX_CONTAINS_ADDED"],
    ),
    (
        "max-contains-decreased",
        d2020(contains(STR, maxContains=2)),
        d2020(contains(STR, maxContains=3)),
        ["MAX_CONTAINS_DECREASED"],
    ),
    (
        "max-contains-increased",
        d2020(contains(STR, maxContains=3)),
        d2020(contains(STR, maxContains=2)),
        [],
    ),
    ("max-contains-removed", d2020(contains(STR)), d2020(contains(STR, maxContains=2)), []),
    (
        "draft7-ignores-min-contains",
        contains(STR, minContains=3),
        contains(STR),
        [],
    ),
    # Required properties (a default makes a new requirement compatible, as in Confluent).
    (
        "required-attribute-with-default-added",
        prop({"type": "string", "default": "n/a"}, required=["p"]),
        prop({"type": "string"}),
        [],
    ),
    (
        "required-property-with-default-added-to-unopen-content-model",
        obj({"p": STR, "q": {"type": "string", "default": "n/a"}}, required=["q"]),
        prop(STR, additionalProperties=False),
        [],
    ),
    (
        "optional-property-added-to-unopen-content-model",
        obj({"p": STR, "q": STR}),
        prop(STR, additionalProperties=False),
        [],
    ),
    (
        "required-property-added-to-unopen-content-model-partially-open",
        obj({"p": STR, "q": STR}, required=["q"]),
        prop(STR, additionalProperties=STR),
        ["REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"],
    ),
    ("required-attribute-removed", prop(STR), prop(STR, required=["p"]), []),
    # Dependencies: draft-04..07 "dependencies", 2019-09 on dependentRequired/dependentSchemas.
    (
        "dependency-array-extended",
        obj({}, dependencies={"a": ["b", "c"]}),
        obj({}, dependencies={"a": ["b"]}),
        ["DEPENDENCY_ARRAY_EXTENDED"],
    ),
    (
        "dependency-array-narrowed",
        obj({}, dependencies={"a": ["b"]}),
        obj({}, dependencies={"a": ["b", "c"]}),
        [],
    ),
    (
        "dependency-array-changed",
        obj({}, dependencies={"a": ["c"]}),
        obj({}, dependencies={"a": ["b"]}),
        ["DEPENDENCY_ARRAY_CHANGED"],
    ),
    ("dependency-array-removed", obj({}), obj({}, dependencies={"a": ["b"]}), []),
    (
        "dependency-schema-added",
        obj({}, dependencies={"a": {"required": ["b"]}}),
        obj({}),
        ["DEPENDENCY_SCHEMA_ADDED"],
    ),
    ("dependency-schema-removed", obj({}), obj({}, dependencies={"a": {"required": ["b"]}}), []),
    (
        "dependency-schema-narrowed",
        obj({}, dependencies={"a": prop({"type": "integer"})}),
        obj({}, dependencies={"a": prop(NUM)}),
        ["TYPE_NARROWED"],
    ),
    (
        "dependent-required-extended",
        d2020(obj({}, dependentRequired={"a": ["b", "c"]})),
        d2020(obj({}, dependentRequired={"a": ["b"]})),
        ["DEPENDENCY_ARRAY_EXTENDED"],
    ),
    (
        "dependent-schemas-added",
        d2020(obj({}, dependentSchemas={"a": {"required": ["b"]}})),
        d2020(obj({})),
        ["DEPENDENCY_SCHEMA_ADDED"],
    ),
    (
        "dependent-required-same-as-draft7-dependencies",
        d2020(obj({}, dependentRequired={"a": ["b"]})),
        obj({}, dependencies={"a": ["b"]}),
        [],
    ),
    (
        "dependent-schemas-same-as-draft7-dependencies",
        d2020(obj({}, dependentSchemas={"a": {"required": ["b"]}})),
        obj({}, dependencies={"a": {"required": ["b"]}}),
        [],
    ),
    (
        "2020-12-ignores-draft7-dependencies",
        d2020(obj({}, dependencies={"a": ["b"]})),
        d2020(obj({})),
        [],
    ),
    # propertyNames: compared as a string schema over the writer's possible names.
    (
        "property-names-added",
        obj({}, propertyNames={"maxLength": 3}),
        obj({}),
        ["MAX_LENGTH_ADDED"],
    ),
    (
        "property-names-added-closed-writer-names-fit",
        obj({}, propertyNames={"maxLength": 3}),
        obj({"ab": STR}, additionalProperties=False),
        [],
    ),
    (
        "property-names-added-closed-writer-name-too-long",
        obj({}, propertyNames={"maxLength": 3}),
        obj({"abcd": STR}, additionalProperties=False),
        ["MAX_LENGTH_DECREASED"],
    ),
    (
        "property-names-narrowed",
        obj({}, propertyNames={"maxLength": 3}),
        obj({}, propertyNames={"maxLength": 5}),
        ["MAX_LENGTH_DECREASED"],
    ),
    (
        "property-names-extended",
        obj({}, propertyNames={"maxLength": 5}),
        obj({}, propertyNames={"maxLength": 3}),
        [],
    ),
    ("property-names-removed", obj({}), obj({}, propertyNames={"maxLength": 3}), []),
    (
        "property-names-pattern-changed",
        obj({}, propertyNames={"pattern": "^a"}),
        obj({}, propertyNames={"pattern": "^b"}),
        ["PATTERN_CHANGED"],
    ),
    # patternProperties only in the reader: Confluent compares it only through the content
    # model it makes partially open (removed properties are checked against it).
    (
        "reader-only-pattern-properties",
        obj({"p": STR}, patternProperties={"^x_": {"type": "integer"}}),
        obj({"p": STR}),
        [],
    ),
    (
        "property-removed-is-covered-by-reader-pattern-properties",
        obj({}, patternProperties={"^x_": STR}),
        obj({"x_a": STR}),
        [],
    ),
    (
        "property-removed-not-covered-by-reader-pattern-properties",
        obj({}, patternProperties={"^x_": {"type": "integer"}}),
        obj({"x_a": STR}),
        ["PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"],
    ),
    (
        "property-added-is-covered-by-writer-pattern-properties",
        obj({"x_a": STR}),
        obj({}, patternProperties={"^x_": STR}),
        [],
    ),
    (
        "property-added-not-covered-by-writer-pattern-properties",
        obj({"x_a": {"type": "integer"}}),
        obj({}, patternProperties={"^x_": STR}),
        ["PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"],
    ),
    (
        "draft4-has-no-const",
        {"$schema": DRAFT4, **prop({"type": "string", "const": "a"})},
        {"$schema": DRAFT4, **prop({"type": "string"})},
        [],
    ),
    (
        "draft7-const-narrowed",
        prop({"type": "string", "const": "a"}),
        prop(STR),
        ["ENUM_ARRAY_NARROWED"],
    ),
    (
        "2019-09-item-added-to-open-content-model",
        {"$schema": DRAFT2019, **arr([STR, NUM])},
        {"$schema": DRAFT2019, **arr([STR])},
        ["ITEM_ADDED_TO_OPEN_CONTENT_MODEL"],
    ),
    (
        "2019-09-ref-siblings-apply",
        {
            "$schema": DRAFT2019,
            "type": "object",
            "properties": {"p": {"$ref": "#/$defs/id", "maxLength": 3}},
            "$defs": {"id": STR},
        },
        {"$schema": DRAFT2019, **prop(STR)},
        ["MAX_LENGTH_ADDED"],
    ),
    (
        "draft7-ref-siblings-ignored",
        {
            "type": "object",
            "properties": {"p": {"$ref": "#/definitions/id", "maxLength": 3}},
            "definitions": {"id": STR},
        },
        prop(STR),
        [],
    ),
    (
        "draft6-ignores-if-then-else",
        {
            "$schema": DRAFT6,
            **prop(STR, **{"if": {"required": ["p"]}, "then": {"required": ["q"]}}),
        },
        {"$schema": DRAFT6, **prop(STR)},
        [],
    ),
    ("contains-anything-kept", contains({}), contains({}), []),
    (
        "property-names-false-writer-has-no-properties",
        obj({}, propertyNames={"maxLength": 3}),
        obj({}, propertyNames=False),
        [],
    ),
    (
        "max-properties-decreased",
        obj(maxProperties=2),
        obj(maxProperties=3),
        ["MAX_PROPERTIES_DECREASED"],
    ),
]

RECURSIVE_TREE = {
    "type": "object",
    "properties": {"root": {"$ref": "#/$defs/node"}},
    "$defs": {
        "node": {
            "type": "object",
            "properties": {
                "value": {"type": "VALUE"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
        }
    },
}


def recursive(value_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(json.dumps(RECURSIVE_TREE).replace("VALUE", value_type))
    return schema


CASES += [
    ("recursive-identical", recursive("string"), recursive("string"), []),
    ("recursive-changed", recursive("string"), recursive("integer"), ["TYPE_CHANGED"]),
]


@pytest.mark.parametrize(
    ("reader", "writer", "expected"),
    [pytest.param(r, w, e, id=i) for i, r, w, e in CASES],
)
def test_compatibility_table(reader: Any, writer: Any, expected: list[str]) -> None:
    found = FORMAT.check_compatibility(
        FORMAT.parse(json.dumps(reader)), FORMAT.parse(json.dumps(writer))
    )
    assert sorted({problem.rule for problem in found}) == sorted(expected), found


def test_every_problem_is_listed_with_its_path() -> None:
    writer = obj({"a": {"type": "integer"}, "b": {"type": "string", "maxLength": 10}})
    reader = obj({"a": {"type": "string"}, "b": {"type": "string", "maxLength": 5}}, required=["a"])
    found = FORMAT.check_compatibility(
        FORMAT.parse(json.dumps(reader)), FORMAT.parse(json.dumps(writer))
    )
    assert {(p.path, p.rule) for p in found} == {
        ("#/properties/a", "TYPE_CHANGED"),
        ("#/properties/a", "REQUIRED_ATTRIBUTE_ADDED"),
        ("#/properties/b", "MAX_LENGTH_DECREASED"),
    }
    assert all(problem.reason for problem in found)


def test_reference_to_another_schema_is_compared_through() -> None:
    money_v1 = FORMAT.parse(
        json.dumps({"type": "object", "properties": {"cents": {"type": "integer"}}})
    )
    money_v2 = FORMAT.parse(
        json.dumps({"type": "object", "properties": {"cents": {"type": "string"}}})
    )
    trade = json.dumps(prop({"$ref": "money.json"}))
    writer = FORMAT.parse(trade, {"money.json": money_v1})
    reader = FORMAT.parse(trade, {"money.json": money_v2})
    assert [(p.path, p.rule) for p in FORMAT.check_compatibility(reader, writer)] == [
        ("#/properties/p/properties/cents", "TYPE_CHANGED")
    ]
    assert FORMAT.check_compatibility(writer, writer) == []


SELF_COMPATIBLE = [
    {"type": "object", "allOf": [prop({"type": "integer"})], "unevaluatedProperties": False},
    recursive("string"),
    {
        "$schema": DRAFT7,
        "type": "object",
        "properties": {
            "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
            "id": {"$ref": "#/definitions/id"},
        },
        "definitions": {"id": {"type": "string", "pattern": "^[a-z]+$"}},
        "dependencies": {"id": ["pair"]},
    },
    {
        "type": "object",
        "allOf": [{"$ref": "#/$defs/base"}, {"properties": {"x": {"not": {"type": "null"}}}}],
        "$defs": {"base": {"type": "object", "properties": {"b": {"type": "boolean"}}}},
        "patternProperties": {"^tag_": {"type": "string"}},
        "if": {"required": ["x"]},
        "then": {"required": ["b"]},
    },
]


@pytest.mark.parametrize("schema", SELF_COMPATIBLE, ids=range(len(SELF_COMPATIBLE)))
def test_every_schema_is_compatible_with_itself(schema: dict[str, Any]) -> None:
    parsed = FORMAT.parse(json.dumps(schema))
    assert FORMAT.check_compatibility(parsed, parsed) == []


def test_confluent_style_extension_through_a_referenced_base() -> None:
    base = FORMAT.parse(json.dumps(obj({"id": {"type": "string"}}, required=["id"])))
    extended = {
        "type": "object",
        "allOf": [{"$ref": "base.json"}, obj({"qty": {"type": "integer"}})],
    }
    writer = FORMAT.parse(json.dumps(extended), {"base.json": base})
    flat_reader = FORMAT.parse(
        json.dumps(obj({"id": {"type": "string"}, "qty": {"type": "number"}}, required=["id"]))
    )
    assert FORMAT.check_compatibility(flat_reader, writer) == []
    found = FORMAT.check_compatibility(writer, flat_reader)
    assert [(p.path, p.rule) for p in found] == [("#/allOf/1/properties/qty", "TYPE_NARROWED")]


def test_schemas_of_other_formats_are_refused() -> None:
    class Foreign:
        schema_type = "AVRO"

    parsed = FORMAT.parse('{"type": "object"}')
    with pytest.raises(InvalidSchema, match="AVRO"):
        FORMAT.check_compatibility(parsed, Foreign())  # type: ignore[arg-type]
