"""``KeyStore``: one data key per (product, entity key), wrapped by a KMS, destroyable.

Data keys belong to the product *name* (``customers.profiles``), not to a major version: an
entity that is forgotten is forgotten in v1 and v2 alike, which is what a person asking to be
forgotten expects. Each key has versions: ``forget`` destroys every version, and an event of
the same entity produced afterwards gets a new version, so new data stays readable while
everything written before stays shredded.

Unwrapped keys are cached in the process for ``cache_ttl`` (default five minutes) so that a
consumer reading 10,000 events of one user unwraps once; :meth:`KeyStore.destroy` clears this
process's cache at once, other processes stop using a destroyed key within the TTL. Every
key handed out for decryption is audited (``privacy.key-handed-out``) at most once per
principal, product version, entity key and clock hour in a process.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.privacy.errors import KmsError
from streammesh.privacy.kms import Kms
from streammesh.privacy.tables import data_keys, product_keys
from streammesh.store import MetadataStore

KEYS_LOCK = "privacy-keys"
"""The store lock serialising data-key creation and destruction."""

DEFAULT_CACHE_TTL = timedelta(minutes=5)
CURRENT_RECHECK = timedelta(seconds=30)
"""How long a producer trusts its cached current key version before re-reading it."""
_KEY_BYTES = 32
_FAST_MAX = 65_536
"""How many entities' keys a store keeps at hand for producers and readers asking per event."""


@dataclass(frozen=True, slots=True)
class DataKey:
    """An unwrapped data key of one entity of a product."""

    product: str
    entity_key: bytes
    version: int
    material: bytes


@dataclass(frozen=True, slots=True)
class KeyLookup:
    """What the store knows of one data-key version: ``key`` is ``None`` once destroyed."""

    exists: bool
    key: DataKey | None


def product_name(product: str) -> str:
    """``customers.profiles`` for ``customers.profiles.v2`` (and for itself)."""
    name, _, version = product.rpartition(".v")
    return name if name and version.isdigit() else product


def entity_label(entity_key: bytes) -> str:
    """An entity key as people read it: its text when it is printable UTF-8, else hex."""
    try:
        text = entity_key.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + entity_key.hex()
    return text if text.isprintable() else "0x" + entity_key.hex()


