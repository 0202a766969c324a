"""``FieldProtection``: classified fields encrypted at produce time, revealed or masked on read.

The values of an event's protected fields move out of the event into one record header,
``streammesh-enc-*``, sealed together with the entity's data key (format 2, see
:mod:`streammesh.privacy.envelope`; records written earlier with one
``streammesh-enc-<field path>`` header per field are read too); in the event each is replaced
by a schema-valid placeholder (see :mod:`streammesh.privacy.placeholders`). So every
record — and every copy of it, in a compacted topic, a backup or a file — validates under
the product's schema for any format, keeps its other fields in clear, and holds the
classified values only as ciphertext. Once the entity's key is destroyed
(``streammesh forget``), every copy reads as masked.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from streammesh.privacy.envelope import (
    EVENT_FORMAT,
    EVENT_HEADER,
    EntitySeal,
    EventSeal,
    SealBroken,
    event_key_version,
    event_prefix,
    field_list,
    field_prefix,
    header_name,
    is_event_header,
    key_version_of,
    open_event_header,
    sealed_fields,
)
from streammesh.privacy.errors import (
    NoPlaceholder,
    UndecryptableField,
    UnsupportedFieldPath,
    UnsupportedFieldValue,
)
from streammesh.privacy.keys import DataKey, KeyLookup, KeyStore, entity_label
from streammesh.privacy.placeholders import candidates, type_tokens
from streammesh.privacy.values import (
    PLAIN_TYPES,
    UnsupportedValue,
    decode_fields,
    decode_value,
    encode_fields,
    encode_value,
)
from streammesh.products import Classification
from streammesh.schemas import InvalidEvent

ENCRYPTED_CLASSIFICATIONS = frozenset(Classification)
"""Classifications whose fields are encrypted unless a policy names others: every label.

Each label of the descriptor's vocabulary (``pii``, ``financial``, ``health``,
``confidential``, ``restricted``) names a sensitivity, so none is public: a field that is
public is simply not classified. Only the governance group's global policy can narrow the
set (``fields.protected``); a domain may only add to it."""

RevealRecord = Callable[[dict[str, Any], Sequence[tuple[str, bytes]], bytes], dict[str, Any]]
"""A record's decoded value, headers and key to the value as one reader may see it (the
decoded value, which the caller hands over, may be updated in place and returned)."""

SchemaCheck = Callable[[Mapping[str, Any]], None]
"""Raises ``InvalidEvent`` unless an event is valid under the product's schema."""

_MISSING = object()
_SCALARS = frozenset((str, int, float, bool, type(None)))
"""Types of decrypted values that several events may share (none can be changed)."""
_IMMUTABLE = (str, int, float, bool, bytes, type(None))
"""Placeholder types handed out as they are (anything else is copied per event)."""
_EVENT_FORMAT = bytes([EVENT_FORMAT])
_SEALS_MAX = 8_192
"""How many entities' seals a protection keeps ready (rebuilding one costs ~1 µs)."""
_monotonic = time.monotonic


@dataclass(slots=True)
class _Opening:
    """What a reader needs to open an entity's usual header (every protected field) without
    asking the key store: kept per reader and entity while the store says the handout is
    audited and the key may be used."""

    seal: EventSeal
    """The entity's seal of every protected field (its ``clear`` starts the header)."""
    until: float
    generation: int
    batch: object | None = None
    """With ``until`` 0: the key store's open batch (``KeyStore.open_batch``) that audits the
    handout when it ends; usable only while it is the reader's open batch."""
    last: tuple[bytes, dict[str, Any]] | None = None
    """The header opened last and its values, when they are all text, numbers, booleans or
    null (shared by every event they are put in: nothing in them can be changed): the same
    header again — a producer writes the same one while the entity's values stay the
    same — is not decrypted again."""


