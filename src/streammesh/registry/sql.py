"""``SqlSchemaRegistry``: the schema registry stored in the metadata store, with Confluent
Schema Registry semantics.

- A schema's global id follows its identity (fingerprint + references): the same schema under
  two subjects has one id, and ids are never reused, even after a permanent delete (schema
  rows are kept, so re-registering a permanently deleted schema gets its old id back).
- Versions count from 1; a new version is the highest existing one (soft-deleted included) + 1.
- Registering a schema the subject already holds in a live version returns that version;
  if it only holds it in a soft-deleted version, a new version is created (as Confluent does).
- Every write runs under one registry-wide store lock (``MetadataStore.write``), so two
  processes registering the same new schema get one id and one version.
- Schemas read by id are answered from memory for a few seconds (:mod:`.cache`); a permanent
  delete in this process forgets them at once, one in another process within those seconds.
- A registry made ``recording(recorder)`` hands every write that changed something to the
  recorder inside that write's transaction (see :mod:`streammesh.registry.changes`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from streammesh.errors import MissingDependency
from streammesh.registry import rows
from streammesh.registry.base import (
    DEFAULT_COMPATIBILITY,
    CompatibilityLevel,
    CompatibilityReport,
    RegistryMode,
    SchemaSubmission,
    StoredSchema,
    SubjectVersion,
    VersionSelector,
)
from streammesh.registry.cache import REMEMBER_S, SchemaCache
from streammesh.registry.changes import ChangeKind, ChangeRecorder, RegistryChange
from streammesh.registry.compatibility import ExistingVersion, incompatibilities, versions_to_check
from streammesh.registry.errors import (
    CompatibilityNotConfigured,
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidMode,
    InvalidVersion,
    ModeNotConfigured,
    OperationNotPermitted,
    ReferenceExists,
    SchemaNotFound,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    VersionNotFound,
    VersionNotSoftDeleted,
    VersionSoftDeleted,
)
from streammesh.registry.resolution import SchemaResolution, identity
from streammesh.registry.rows import VersionRow
from streammesh.registry.tables import GLOBAL_SCOPE
from streammesh.schemas import ParsedSchema, SchemaType, format_for
from streammesh.store import MetadataStore

_LOCK = "schema-registry"
_COMPATIBILITY = "compatibility"
_MODE = "mode"


class SqlSchemaRegistry:
    """The ``SchemaRegistry`` over a ``MetadataStore`` (SQLite or PostgreSQL).

    Example:
        >>> registry = SqlSchemaRegistry(open_store("sqlite:///meta.db"))
        >>> registry.register("trades-value", SchemaSubmission(avro_text)).version
        1
    """

    def __init__(
        self,
        store: MetadataStore,
        *,
        recorder: ChangeRecorder | None = None,
        remember_s: float = REMEMBER_S,
    ) -> None:
        """Open the registry kept in ``store``.

        Args:
            store: The metadata store holding the registry.
            recorder: Handed every change, in its transaction (see :meth:`recording`).
            remember_s: Seconds a schema read by id is answered from memory (0: never); see
                :mod:`streammesh.registry.cache`.
        """
        self._store = store
        self._resolution = SchemaResolution()
        self._schemas = SchemaCache(remember_s)
        self._recorder = recorder

    @property
    def store(self) -> MetadataStore:
        """The metadata store the registry keeps its schemas in."""
        return self._store

    def recording(self, recorder: ChangeRecorder) -> SqlSchemaRegistry:
        """This registry (same store and caches), handing each change to ``recorder`` in the
        transaction that makes it; a recorder that raises rolls the change back."""
        sibling = SqlSchemaRegistry(self._store, recorder=recorder)
        sibling._resolution = self._resolution
        sibling._schemas = self._schemas
        return sibling

    def schema_types(self) -> list[SchemaType]:
        available = []
        for schema_type in SchemaType:
            try:
                format_for(schema_type)
            except MissingDependency:
                continue
            available.append(schema_type)
        return available

    # -- registering and looking up -------------------------------------------------------

    def register(
        self, subject: str, submission: SchemaSubmission, *, normalize: bool = False
    ) -> SubjectVersion:
        with self._store.write(_LOCK) as connection:
            self._require_writable(connection, subject)
            parsed = self._resolution.parse_submission(connection, submission)
            schema_identity = identity(parsed, submission.references)
            schema_id = rows.schema_id_by_identity(connection, schema_identity)
            existing = rows.subject_versions(connection, subject)
            for row in reversed(existing):
                if row.schema_id == schema_id and not row.deleted:
                    return self._subject_version(connection, row)
            level = self._compatibility(connection, subject, fallback=True)
            # Only the versions the level checks against are parsed.
            against = self._live(connection, versions_to_check(level, _live_rows(existing)))
            problems = incompatibilities(level, parsed, against)
            if problems:
                raise IncompatibleSchema(subject, level.value, problems)
            version = existing[-1].version + 1 if existing else 1
            if schema_id is None:
                text = parsed.canonical if normalize else submission.schema
                schema_id = rows.insert_schema(
                    connection,
                    schema_type=submission.schema_type,
                    identity=schema_identity,
                    fingerprint=parsed.fingerprint,
                    text=text,
                    references=submission.references,
                )
                inserted: ParsedSchema | None = None if normalize else parsed
                registered = SubjectVersion(
                    subject=subject,
                    version=version,
                    id=schema_id,
                    schema_type=submission.schema_type,
                    schema=text,
                    references=submission.references,
                    deleted=False,
                )
            else:
                inserted = None
                registered = self._subject_version(
                    connection, VersionRow(subject, version, schema_id, deleted=False)
                )
            rows.insert_version(connection, subject, version, schema_id)
            after = {
                "subject": subject,
                "version": version,
                "id": schema_id,
                "schema_type": registered.schema_type.value,
            }
            self._changed(
                connection, RegistryChange(ChangeKind.SCHEMA_REGISTERED, subject, None, after)
            )
        if inserted is not None:
            # Committed: the next version's compatibility check reads this one without
            # parsing it again (only after the commit: a rolled-back id may be reused).
            self._resolution.remember(schema_id, inserted)
        return registered

    def lookup(
        self,
        subject: str,
        submission: SchemaSubmission,
        *,
        normalize: bool = False,
        deleted: bool = False,
    ) -> SubjectVersion:
        with self._store.read() as connection:
            visible = self._visible(connection, subject, deleted=deleted)
            parsed = self._resolution.parse_submission(connection, submission)
            schema_id = rows.schema_id_by_identity(
                connection, identity(parsed, submission.references)
            )
            holding = [row for row in visible if row.schema_id == schema_id]
            if not holding:
                raise SchemaNotFound(f"the schema is not registered under subject '{subject}'")
            # A live version wins over a soft-deleted one holding the same schema.
            best = max(holding, key=lambda row: (not row.deleted, row.version))
            return self._subject_version(connection, best)

    def schema(self, schema_id: int) -> StoredSchema:
        remembered = self._schemas.get(schema_id)
        if remembered is not None:
            return remembered
        epoch = self._schemas.epoch()
        with self._store.read() as connection:
            row = self._schema_row(connection, schema_id)
        stored = StoredSchema(row.id, row.schema_type, row.text, row.references)
        self._schemas.put(stored, epoch)
        return stored

    def remembered_schema(self, schema_id: int) -> StoredSchema | None:
        """The schema ``schema_id`` if it was read within the last few seconds (no store
        query, so safe on an event loop); ``None`` means: ask :meth:`schema`. See
        :mod:`streammesh.registry.cache`."""
        return self._schemas.get(schema_id)

    def subject_versions_of(
        self, schema_id: int, *, deleted: bool = False
    ) -> list[tuple[str, int]]:
        with self._store.read() as connection:
            self._schema_row(connection, schema_id)
            return [
                (row.subject, row.version)
                for row in rows.versions_of_schema(connection, schema_id)
                if deleted or not row.deleted
            ]

    def subjects(self, *, prefix: str = "", deleted: bool = False) -> list[str]:
        with self._store.read() as connection:
            names = rows.all_subjects(connection, deleted=deleted)
        return [name for name in names if name.startswith(prefix)]

    def versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        with self._store.read() as connection:
            return [row.version for row in self._visible(connection, subject, deleted=deleted)]

    def version(
        self, subject: str, version: VersionSelector, *, deleted: bool = False
    ) -> SubjectVersion:
        number = _selected(version)
        with self._store.read() as connection:
            visible = self._visible(connection, subject, deleted=deleted)
            return self._subject_version(connection, _pick(subject, visible, number))

    def referenced_by(self, subject: str, version: VersionSelector) -> list[int]:
        number = _selected(version)
        with self._store.read() as connection:
            row = _pick(subject, self._visible(connection, subject, deleted=False), number)
            return rows.referrers(connection, subject, row.version)

    # -- deleting -------------------------------------------------------------------------

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        with self._store.write(_LOCK) as connection:
            self._require_writable(connection, subject)
            existing = rows.subject_versions(connection, subject)
            if not existing:
                raise SubjectNotFound(subject)
            live = [row for row in existing if not row.deleted]
            if permanent and live:
                raise SubjectNotSoftDeleted(subject)
            if not permanent and not live:
                raise SubjectSoftDeleted(subject)
            targets = existing if permanent else live
            for row in targets:
                _refuse_if_referenced(connection, row)
            numbers = [row.version for row in targets]
            if permanent:
                rows.delete_versions(connection, subject, numbers)
                rows.clear_settings(connection, subject)
            else:
                rows.soft_delete_versions(connection, subject, numbers)
            before = {"versions": [_version_document(row) for row in targets]}
            after = None
            if not permanent:
                after = {"versions": [_version_document(row, deleted=True) for row in targets]}
            self._changed(
                connection,
                RegistryChange(ChangeKind.SUBJECT_DELETED, subject, before, after, permanent),
            )
        if permanent:  # committed: its schema ids may no longer be answered
            SchemaCache.forget_all()
        return numbers

    def delete_version(
        self, subject: str, version: VersionSelector, *, permanent: bool = False
    ) -> int:
        number = _selected(version)
        with self._store.write(_LOCK) as connection:
            self._require_writable(connection, subject)
            existing = rows.subject_versions(connection, subject)
            if not existing:
                raise SubjectNotFound(subject)
            if permanent:
                row = _pick(subject, existing, number)
                if not row.deleted:
                    raise VersionNotSoftDeleted(subject, row.version)
            else:
                live = [row for row in existing if not row.deleted]
                if number is None:
                    row = _pick(subject, live, None)
                else:
                    row = _pick(subject, existing, number)
                    if row.deleted:
                        raise VersionSoftDeleted(subject, row.version)
            _refuse_if_referenced(connection, row)
            if permanent:
                rows.delete_versions(connection, subject, [row.version])
                if len(existing) == 1:
                    rows.clear_settings(connection, subject)
            else:
                rows.soft_delete_versions(connection, subject, [row.version])
            after = None if permanent else _version_document(row, deleted=True)
            change = RegistryChange(
                ChangeKind.VERSION_DELETED, subject, _version_document(row), after, permanent
            )
            self._changed(connection, change)
        if permanent:  # committed: its schema id may no longer be answered
            SchemaCache.forget_all()
        return row.version

    # -- compatibility --------------------------------------------------------------------

    def check_compatibility(
        self,
        subject: str,
        submission: SchemaSubmission,
        *,
        version: VersionSelector | None = None,
        normalize: bool = False,
    ) -> CompatibilityReport:
        number = None if version is None else _selected(version)
        with self._store.read() as connection:
            parsed = self._resolution.parse_submission(connection, submission)
            level = self._compatibility(connection, subject, fallback=True)
            live = _live_rows(rows.subject_versions(connection, subject))
            if version is None:
                against = self._live(connection, versions_to_check(level, live))
            else:
                picked = _pick(subject, live, number)
                against = (
                    [] if level is CompatibilityLevel.NONE else self._live(connection, [picked])
                )
            problems = incompatibilities(level, parsed, against)
        return CompatibilityReport(not problems, tuple(problems))

    def compatibility(
        self, subject: str | None = None, *, fallback: bool = True
    ) -> CompatibilityLevel:
        with self._store.read() as connection:
            return self._compatibility(connection, subject, fallback=fallback)

    def set_compatibility(
        self, level: CompatibilityLevel, subject: str | None = None
    ) -> CompatibilityLevel:
        checked = _level(level)
        with self._store.write(_LOCK) as connection:
            self._put_setting(connection, subject, _COMPATIBILITY, checked.value)
        return checked

    def delete_compatibility(self, subject: str | None = None) -> CompatibilityLevel:
        with self._store.write(_LOCK) as connection:
            previous = self._compatibility(connection, subject, fallback=subject is None)
            self._put_setting(connection, subject, _COMPATIBILITY, None)
            return previous

    def _compatibility(
        self, connection: Connection, subject: str | None, *, fallback: bool
    ) -> CompatibilityLevel:
        if subject is not None:
            own = rows.setting(connection, subject, _COMPATIBILITY)
            if own is not None:
                return CompatibilityLevel(own)
            if not fallback:
                raise CompatibilityNotConfigured(subject)
        configured = rows.setting(connection, GLOBAL_SCOPE, _COMPATIBILITY)
        return DEFAULT_COMPATIBILITY if configured is None else CompatibilityLevel(configured)

    # -- modes ----------------------------------------------------------------------------

    def mode(self, subject: str | None = None, *, fallback: bool = True) -> RegistryMode:
        with self._store.read() as connection:
            return self._mode(connection, subject, fallback=fallback)

    def set_mode(self, mode: RegistryMode, subject: str | None = None) -> RegistryMode:
        checked = _mode(mode)
        with self._store.write(_LOCK) as connection:
            self._put_setting(connection, subject, _MODE, checked.value)
        return checked

    def delete_mode(self, subject: str | None = None) -> RegistryMode:
        with self._store.write(_LOCK) as connection:
            previous = self._mode(connection, subject, fallback=subject is None)
            self._put_setting(connection, subject, _MODE, None)
            return previous

    def _mode(self, connection: Connection, subject: str | None, *, fallback: bool) -> RegistryMode:
        if subject is not None:
            own = rows.setting(connection, subject, _MODE)
            if own is not None:
                return RegistryMode(own)
            if not fallback:
                raise ModeNotConfigured(subject)
        configured = rows.setting(connection, GLOBAL_SCOPE, _MODE)
        return RegistryMode.READWRITE if configured is None else RegistryMode(configured)

    def _require_writable(self, connection: Connection, subject: str) -> None:
        if self._mode(connection, subject, fallback=True) is RegistryMode.READONLY:
            raise OperationNotPermitted(
                f"subject '{subject}' is in READONLY mode; set its mode (or the global mode) "
                "to READWRITE to change it"
            )

    # -- recording changes ----------------------------------------------------------------

    def _put_setting(
        self, connection: Connection, subject: str | None, column: str, value: str | None
    ) -> None:
        """Set (or with ``None`` remove) a subject's or the global setting; a change that
        changes something is recorded."""
        scope = _scope(subject)
        previous = rows.setting(connection, scope, column)
        rows.put_setting(connection, scope, column, value)
        if previous == value:
            return  # setting what is already set changes nothing: nothing to record
        kind = ChangeKind.CONFIG_CHANGED if column == _COMPATIBILITY else ChangeKind.MODE_CHANGED
        before = {column: previous}
        after = {column: value}
        self._changed(connection, RegistryChange(kind, subject, before, after))

    def _changed(self, connection: Connection, change: RegistryChange) -> None:
        if self._recorder is not None:
            self._recorder(connection, change)

    # -- reading rows ---------------------------------------------------------------------

    def _visible(self, connection: Connection, subject: str, *, deleted: bool) -> list[VersionRow]:
        visible = [
            row for row in rows.subject_versions(connection, subject) if deleted or not row.deleted
        ]
        if not visible:
            raise SubjectNotFound(subject)
        return visible

    def _live(self, connection: Connection, chosen: list[VersionRow]) -> list[ExistingVersion]:
        """``chosen`` (live versions), parsed."""
        return [
            ExistingVersion(row.version, self._resolution.parse_stored(connection, row.schema_id))
            for row in chosen
        ]

    def _schema_row(self, connection: Connection, schema_id: int) -> rows.SchemaRow:
        """The schema ``schema_id`` if some version (live or soft-deleted) still holds it."""
        row = rows.schema_row(connection, schema_id)
        if row is None or not rows.versions_of_schema(connection, schema_id):
            raise SchemaNotFound(f"no schema with id {schema_id}")
        return row

    def _subject_version(self, connection: Connection, row: VersionRow) -> SubjectVersion:
        schema = rows.schema_row(connection, row.schema_id)
        if schema is None:  # the foreign key makes this impossible short of manual edits
            raise SchemaNotFound(f"no schema with id {row.schema_id}")
        return SubjectVersion(
            subject=row.subject,
            version=row.version,
            id=row.schema_id,
            schema_type=schema.schema_type,
            schema=schema.text,
            references=schema.references,
            deleted=row.deleted,
        )


def _live_rows(existing: list[VersionRow]) -> list[VersionRow]:
    return [row for row in existing if not row.deleted]


def _version_document(row: VersionRow, *, deleted: bool | None = None) -> dict[str, Any]:
    """A version as audit records show it."""
    return {
        "version": row.version,
        "id": row.schema_id,
        "deleted": row.deleted if deleted is None else deleted,
    }


def _selected(version: object) -> int | None:
    """A version selector as a number, ``None`` meaning the latest."""
    if version == "latest" or (isinstance(version, int) and version == -1):
        return None
    if isinstance(version, int) and not isinstance(version, bool) and version >= 1:
        return version
    raise InvalidVersion(version)


def _pick(subject: str, candidates: list[VersionRow], number: int | None) -> VersionRow:
    if not candidates:
        raise SubjectNotFound(subject)
    if number is None:
        return candidates[-1]
    for row in candidates:
        if row.version == number:
            return row
    raise VersionNotFound(subject, number)


def _refuse_if_referenced(connection: Connection, row: VersionRow) -> None:
    referencing = rows.referrers(connection, row.subject, row.version)
    if referencing:
        raise ReferenceExists(row.subject, row.version, referencing)


def _scope(subject: str | None) -> str:
    if subject == GLOBAL_SCOPE:
        raise SubjectNotFound(subject)  # "" is the global scope's key, never a subject
    return GLOBAL_SCOPE if subject is None else subject


def _level(level: str) -> CompatibilityLevel:
    try:
        return CompatibilityLevel(level)
    except ValueError as exc:
        raise InvalidCompatibilityLevel(level) from exc


def _mode(mode: str) -> RegistryMode:
    try:
        return RegistryMode(mode)
    except ValueError as exc:
        raise InvalidMode(mode) from exc