class KeyStore:
    """Data keys in the metadata store, wrapped by ``kms``.

    Example:
        >>> keys = KeyStore(store, LocalKms.for_mesh(home))  # doctest: +SKIP
        >>> keys.destroy("customers.profiles", b"user-2", actor="cli:alice")  # doctest: +SKIP
        1
    """

    def __init__(
        self,
        store: MetadataStore,
        kms: Kms | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        cache_ttl: timedelta = DEFAULT_CACHE_TTL,
    ) -> None:
        self._store = store
        self._kms = kms
        self._clock = clock or (lambda: datetime.now(UTC))
        self._real_clock = clock is None
        """Whether the audit's clock hours can be followed on the monotonic clock (a clock
        given by a caller may jump: then every handout asks it)."""
        self._ttl = cache_ttl.total_seconds()
        self._audit = AuditLog(store)
        self._cache: dict[tuple[str, bytes, int], tuple[DataKey, float, KeyLookup]] = {}
        """Unwrapped keys: the key, until when it may be used, and the lookup that hands it
        out (built once: a reader asks for it once per event)."""
        self._current: dict[tuple[str, bytes], tuple[int, float]] = {}
        self._writing: dict[tuple[str, bytes], tuple[DataKey, float]] = {}
        """Per product version and entity: the current key, until when a producer asking
        per event may use it without looking further (the earlier of the recheck and the
        cache's expiry)."""
        self._reading: dict[tuple[str, bytes, int, str], tuple[KeyLookup, float]] = {}
        """Per product version, entity, key version and principal: a lookup whose handout is
        audited for the current clock hour, until when (the earlier of the hour's end and
        the cache's expiry); only with the real clock."""
        self._handed_out: set[tuple[str, str, bytes]] = set()
        self._handout_hour: datetime | None = None
        self._handout_hour_ends: datetime | None = None
        self._names: dict[str, str] = {}
        """Product versions by name (``product_name``), for readers asking per event."""
        self._together = threading.local()
        """Per thread, the handouts of an open :meth:`handouts_together` block."""
        self._generation = 0
        """Bumped by every :meth:`destroy` in this process: a caller keeping keys of its own
        (see :meth:`current_until`) drops them when it changed."""

    @property
    def store(self) -> MetadataStore:
        """The metadata store holding the keys."""
        return self._store

    @property
    def kms(self) -> Kms:
        """The KMS wrapping this store's keys.

        Raises:
            KmsError: the store was opened without one (enough for ``destroy``).
        """
        if self._kms is None:
            raise KmsError("none", "this key store was opened without a KMS; pass one to use keys")
        return self._kms

    def wrapped_keys(self) -> int:
        """How many keys this store holds wrapped by a KMS (live data keys and product
        secrets): while it is 0, losing the master key loses nothing."""
        with self._store.read() as connection:
            live = connection.execute(
                sa.select(sa.func.count())
                .select_from(data_keys)
                .where(data_keys.c.wrapped.is_not(None))
            ).scalar_one()
            secrets_ = connection.execute(
                sa.select(sa.func.count()).select_from(product_keys)
            ).scalar_one()
        return int(live) + int(secrets_)

    @property
    def generation(self) -> int:
        """How many times :meth:`destroy` ran in this process: a key a caller kept from
        :meth:`current_until` or :meth:`for_reading_until` is stale once it changed."""
        return self._generation

    def current(self, product: str, entity_key: bytes) -> DataKey:
        """The key new events of the entity are encrypted with; created on first use.

        Which version is current is re-read at least every ``CURRENT_RECHECK`` so that a
        producer in another process stops encrypting with a destroyed key soon after
        ``forget`` (events it wrote meanwhile read as forgotten).
        """
        return self.current_until(product, entity_key)[0]

    def current_until(self, product: str, entity_key: bytes) -> tuple[DataKey, float]:
        """:meth:`current`, and until when (``time.monotonic()``) the caller may keep using
        that key without asking again, as long as :attr:`generation` stays the same (0: ask
        every time). For a producer asking per event, which keeps what it builds per key."""
        ready = self._writing.get((product, entity_key))
        if ready is not None and ready[1] > time.monotonic():
            return ready  # what the rest finds, looked up once per recheck
        key = self._current_of(product, entity_key)
        cached = self._cache.get((key.product, key.entity_key, key.version))
        until = self._current[(key.product, entity_key)][1]
        if cached is not None and cached[0] is key:
            until = min(until, cached[1])
            if len(self._writing) >= _FAST_MAX:
                self._writing.clear()
            self._writing[(product, entity_key)] = (key, until)
            return key, until
        return key, 0.0

    def prepare_current(self, product: str, entity_keys: Iterable[bytes]) -> None:
        """Have the current key of every entity of ``entity_keys`` at hand, as
        :meth:`current` would, asking the store once for all of them and creating every
        missing one in one write (one transaction instead of one per new entity): for a
        producer about to encrypt a batch of events. Entities whose key is at hand already
        cost nothing.
        """
        name = product_name(product)
        now = time.monotonic()
        wanted: list[bytes] = []
        for entity_key in dict.fromkeys(entity_keys):
            ready = self._writing.get((product, entity_key))
            if ready is not None and ready[1] > now:
                continue
            known = self._current.get((name, entity_key))
            if known is not None and known[1] > now:
                cached = self._cache.get((name, entity_key, known[0]))
                if cached is not None and cached[1] > now:
                    continue
            wanted.append(entity_key)
        if len(wanted) < 2:
            return  # one entity: current() asks as cheaply
        with self._store.read() as connection:
            latest = _latest_many(connection, name, wanted)
        made: dict[bytes, DataKey] = {}
        missing = [key for key in wanted if (row := latest.get(key)) is None or row.wrapped is None]
        if missing:
            with self._store.write(KEYS_LOCK) as connection:
                latest.update(_latest_many(connection, name, missing))  # another may have won
                rows: list[dict[str, object]] = []
                for entity_key in missing:
                    row = latest.get(entity_key)
                    if row is None or row.wrapped is None:
                        version = 1 if row is None else row.version + 1
                        key, values = self._new_key(name, entity_key, version)
                        made[entity_key] = key
                        rows.append(values)
                if rows:
                    connection.execute(data_keys.insert(), rows)
        recheck = min(self._ttl, CURRENT_RECHECK.total_seconds())
        for entity_key in wanted:
            key = made.get(entity_key) or self._live_row(name, entity_key, latest[entity_key])
            self._remember(key)
            self._current[(name, entity_key)] = (key.version, time.monotonic() + recheck)

    def _live_row(self, name: str, entity_key: bytes, row: _KeyRow) -> DataKey:
        assert row.wrapped is not None  # only live rows are unwrapped
        return self._live(name, entity_key, row.version, row.wrapped, row.kek_id)

    def _current_of(self, product: str, entity_key: bytes) -> DataKey:
        name = product_name(product)
        now = time.monotonic()
        known = self._current.get((name, entity_key))
        if known is not None and known[1] > now:
            cached = self._cache.get((name, entity_key, known[0]))
            if cached is not None and cached[1] > now:
                return cached[0]
        with self._store.read() as connection:
            row = _latest(connection, name, entity_key)
        if row is None or row.wrapped is None:
            with self._store.write(KEYS_LOCK) as connection:
                row = _latest(connection, name, entity_key)  # another process may have won
                if row is None or row.wrapped is None:
                    version = 1 if row is None else row.version + 1
                    key = self._create(connection, name, entity_key, version)
                else:
                    key = self._live(name, entity_key, row.version, row.wrapped, row.kek_id)
        else:
            key = self._live(name, entity_key, row.version, row.wrapped, row.kek_id)
        self._remember(key)
        recheck = min(self._ttl, CURRENT_RECHECK.total_seconds())
        self._current[(name, entity_key)] = (key.version, time.monotonic() + recheck)
        return key

    def _live(
        self, name: str, entity_key: bytes, version: int, wrapped: bytes, kek_id: str
    ) -> DataKey:
        cached = self._cache.get((name, entity_key, version))
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        return self._unwrap(name, entity_key, version, wrapped, kek_id)

    def _create(
        self, connection: Connection, name: str, entity_key: bytes, version: int
    ) -> DataKey:
        key, values = self._new_key(name, entity_key, version)
        connection.execute(data_keys.insert().values(**values))
        return key

    def _new_key(
        self, name: str, entity_key: bytes, version: int
    ) -> tuple[DataKey, dict[str, object]]:
        """A new data key and the row that stores it wrapped."""
        material = secrets.token_bytes(_KEY_BYTES)
        row: dict[str, object] = {
            "product": name,
            "entity_key": entity_key,
            "version": version,
            "wrapped": self.kms.wrap(material, data_key_context(name, entity_key, version)),
            "kek_id": self.kms.key_id,
            "created_at": self._clock(),
        }
        return DataKey(name, entity_key, version, material), row

    def for_reading(
        self, product: str, entity_key: bytes, version: int, *, principal: str
    ) -> KeyLookup:
        """Version ``version`` of the entity's key, handed out to ``principal`` (audited).

        ``product`` is the product version being read (``<name>.v<N>``), which the audit
        entry names.
        """
        return self.for_reading_until(product, entity_key, version, principal=principal)[0]

    def for_reading_until(
        self, product: str, entity_key: bytes, version: int, *, principal: str
    ) -> tuple[KeyLookup, float]:
        """:meth:`for_reading`, and until when (``time.monotonic()``) the caller may hand
        the same key to ``principal`` again without asking, as long as :attr:`generation`
        stays the same (0: ask every time; the handout is not audited yet). For a reader
        asking per event, which keeps what it builds per key."""
        ready = self._reading.get((product, entity_key, version, principal))
        if ready is not None and ready[1] > time.monotonic():
            return ready  # handed out and audited this hour
        name = self._names.get(product)
        if name is None:
            name = self._names[product] = product_name(product)
        cached = self._cache.get((name, entity_key, version))
        if cached is not None and cached[1] > time.monotonic():
            if self._record_handout(product, entity_key, version, principal):
                return cached[2], self._audited(
                    product, entity_key, version, principal, cached[2], cached[1]
                )
            return cached[2], 0.0
        with self._store.read() as connection:
            row = connection.execute(
                sa.select(data_keys.c.wrapped, data_keys.c.kek_id).where(
                    data_keys.c.product == name,
                    data_keys.c.entity_key == entity_key,
                    data_keys.c.version == version,
                )
            ).first()
        if row is None:
            return KeyLookup(exists=False, key=None), 0.0
        if row.wrapped is None:
            return KeyLookup(exists=True, key=None), 0.0
        key = self._unwrap(name, entity_key, version, row.wrapped, row.kek_id)
        self._remember(key)
        self._record_handout(product, entity_key, version, principal)
        return KeyLookup(exists=True, key=key), 0.0

    def destroy(self, product: str, entity_key: bytes, *, actor: str) -> int:
        """Destroy every version of the entity's key (crypto-shredding); audited.

        Returns:
            How many key versions were destroyed (0: the entity had no live key).
        """
        name = product_name(product)
        at = self._clock()
        self._generation += 1  # before and after: a key kept meanwhile is dropped either way
        with self._store.write(KEYS_LOCK) as connection:
            destroyed = connection.execute(
                data_keys.update()
                .where(
                    data_keys.c.product == name,
                    data_keys.c.entity_key == entity_key,
                    data_keys.c.wrapped.is_not(None),
                )
                .values(wrapped=None, destroyed_at=at, destroyed_by=actor)
            ).rowcount
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.KEY_DESTROYED,
                    name,
                    actor,
                    after={"entity_key": entity_label(entity_key), "versions": destroyed},
                ),
                at=at,
            )
        for cached in [k for k in self._cache if k[0] == name and k[1] == entity_key]:
            del self._cache[cached]
        self._current.pop((name, entity_key), None)
        for ready in [k for k in self._writing if k[1] == entity_key]:
            if product_name(ready[0]) == name:
                del self._writing[ready]
        for readable in [k for k in self._reading if k[1] == entity_key]:
            if product_name(readable[0]) == name:
                del self._reading[readable]
        self._generation += 1
        return int(destroyed)

    def product_secret(self, product: str) -> bytes:
        """The product name's secret (tokenization and vault keys derive from it)."""
        name = product_name(product)
        context = product_secret_context(name)
        with self._store.write(KEYS_LOCK) as connection:
            row = connection.execute(
                sa.select(product_keys.c.wrapped, product_keys.c.kek_id).where(
                    product_keys.c.product == name
                )
            ).first()
            if row is not None:
                return self.kms.unwrap(row.wrapped, context, row.kek_id)
            secret = secrets.token_bytes(_KEY_BYTES)
            connection.execute(
                product_keys.insert().values(
                    product=name,
                    wrapped=self.kms.wrap(secret, context),
                    kek_id=self.kms.key_id,
                    created_at=self._clock(),
                )
            )
            return secret

    def _unwrap(
        self, name: str, entity_key: bytes, version: int, wrapped: bytes, kek_id: str
    ) -> DataKey:
        material = self.kms.unwrap(wrapped, data_key_context(name, entity_key, version), kek_id)
        return DataKey(name, entity_key, version, material)

    def _remember(self, key: DataKey) -> None:
        self._cache[(key.product, key.entity_key, key.version)] = (
            key,
            time.monotonic() + self._ttl,
            KeyLookup(exists=True, key=key),
        )

    @contextmanager
    def handouts_together(self) -> Iterator[None]:
        """Audit the key handouts of this thread inside the block in one store write, when
        the block ends (even by an exception), instead of one write each.

        For a reader decrypting a batch of events before returning any of them (a consumer's
        ``take``): every handout is still audited before the reader sees what the key
        opened. A block inside another joins it.
        """
        if getattr(self._together, "pending", None) is not None:
            yield
            return
        pending: dict[tuple[str, str, bytes], tuple[int, datetime]] = {}
        self._together.pending = pending
        try:
            yield
        finally:
            self._together.pending = None
            if pending:
                self._write_handouts(pending)

    def open_batch(self) -> object | None:
        """This thread's open :meth:`handouts_together` block, as a token (``None`` outside
        one): a reader may keep what it built from a key whose handout the block audits when
        it ends while this is still the same token — for the block's other events, not
        longer (the audit write could fail) and not in another thread (whose events the
        block's audit does not precede)."""
        batch: object | None = getattr(self._together, "pending", None)
        return batch

    def _audited(
        self,
        product: str,
        entity_key: bytes,
        version: int,
        principal: str,
        lookup: KeyLookup,
        expires: float,
    ) -> float:
        """Remember that ``lookup`` was handed out to ``principal`` and audited this clock
        hour, so that the next asks until the hour ends find it at once; until when (0: not
        remembered)."""
        if not self._real_clock or self._handout_hour_ends is None:
            return 0.0
        left = (self._handout_hour_ends - datetime.now(UTC)).total_seconds()
        if len(self._reading) >= _FAST_MAX:
            self._reading.clear()
        until = min(expires, time.monotonic() + left)
        self._reading[(product, entity_key, version, principal)] = (lookup, until)
        return until

    def _record_handout(
        self, product: str, entity_key: bytes, version: int, principal: str
    ) -> bool:
        """Audit a handout unless it was this hour; whether it is audited already (not
        merely pending in a :meth:`handouts_together` block)."""
        at = self._clock()
        moment = at if at.tzinfo is not None else at.astimezone(UTC)  # comparable
        ends = self._handout_hour_ends
        if ends is None or self._handout_hour is None or not self._handout_hour <= moment < ends:
            hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            if hour != self._handout_hour:
                self._handed_out.clear()
                self._handout_hour, self._handout_hour_ends = hour, hour + timedelta(hours=1)
        seen = (principal, product, entity_key)
        if seen in self._handed_out:
            return True
        pending: dict[tuple[str, str, bytes], tuple[int, datetime]] | None = getattr(
            self._together, "pending", None
        )
        if pending is not None:
            pending.setdefault(seen, (version, at))
            return False
        self._write_handouts({seen: (version, at)})
        return True

    def _write_handouts(self, handouts: dict[tuple[str, str, bytes], tuple[int, datetime]]) -> None:
        entries = [
            (
                AuditEntry(
                    AuditAction.KEY_HANDED_OUT,
                    product,
                    principal or "anonymous",
                    after={"entity_key": entity_label(entity_key), "key_version": version},
                ),
                at,
            )
            for (principal, product, entity_key), (version, at) in handouts.items()
        ]
        with self._store.write(KEYS_LOCK) as connection:
            self._audit.record_many(connection, entries)
        self._handed_out.update(handouts)