@dataclass(slots=True)
class _Writing:
    """What a producer needs to seal an entity's events without asking the key store: kept
    per entity while the store allows (``KeyStore.current_until``), with the header of the
    values it sealed last."""

    every: EventSeal
    """The entity's seal of every protected field (the usual header)."""
    entity: EntitySeal
    """The entity's seal of any field list."""
    until: float
    generation: int
    last: tuple[bytes, bytes] | None = None
    """The plaintext sealed last with :attr:`every`, and its header. An event whose values
    are the same (an entity's email or account number rarely changes) gets the same header
    again instead of a new nonce and ciphertext: what that shows is only that the values
    did not change since the entity's previous event (the entity's key is its own, so no
    two entities' headers compare), and AES-GCM's rule — never one nonce for two different
    plaintexts under one key — holds (see docs/decisions.md)."""


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

    A field protected when the event was written has a placeholder and is sealed in the
    event's header (or, written before format 2, its own header); one written before it was
    protected (or while a policy did not protect it) has neither.

    Example:
        >>> fields_in_clear({"id": "u1", "diagnosis": "flu"}, {}, ["diagnosis"])
        ('diagnosis',)
    """
    sealed: tuple[str, ...] = ()
    field_headers: Collection[str] = headers
    event_header = headers.get(EVENT_HEADER)
    if event_header is not None and is_event_header(event_header):
        field_headers = set(headers) - {EVENT_HEADER}  # a field named '*' has no header then
        try:
            sealed = sealed_fields(event_header)
        except SealBroken:
            sealed = ()  # not a header this version wrote: its fields count as in clear
    return tuple(
        path
        for path in sorted(paths)
        if _get(value, tuple(path.split("."))) not in (_MISSING, None)
        and path not in sealed
        and header_name(path) not in field_headers
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
        try:
            self._all_fields = field_list(self.encrypted)
        except ValueError as exc:
            path = next((path for path in self.encrypted if "\x00" in path), "")
            raise UnsupportedFieldPath(product, path, f"cannot be sealed: {exc}") from None
        self._event_prefix = event_prefix(product)
        self._all_top = all("." not in path for path in self.encrypted)
        self._all_set = frozenset(self.encrypted)
        self._ready: dict[str, dict[type, object]] = {path: {} for path in self.encrypted}
        """Per top-level field, the immutable placeholder known valid for each value type."""
        self._tops = tuple(self._ready.items()) if self._all_top else None
        self._lists: dict[tuple[str, ...], bytes] = {self.encrypted: self._all_fields}
        """Per set of fields present in an event, its header's field list."""
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
        self._seals: dict[tuple[bytes, int], tuple[DataKey, EntitySeal, EventSeal]] = {}
        """Per entity and key version, the seals built for the data key the store handed out
        (rebuilt whenever the store hands out another key object: a new version, a key
        unwrapped again after its cache expired): any header's, and the header's listing
        every protected field (the common case)."""
        self._placeholders: dict[tuple[str, type], object] = {}
        """Per field and value type, the placeholder found valid under the schema."""
        self._checked: set[tuple[str, type]] = set()
        """The placeholders of ``_placeholders`` that the schema's check chose (the others
        are type tokens, for callers without a check): only those go into ``_ready``."""
        self._writing: dict[bytes, _Writing] = {}
        """Per entity: its current key's seals, until when and for which key store
        generation they may be used without asking the store (``KeyStore.current_until``)."""
        self._opening: dict[str, dict[bytes, _Opening]] = {}
        """Per reader (principal) and entity: how to open its usual header."""
        self._revealers: dict[tuple[bool, str], RevealRecord] = {}

    @property
    def keys(self) -> KeyStore:
        """The key store the data keys come from."""
        return self._keys

    def protect(
        self, event: Mapping[str, Any], key: bytes, *, check: SchemaCheck | None = None
    ) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The event to write, with protected fields replaced by placeholders, and the
        header sealing their values (``streammesh-enc-*``; none when every protected field
        is missing or null).

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
        if self._tops is not None:  # top-level fields only: placeholders known by type
            done = self.protect_valid(event, key)
            if done is not None:
                return done
        # Copied only along the paths written to: the caller's event is never changed, and
        # the fields in clear are shared rather than deep-copied for every event.
        protected: dict[str, Any] = dict(event)
        values: dict[str, Any] = {}
        owned: set[int] | None = None
        for field in self._fields:
            top = field.top
            value = (
                protected.get(top, _MISSING) if top is not None else _get(protected, field.parts)
            )
            if value is _MISSING or value is None:
                continue  # nothing to hide
            values[field.path] = value
            placeholder = self._placeholders.get((field.path, type(value)), _MISSING)
            if top is not None and isinstance(placeholder, _IMMUTABLE):
                protected[top] = placeholder  # a known, immutable token
                if self._tops is not None and (top, type(value)) in self._checked:
                    self._ready[top][type(value)] = placeholder  # for the next event
                continue
            if placeholder is _MISSING:  # a type first seen: refuse what cannot be sealed
                try:
                    encode_value(value)
                except UnsupportedValue:
                    kind = type(value).__name__
                    raise UnsupportedFieldValue(self.product, field.path, kind) from None
            if owned is None:
                owned = {id(protected)}
            parent = _owned_parent(protected, field.parts, owned)
            parent[field.parts[-1]] = self._placeholder(protected, field, parent, value, check)
        return self._sealed(protected, values, key)

    def protect_valid(
        self, event: Mapping[str, Any], key: bytes
    ) -> tuple[dict[str, Any], dict[str, bytes]] | None:
        """:meth:`protect` of an event, when every placeholder it puts in was chosen by the
        schema's check for that field and value type; ``None`` when one was not (a type
        seen first, a nested field): call :meth:`protect` with the check then.

        For a schema whose fields are checked one by one (Avro, Protobuf), an event the
        schema accepted as given stays valid with such placeholders, so it can be written
        without checking it again; a JSON Schema rule across fields could still refuse it.

        Raises:
            UnsupportedFieldValue: as :meth:`protect`.
        """
        tops = self._tops
        if tops is None:
            return None
        protected: dict[str, Any] = dict(event)
        values: dict[str, Any] = {}
        plain = True
        for path, ready in tops:
            value = protected.get(path)
            if value is None:
                continue  # nothing to hide
            kind = type(value)
            placeholder = ready.get(kind, _MISSING)
            if placeholder is _MISSING:
                return None
            values[path] = value
            protected[path] = placeholder
            if kind not in PLAIN_TYPES:
                plain = False
        if not values:
            return protected, {}
        return protected, {EVENT_HEADER: self._header(values, key, plain)}

    def single_placeholders(self) -> dict[str, tuple[type, object]] | None:
        """Per protected field (all top-level), the one value type it was seen with and the
        placeholder the schema's check chose for it, for a writer that writes the
        placeholders itself (then :meth:`seal_fields`); ``None`` unless every field has
        exactly one such placeholder so far."""
        if self._tops is None:
            return None
        single: dict[str, tuple[type, object]] = {}
        for path, ready in self._tops:
            if len(ready) != 1:
                return None
            ((kind, placeholder),) = ready.items()
            single[path] = (kind, placeholder)
        return single

    def prepare(self, entity_keys: Iterable[bytes]) -> None:
        """Have the current data key of every entity of ``entity_keys`` at hand before
        sealing their events one by one: the key store is asked once for the entities not
        at hand (``KeyStore.prepare_current``), so a batch meeting many new entities creates
        their keys in one store write instead of one each."""
        now = _monotonic()
        generation = self._keys.generation
        writing = self._writing
        absent = [
            key
            for key in entity_keys
            if (ready := writing.get(key)) is None
            or ready.until <= now
            or ready.generation != generation
        ]
        if len(absent) > 1:
            self._keys.prepare_current(self.product, absent)

    def seal_fields(
        self, values: dict[str, Any], key: bytes, *, plain: bool = False
    ) -> dict[str, bytes]:
        """The header sealing ``values`` (protected field path → value, sorted by path, no
        nulls) of an event of entity ``key``, as :meth:`protect` seals them (none: no
        header); ``plain``: every value is text, an integer or a boolean.

        Raises:
            UnsupportedFieldValue: a value holds a type that cannot be encrypted.
        """
        if not values:
            return {}
        return {EVENT_HEADER: self._header(values, key, plain)}

    def sealed_headers(
        self, values: dict[str, Any], key: bytes, plain: bool = False
    ) -> tuple[tuple[str, bytes], ...]:
        """:meth:`seal_fields` as the record headers a log producer takes (a tuple of
        ``(name, value)`` pairs), for a producer's per-event path; raises as it does."""
        if not values:
            return ()
        return ((EVENT_HEADER, self._header(values, key, plain)),)

    def _sealed(
        self, protected: dict[str, Any], values: dict[str, Any], key: bytes
    ) -> tuple[dict[str, Any], dict[str, bytes]]:
        """``protected`` and the header sealing ``values``, the protected fields' values
        (none: no header)."""
        if not values:
            return protected, {}
        return protected, {EVENT_HEADER: self._header(values, key, False)}

    def _header(self, values: dict[str, Any], key: bytes, plain: bool) -> bytes:
        """The value of the header sealing ``values`` (``plain``: text, integers and
        booleans only)."""
        try:
            if plain:  # what encode_fields writes for them, without its look at each type
                try:
                    plaintext = orjson.dumps(values)
                except orjson.JSONEncodeError:  # an int beyond 64 bits, lone surrogates
                    plaintext = encode_fields(values)
            else:
                plaintext = encode_fields(values)
        except UnsupportedValue:
            raise self._unsupported(values) from None
        # One key lookup and one seal per event, whatever the number of fields.
        writing = self._writing.get(key)
        if (
            writing is None
            or writing.until <= _monotonic()
            or writing.generation != self._keys.generation
        ):
            writing = self._writing_of(key)
        if len(values) == len(self._fields):  # the common case: every protected field is set
            last = writing.last
            if last is not None and last[0] == plaintext:
                return last[1]  # the entity's values did not change: the header it had
            header = writing.every.seal(plaintext)
            writing.last = (plaintext, header)  # one assignment: threads see both or neither
            return header
        present = tuple(values)  # in the fields' order: sorted
        fields = self._lists.get(present) or self._list_of(present)
        return writing.entity.seal_event(self._event_prefix, fields, plaintext)

    def _writing_of(self, key: bytes) -> _Writing:
        """The entity's current seals, asked from the key store (kept while it allows)."""
        generation = self._keys.generation  # first: a key destroyed meanwhile is not kept
        data_key, until = self._keys.current_until(self.product, key)
        _, entity, every = self._seals_of(data_key, key)
        writing = _Writing(every, entity, until, generation)
        if until:
            if len(self._writing) >= _SEALS_MAX:
                self._writing.clear()
            self._writing[key] = writing
        return writing

    def _list_of(self, present: tuple[str, ...]) -> bytes:
        if len(self._lists) >= _SEALS_MAX:
            self._lists.clear()
        fields = self._lists[present] = field_list(present)
        return fields

    def _unsupported(self, values: Mapping[str, Any]) -> UnsupportedFieldValue:
        """The error naming the first field whose value cannot be encrypted."""
        path, value = next(iter(values.items()))
        for path, value in values.items():  # noqa: B007 - the loop finds the pair
            try:
                encode_value(value)
            except UnsupportedValue:
                break
        return UnsupportedFieldValue(self.product, path, type(value).__name__)

    def _seal(self, data_key: DataKey, entity_key: bytes) -> EntitySeal:
        return self._seals_of(data_key, entity_key)[1]

    def _seals_of(
        self, data_key: DataKey, entity_key: bytes
    ) -> tuple[DataKey, EntitySeal, EventSeal]:
        known = self._seals.get((entity_key, data_key.version))
        if known is not None and known[0] is data_key:
            return known
        if len(self._seals) >= _SEALS_MAX:
            self._seals.clear()
        entity = EntitySeal.of(data_key.material, data_key.version, entity_key)
        every = EventSeal.of(entity, self._event_prefix, self._all_fields)
        known = self._seals[(entity_key, data_key.version)] = (data_key, entity, every)
        return known

    def reveal_record(
        self,
        value: dict[str, Any],
        headers: Sequence[tuple[str, bytes]],
        key: bytes,
        clear: bool,
        principal: str,
    ) -> dict[str, Any]:
        """:meth:`reveal` with the record's headers as the log gives them: a consumer's
        per-record call, which reveals the usual record (one format-2 header sealing every
        protected field, all top-level) in one pass and anything else as :meth:`reveal`.

        Raises:
            UndecryptableField: as :meth:`reveal`.
        """
        return self.record_revealer(clear=clear, principal=principal)(value, headers, key)

    def record_revealer(self, *, clear: bool, principal: str) -> RevealRecord:
        """:meth:`reveal_record` for one reader, as one function (built once per reader:
        it is called per record)."""
        built = self._revealers.get((clear, principal))
        if built is None:
            built = self._revealers[(clear, principal)] = self._record_revealer(clear, principal)
        return built

    def _record_revealer(self, clear: bool, principal: str) -> RevealRecord:
        reveal = self.reveal
        if not clear or self._tops is None:

            def reveal_any(
                value: dict[str, Any], headers: Sequence[tuple[str, bytes]], key: bytes
            ) -> dict[str, Any]:
                return reveal(value, dict(headers), key, clear=clear, principal=principal)

            return reveal_any
        opening: dict[bytes, _Opening] = self._opening.setdefault(principal, {})
        keys, all_set, opening_of = self._keys, self._all_set, self._opening_of
        open_batch = keys.open_batch

        def reveal_usual(
            value: dict[str, Any], headers: Sequence[tuple[str, bytes]], key: bytes
        ) -> dict[str, Any]:
            if len(headers) == 1:
                name, header = headers[0]
                if name == EVENT_HEADER:
                    ready = opening.get(key)
                    if ready is not None and (
                        ready.generation != keys.generation  # a key destroyed since
                        or (
                            ready.until <= _monotonic()  # to be asked again
                            and (ready.batch is None or ready.batch is not open_batch())
                        )
                    ):
                        ready = None
                    if ready is not None:
                        last = ready.last
                        if (
                            last is not None
                            and last[0] == header
                            and value.keys() >= last[1].keys()
                        ):
                            # The entity's header opened last (checked then), same key.
                            value.update(last[1])
                            return value
                        if not header.startswith(ready.seal.clear):
                            ready = None  # another key version or field list
                    if ready is None:
                        ready = opening_of(header, key, principal, opening)
                    if ready is not None:
                        last = ready.last
                        if last is not None and last[0] == header:
                            plain = last[1]  # authenticated already, with the same key
                        else:
                            try:
                                # Anything but a JSON object of every protected field is
                                # read again below, which names what is wrong.
                                plain = orjson.loads(ready.seal.open(header))
                            except (SealBroken, ValueError):  # orjson's error: a ValueError
                                plain = None
                            if (
                                type(plain) is dict
                                and plain.keys() == all_set
                                and all(type(item) in _SCALARS for item in plain.values())
                            ):
                                ready.last = (header, plain)
                        if (
                            type(plain) is dict
                            and plain.keys() == all_set
                            and value.keys() >= plain.keys()
                        ):
                            value.update(plain)  # the caller's own decoded value: no copy
                            return value
            return reveal(value, dict(headers), key, clear=True, principal=principal)

        return reveal_usual

    def _opening_of(
        self, header: bytes, key: bytes, principal: str, opening: dict[bytes, _Opening]
    ) -> _Opening | None:
        """How ``principal`` opens ``header`` when it is the usual one (format 2, every
        protected field) of a live key, asked from the key store (which audits the
        handout); kept while the store allows. ``None``: :meth:`reveal` reads it."""
        if header[:1] != _EVENT_FORMAT:
            return None
        try:
            version = event_key_version(header)
        except SealBroken:
            return None
        generation = self._keys.generation  # first: a key destroyed meanwhile is not kept
        lookup, until = self._keys.for_reading_until(
            self.product, key, version, principal=principal
        )
        if lookup.key is None:
            return None  # forgotten (masked) or unknown (refused): reveal says which
        every = self._seals_of(lookup.key, key)[2]
        if not header.startswith(every.clear):
            return None
        # Kept while the store allows, or, when the handout is pending in this thread's
        # batch, for the batch's other events.
        batch = None if until else self._keys.open_batch()
        ready = _Opening(every, until, generation, batch)
        if until or batch is not None:
            if len(opening) >= _SEALS_MAX:
                opening.clear()
            opening[key] = ready
        return ready

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

        With ``clear``, the protected fields whose entity key still exists are decrypted
        (the key handout is audited) and restored; fields whose key was destroyed stay
        masked. Without ``clear``, protected fields stay masked; a protected field found in
        clear (written without protection) is masked too. Both header formats are read: the
        event's ``streammesh-enc-*`` and, from records written before it, one
        ``streammesh-enc-<field>`` per field.

        Raises:
            UndecryptableField: a header was altered, or moved from another field, entity
                or product — never a wrong value.
        """
        sealed: tuple[str, ...] = ()
        opened: dict[str, Any] | None = None
        event_header = headers.get(EVENT_HEADER)
        if event_header is not None and event_header[:1] == _EVENT_FORMAT:
            if clear:
                sealed, opened = self._open_event(event_header, key, principal)
                if (
                    sealed is self.encrypted  # every protected field is sealed in it
                    and opened is not None
                    and self._all_top
                    and value.keys() >= opened.keys()
                ):
                    return {**value, **opened}  # the common case: every field, top-level
            else:
                try:
                    sealed = sealed_fields(event_header)
                except SealBroken:
                    sealed = ()  # masked either way: every field found is masked below
        else:
            event_header = None
        revealed: dict[str, Any] | None = None
        owned: set[int] = set()
        lookups: dict[int, KeyLookup] = {}  # per key version: every field has the entity's key
        for field in self._fields:
            top = field.top
            current = value.get(top, _MISSING) if top is not None else _get(value, field.parts)
            if field.path in sealed:
                # Sealed in the event's header: masked unless opened (a reader schema without
                # the field leaves it out).
                if opened is None or current is _MISSING:
                    continue
                plain = opened.get(field.path, _MISSING)
            else:
                sealed_field = headers.get(field.header)
                if sealed_field is not None and field.header == EVENT_HEADER and event_header:
                    sealed_field = None  # a field named '*': the event's header, not its own
                if sealed_field is None:
                    if clear or current is _MISSING or current is None:
                        continue
                    if revealed is None:
                        revealed = dict(value)
                        owned.add(id(revealed))
                    tokens = type_tokens(current)
                    placeholder = self._placeholders.get(
                        (field.path, type(current)), _first(tokens)
                    )
                    _owned_parent(revealed, field.parts, owned)[field.parts[-1]] = placeholder
                    continue
                if not clear or current is _MISSING:
                    continue  # masked, or a reader schema without the field
                plain = self._open(field, sealed_field, key, principal, lookups)
            if plain is not _MISSING:
                if revealed is None:
                    revealed = dict(value)
                    owned.add(id(revealed))
                if top is not None:
                    revealed[top] = plain
                else:
                    _owned_parent(revealed, field.parts, owned)[field.parts[-1]] = plain
        return value if revealed is None else revealed

    def _open_event(
        self, header: bytes, key: bytes, principal: str
    ) -> tuple[tuple[str, ...], dict[str, Any] | None]:
        """The fields a format-2 header seals and their values (``None``: the entity was
        forgotten, they stay masked)."""
        paths: tuple[str, ...] = ()
        try:
            version = event_key_version(header)
            lookup = self._keys.for_reading(self.product, key, version, principal=principal)
            if not lookup.exists:
                raise SealBroken(f"the entity has no data key version {version}")
            if lookup.key is None:
                return open_event_header(header)[1][0], None  # forgotten: they stay masked
            seals = self._seals_of(lookup.key, key)
            if header.startswith(seals[2].clear):  # the common case: every protected field
                paths, expected = self.encrypted, self._all_set
                plaintext = seals[2].open(header)
                # Text, integers and booleans (orjson's object) in one call; else tagged.
                plain = orjson.loads(plaintext) if plaintext[:1] == b"{" else None
                if type(plain) is not dict:
                    plain = decode_fields(plaintext)
            else:
                _, (paths, expected), nonce_at = open_event_header(header)
                plain = decode_fields(seals[1].open_event(self._event_prefix, header, nonce_at))
            if plain.keys() != expected:
                raise SealBroken("the sealed values are not those of the header's field list")
            return paths, plain
        except (SealBroken, ValueError, KeyError) as exc:
            raise UndecryptableField(
                self.product,
                ", ".join(paths or self.encrypted),
                entity_label(key),
                str(exc),
                header=EVENT_HEADER,
            ) from None

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
            if check is not None:
                self._checked.add((field.path, type(value)))
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
