"""Turning schema text plus references into parsed schemas: a submission's references are
resolved through the subjects and versions they name, recursively, and a schema's identity
(what gives it its global id) is computed from its fingerprint and its references."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping

from sqlalchemy.engine import Connection

from streammesh.registry import rows
from streammesh.registry.base import SchemaReference, SchemaSubmission
from streammesh.registry.errors import (
    InvalidSchemaSubmission,
    SchemaNotFound,
    SubjectNotFound,
    VersionNotFound,
)
from streammesh.schemas import (
    InvalidSchema,
    ParsedSchema,
    SchemaType,
    UnresolvedReference,
    format_for,
)


def identity(schema: ParsedSchema, references: tuple[SchemaReference, ...]) -> str:
    """What makes two registrations the same schema id: type, fingerprint (canonical form
    with the referenced schemas') and the subject versions the references name."""
    named = json.dumps([[ref.name, ref.subject, ref.version] for ref in references])
    material = f"{schema.schema_type.value}\n{schema.fingerprint}\n{named}"
    return hashlib.sha256(material.encode()).hexdigest()


class SchemaResolution:
    """Parses submissions and stored schemas; parsed stored schemas are cached by id, which
    is safe because a schema id's text and references never change."""

    def __init__(self) -> None:
        self._by_id: dict[int, ParsedSchema] = {}
        self._lock = threading.Lock()

    def parse_submission(
        self, connection: Connection, submission: SchemaSubmission
    ) -> ParsedSchema:
        """Parse ``submission`` with its references resolved to live subject versions.

        Raises:
            InvalidSchemaSubmission: the text does not parse, or its references are malformed.
            SubjectNotFound, VersionNotFound: a reference names a version that does not exist.
        """
        names = [ref.name for ref in submission.references]
        if len(set(names)) != len(names):
            raise InvalidSchemaSubmission("two references have the same name; names must differ")
        for ref in submission.references:
            if ref.version < 1:
                raise InvalidSchemaSubmission(
                    f"reference '{ref.name}' names version {ref.version} of subject "
                    f"'{ref.subject}'; references need a concrete version (1 or more)"
                )
        resolved = {
            ref.name: self._referenced(connection, ref, live_only=True)
            for ref in submission.references
        }
        return self._parse(submission.schema_type, submission.schema, resolved)

    def parse_stored(self, connection: Connection, schema_id: int) -> ParsedSchema:
        """The stored schema ``schema_id``, parsed (``SchemaNotFound`` if there is none)."""
        with self._lock:
            cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        row = rows.schema_row(connection, schema_id)
        if row is None:
            raise SchemaNotFound(f"no schema with id {schema_id}")
        resolved = {
            ref.name: self._referenced(connection, ref, live_only=False) for ref in row.references
        }
        parsed = self._parse(row.schema_type, row.text, resolved)
        with self._lock:
            self._by_id[schema_id] = parsed
        return parsed

    def remember(self, schema_id: int, parsed: ParsedSchema) -> None:
        """Keep ``parsed`` as the parsed form of the committed schema ``schema_id`` (what
        :meth:`parse_stored` would return for it)."""
        with self._lock:
            self._by_id[schema_id] = parsed

    def _referenced(
        self, connection: Connection, ref: SchemaReference, *, live_only: bool
    ) -> ParsedSchema:
        versions = [
            row
            for row in rows.subject_versions(connection, ref.subject)
            if not (live_only and row.deleted)
        ]
        if not versions:
            raise SubjectNotFound(ref.subject)
        for row in versions:
            if row.version == ref.version:
                return self.parse_stored(connection, row.schema_id)
        raise VersionNotFound(ref.subject, ref.version)

    @staticmethod
    def _parse(
        schema_type: SchemaType, text: str, references: Mapping[str, ParsedSchema]
    ) -> ParsedSchema:
        try:
            return format_for(schema_type).parse(text, references)
        except (InvalidSchema, UnresolvedReference) as exc:
            raise InvalidSchemaSubmission(str(exc)) from exc