@dataclass(frozen=True, slots=True)
class _KeyRow:
    version: int
    wrapped: bytes | None
    kek_id: str


def _latest(connection: Connection, name: str, entity_key: bytes) -> _KeyRow | None:
    """The newest version row of an entity's key."""
    row = connection.execute(
        sa.select(data_keys.c.version, data_keys.c.wrapped, data_keys.c.kek_id)
        .where(data_keys.c.product == name, data_keys.c.entity_key == entity_key)
        .order_by(data_keys.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else _KeyRow(row.version, row.wrapped, row.kek_id)


_IN_CHUNK = 500
"""Entity keys per ``IN (...)`` list (SQLite before 3.32 allows 999 parameters)."""


def _latest_many(
    connection: Connection, name: str, entity_keys: list[bytes]
) -> dict[bytes, _KeyRow]:
    """The newest version row of each entity's key that has one."""
    latest: dict[bytes, _KeyRow] = {}
    for start in range(0, len(entity_keys), _IN_CHUNK):
        rows = connection.execute(
            sa.select(
                data_keys.c.entity_key,
                data_keys.c.version,
                data_keys.c.wrapped,
                data_keys.c.kek_id,
            ).where(
                data_keys.c.product == name,
                data_keys.c.entity_key.in_(entity_keys[start : start + _IN_CHUNK]),
            )
        )
        for row in rows:
            known = latest.get(row.entity_key)
            if known is None or row.version > known.version:
                latest[row.entity_key] = _KeyRow(row.version, row.wrapped, row.kek_id)
    return latest


def data_key_context(name: str, entity_key: bytes, version: int) -> bytes:
    """What a wrapped key is bound to, so a wrapped key moved to another row does not open."""
    return (
        b"streammesh/data-key\x00"
        + name.encode()
        + b"\x00"
        + version.to_bytes(4, "big")
        + (entity_key)
    )


def product_secret_context(name: str) -> bytes:
    """What a product name's wrapped secret is bound to."""
    return b"streammesh/product-secret\x00" + name.encode()
