"""``FieldProtection``: classified fields encrypted at produce time, revealed or masked on read.

A protected field's value moves out of the event into a record header,
``streammesh-enc-<field path>``, sealed with the entity's data key (see
:mod:`streammesh.privacy.envelope`); in the event it is replaced by a schema-valid placeholder
(see :mod:`streammesh.privacy.placeholders`). So every record — and every copy of it, in a
compacted topic, a backup or a file — validates under the product's schema for any format,
keeps its other fields in clear, and holds the classified values only as ciphertext. Once
the entity's key is destroyed (``streammesh forget``), every copy reads as masked.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from streammesh.privacy.envelope import (
    EntitySeal,
    SealBroken,
    field_prefix,
    header_name,
    key_version_of,
)
from streammesh.privacy.errors import (
    NoPlaceholder,
    UndecryptableField,
    UnsupportedFieldPath,
    UnsupportedFieldValue,
)
from streammesh.privacy.keys import DataKey, KeyLookup, KeyStore, entity_label
from streammesh.privacy.placeholders import candidates, type_tokens
from streammesh.privacy.values import UnsupportedValue, decode_value, encode_value
from streammesh.products import Classification
from streammesh.schemas import InvalidEvent

ENCRYPTED_CLASSIFICATIONS = frozenset(Classification)
"""Classifications whose fields are encrypted unless a policy names others: every label.

Each label of the descriptor's vocabulary (``pii``, ``financial``, ``health``,
``confidential``, ``restricted``) names a sensitivity, so none is public: a field that is
public is simply not classified. Only the governance group's global policy can narrow the
set (``fields.protected``); a domain may only add to it."""

SchemaCheck = Callable[[Mapping[str, Any]], None]
"""Raises ``InvalidEvent`` unless an event is valid under the product's schema."""

_MISSING = object()
_IMMUTABLE = (str, int, float, bool, bytes, type(None))
"""Placeholder types handed out as they are (anything else is copied per event)."""
_SEALS_MAX = 8_192
"""How many entities' seals a protection keeps ready (rebuilding one costs ~1 µs)."""


@dataclass(frozen=True, slots=True)
class _Field:
    """A protected field, with what every event's sealing of it shares."""

    path: str
    parts: tuple[str, ...]
    top: str | None
    """The field's name when it is a top-level field (most are): read and written directly."""
    header: str
    prefix: bytes
    """The start of its associated data (see ``envelope.field_prefix``)."""


def encrypted_fields(classified: Mapping[str, Collection[Classification]]) -> frozenset[str]:
    """The classified fields, whatever the label (what is encrypted by default)."""
    return frozenset(
        path for path, labels in classified.items() if ENCRYPTED_CLASSIFICATIONS & set(labels)
    )


def fields_in_clear(
    value: Mapping[str, Any], headers: Mapping[str, bytes], paths: Collection[str]
) -> tuple[str, ...]:
    """The ``paths`` that ``value`` holds in clear: a value, and no ciphertext header.

    A field protected when the event was written has a placeholder and its header; one
    written before it was protected (or while a policy did not protect it) has neither.

    Example:
        >>> fields_in_clear({"id": "u1", "diagnosis": "flu"}, {}, ["diagnosis"])
        ('diagnosis',)
    """
    return tuple(
        path
        for path in sorted(paths)
        if _get(value, tuple(path.split("."))) not in (_MISSING, None)
        and header_name(path) not in headers
    )


