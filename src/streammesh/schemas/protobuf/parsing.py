"""Reading ``.proto`` text into proto-schema-parser's syntax tree, with located syntax errors.

proto-schema-parser's ANTLR parser recovers from syntax errors and prints them to stderr by
default; a schema registry must refuse such text instead, so a listener turns the first
error into ``InvalidSchema`` with its line and column.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from proto_schema_parser import ast
from proto_schema_parser.antlr.ProtobufLexer import ProtobufLexer
from proto_schema_parser.antlr.ProtobufParser import ProtobufParser
from proto_schema_parser.parser import Parser

from streammesh.schemas.base import SchemaType
from streammesh.schemas.errors import InvalidSchema
from streammesh.schemas.nesting import check_schema_text

_PROTOBUF = SchemaType.PROTOBUF.value


class _RaisingErrorListener:
    """An ANTLR error listener, duck-typed: ANTLR calls these four camelCase methods."""

    def syntaxError(
        self, recognizer: Any, offending: Any, line: int, column: int, msg: str, e: Any
    ) -> NoReturn:
        raise InvalidSchema(
            _PROTOBUF,
            f"line {line}, column {column + 1}",
            f"{_shorten(msg)}; fix the .proto syntax there",
        )

    def reportAmbiguity(self, *args: Any) -> None:
        """Ambiguities are resolved by the grammar; nothing to report."""

    def reportAttemptingFullContext(self, *args: Any) -> None:
        """A parser diagnostic, not an error."""

    def reportContextSensitivity(self, *args: Any) -> None:
        """A parser diagnostic, not an error."""


_LISTENER = _RaisingErrorListener()
_EXPECTED_SET = re.compile(r"expecting \{[^}]*\}")


def _shorten(message: str) -> str:
    """ANTLR lists every token it could accept (dozens of keywords); say it briefly."""
    return _EXPECTED_SET.sub("expecting a declaration, type or name", message)


def _quiet_lexer(lexer: ProtobufLexer) -> None:
    lexer.removeErrorListeners()
    lexer.addErrorListener(_LISTENER)


def _quiet_parser(parser: ProtobufParser) -> None:
    parser.removeErrorListeners()
    parser.addErrorListener(_LISTENER)


_PARSER = Parser(setup_lexer=_quiet_lexer, setup_parser=_quiet_parser)


def parse_proto(text: str) -> ast.File:
    """Parse ``.proto`` text into its syntax tree.

    Raises:
        InvalidSchema: on a syntax error (located by line and column), a missing
            ``syntax`` declaration, an edition/syntax other than proto2 and proto3, or
            text too large or nested too deep (see :mod:`streammesh.schemas.nesting`).
    """
    check_schema_text(text, _PROTOBUF, proto=True)
    try:
        tree = _PARSER.parse(text)
    except InvalidSchema:
        raise
    except Exception as exc:  # the ANTLR visitor fails on trees it could not build
        raise InvalidSchema(_PROTOBUF, "line 1, column 1", f"cannot parse: {exc}") from exc
    if tree.edition is not None:
        raise InvalidSchema(
            _PROTOBUF,
            "edition declaration",
            f'editions ("edition = {tree.edition}") are not supported; '
            'declare syntax = "proto3" instead',
        )
    if tree.syntax is None:
        raise InvalidSchema(
            _PROTOBUF,
            "line 1, column 1",
            'the file has no syntax declaration; start it with syntax = "proto3";',
        )
    if tree.syntax not in ("proto2", "proto3"):
        raise InvalidSchema(
            _PROTOBUF,
            "syntax declaration",
            f'unknown syntax \'{tree.syntax}\'; use "proto3" (or "proto2")',
        )
    return tree