class FieldProtection:
    """Encrypts and reveals the protected fields of one product version.

    Example:
        >>> protection = FieldProtection(keys, "customers.profiles.v1",  # doctest: +SKIP
        ...                              {"email": (Classification.PII,)}, encrypted={"email"})
        >>> event, headers = protection.protect({"id": "u1", "email": "a@b.c"}, b"u1")
        >>> event["email"]
        '***'
        >>> protection.reveal(event, headers, b"u1", clear=True, principal="app")["email"]
        'a@b.c'
    """

    def __init__(
        self,
        keys: KeyStore,
        product: str,
        classified: Mapping[str, tuple[Classification, ...]],
        *,
        encrypted: Collection[str] | None = None,
    ) -> None:
        """Args:
        keys: Where data keys are found and made.
        product: The product version, ``<name>.v<N>``.
        classified: The descriptor's classifications, field path → labels.
        encrypted: The fields to encrypt (governance's ``fields_to_encrypt``); ``None``
            takes every field of ``classified`` (see ``ENCRYPTED_CLASSIFICATIONS``).

        Raises:
            UnsupportedFieldPath: a field to encrypt lies inside an array or map.
        """
        self.product = product
        self.classified = dict(classified)
        self.encrypted = tuple(
            sorted(encrypted_fields(classified) if encrypted is None else set(encrypted))
        )
        for path in self.encrypted:
            if "[]" in path or "{}" in path:  # fail closed: never leave such a field in clear
                raise UnsupportedFieldPath(product, path)
        self._keys = keys
        self._fields = tuple(
            _Field(
                path,
                tuple(path.split(".")),
                None if "." in path else path,
                header_name(path),
                field_prefix(product, path),
            )
            for path in self.encrypted
        )
        self._seals: dict[tuple[bytes, int], tuple[DataKey, EntitySeal]] = {}
        """Per entity and key version, the seal built for the data key the store handed out
        (rebuilt whenever the store hands out another key object: a new version, a key
        unwrapped again after its cache expired)."""
        self._placeholders: dict[tuple[str, type], object] = {}
        """Per field and value type, the placeholder found valid under the schema."""

    @property
    def keys(self) -> KeyStore:
        """The key store the data keys come from."""
        return self._keys

    def protect(
        self, event: Mapping[str, Any], key: bytes, *, check: SchemaCheck | None = None
    ) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The event to write, with protected fields replaced by placeholders, and the
        headers carrying their ciphertext.

        Args:
            event: A valid event of the product (validate it first: errors then name the
                real problem, not a placeholder).
            key: The event's key bytes: the entity whose data key encrypts.
            check: The schema's validation, used to pick placeholders that keep the event
                valid (once per field and type); ``None`` uses each type's token.

        Raises:
            NoPlaceholder: no placeholder of a field keeps the event valid.
            UnsupportedFieldValue: a protected field holds a type that cannot be encrypted.
        """
        # Copied only along the paths written to: the caller's event is never changed, and
        # the fields in clear are shared rather than deep-copied for every event.
        protected: dict[str, Any] = dict(event)
        owned: set[int] | None = None
        headers: dict[str, bytes] = {}
        entity: EntitySeal | None = None
        for field in self._fields:
            top = field.top
            value = (
                protected.get(top, _MISSING) if top is not None else _get(protected, field.parts)
            )
            if value is _MISSING or value is None:
                continue  # nothing to hide
            try:
                plaintext = encode_value(value)
            except UnsupportedValue:
                kind = type(value).__name__
                raise UnsupportedFieldValue(self.product, field.path, kind) from None
            if entity is None:  # one lookup per event: every field has the entity's key
                entity = self._seal(self._keys.current(self.product, key), key)
            headers[field.header] = entity.seal(field.prefix, plaintext)
            placeholder = self._placeholders.get((field.path, type(value)), _MISSING)
            if top is not None and isinstance(placeholder, _IMMUTABLE):
                protected[top] = placeholder  # the common case: a known, immutable token
                continue
            if owned is None:
                owned = {id(protected)}
            parent = _owned_parent(protected, field.parts, owned)
            parent[field.parts[-1]] = self._placeholder(protected, field, parent, value, check)
        return protected, headers

    def _seal(self, data_key: DataKey, entity_key: bytes) -> EntitySeal:
        known = self._seals.get((entity_key, data_key.version))
        if known is not None and known[0] is data_key:
            return known[1]
        if len(self._seals) >= _SEALS_MAX:
            self._seals.clear()
        entity = EntitySeal.of(data_key.material, data_key.version, entity_key)
        self._seals[(entity_key, data_key.version)] = (data_key, entity)
        return entity

    def reveal(
        self,
        value: dict[str, Any],
        headers: Mapping[str, bytes],
        key: bytes,
        *,
        clear: bool,
        principal: str,
    ) -> dict[str, Any]:
        """The event as ``principal`` may see it.

        With ``clear``, each protected field whose entity key still exists is decrypted
        (the key handout is audited) and restored; a field whose key was destroyed stays
        masked. Without ``clear``, protected fields stay masked; a protected field found in
        clear (written without protection) is masked too.

        Raises:
            UndecryptableField: a header was altered, or moved from another field, entity
                or product — never a wrong value.
        """
        revealed: dict[str, Any] | None = None
        owned: set[int] = set()
        lookups: dict[int, KeyLookup] = {}  # per key version: every field has the entity's key
        for field in self._fields:
            sealed = headers.get(field.header)
            top = field.top
            current = value.get(top, _MISSING) if top is not None else _get(value, field.parts)
            if sealed is None:
                if clear or current is _MISSING or current is None:
                    continue
                if revealed is None:
                    revealed = dict(value)
                    owned.add(id(revealed))
                tokens = type_tokens(current)
                placeholder = self._placeholders.get((field.path, type(current)), _first(tokens))
                _owned_parent(revealed, field.parts, owned)[field.parts[-1]] = placeholder
                continue
            if not clear or current is _MISSING:
                continue  # masked, or a reader schema without the field
            plain = self._open(field, sealed, key, principal, lookups)
            if plain is not _MISSING:
                if revealed is None:
                    revealed = dict(value)
                    owned.add(id(revealed))
                if top is not None:
                    revealed[top] = plain
                else:
                    _owned_parent(revealed, field.parts, owned)[field.parts[-1]] = plain
        return value if revealed is None else revealed

    def _open(
        self,
        field: _Field,
        sealed: bytes,
        key: bytes,
        principal: str,
        lookups: dict[int, KeyLookup],
    ) -> Any:
        try:
            version = key_version_of(sealed)
            lookup = lookups.get(version)
            if lookup is None:
                lookup = lookups[version] = self._keys.for_reading(
                    self.product, key, version, principal=principal
                )
            if not lookup.exists:
                raise SealBroken(f"the entity has no data key version {version}")
            if lookup.key is None:
                return _MISSING  # forgotten: the placeholder stays
            return decode_value(self._seal(lookup.key, key).open(field.prefix, sealed))
        except (SealBroken, ValueError, KeyError) as exc:
            entity = entity_label(key)
            raise UndecryptableField(self.product, field.path, entity, str(exc)) from None

    def _placeholder(
        self,
        event: dict[str, Any],
        field: _Field,
        parent: dict[str, Any],
        value: object,
        check: SchemaCheck | None,
    ) -> object:
        chosen = self._placeholders.get((field.path, type(value)), _MISSING)
        if chosen is not _MISSING:
            return chosen if isinstance(chosen, _IMMUTABLE) else copy.deepcopy(chosen)
        options = candidates(value) if check is not None else type_tokens(value)
        for option in options:
            if check is not None:
                parent[field.parts[-1]] = option
                try:
                    check(event)
                except InvalidEvent:
                    continue
            self._placeholders[(field.path, type(value))] = option
            return copy.deepcopy(option)
        raise NoPlaceholder(self.product, field.path, type(value).__name__)


def _first(tokens: tuple[object, ...]) -> object:
    return tokens[0] if tokens else None


def _get(event: Mapping[str, Any], parts: tuple[str, ...]) -> Any:
    node: Any = event
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _owned_parent(root: dict[str, Any], parts: tuple[str, ...], owned: set[int]) -> dict[str, Any]:
    """The mapping holding the last of ``parts`` under ``root`` (a copy this call owns),
    copying each parent on the way that is not in ``owned`` yet, so nothing the caller passed
    in is changed."""
    node = root
    for part in parts[:-1]:
        child = node[part]
        if id(child) not in owned:
            child = dict(child)
            node[part] = child
            owned.add(id(child))
        node = child
    return node
