"""ksqlDB's expressions as a sqlglot tokenizer and parser (the base of :mod:`.dialect`).

sqlglot does the lexing (quotes, back-quoted identifiers, comments, splitting at ``;``) and the
operator-precedence part of expressions (``OR`` < ``AND`` < ``NOT`` < comparisons and the
``IN``/``BETWEEN``/``LIKE``/``IS NULL`` predicates < ``||`` < ``+ -`` < ``* / %`` < unary);
this module overrides what ksqlDB does its own way: primaries (``CAST``, ``CASE``,
``ARRAY[...]``, ``MAP(k := v)``, ``STRUCT(n := v)``, lambdas, ``->`` and ``[]``), identifier
case, literal types and types, following ksqlDB's grammar (``SqlBase.g4``).
"""

from __future__ import annotations

import re
import typing as t

from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.parser import Parser, binary_range_parser
from sqlglot.tokenizer_core import Token, TokenType
from sqlglot.tokens import Tokenizer

from streammesh.streams import expressions as ex
from streammesh.streams import types
from streammesh.streams.functions.temporal import TIME_UNIT_FUNCTIONS
from streammesh.streams.sql import syntax
from streammesh.streams.sql.errors import SqlError
from streammesh.streams.sql.lowering import Lowering
from streammesh.streams.sql.source import SourceText

# ksqlDB's keywords that cannot be identifiers unless quoted (SqlBase.g4's keywords minus its
# `nonReserved` rule).
_RESERVED = """
    SELECT FROM AS ALL DISTINCT WHERE WITHIN WINDOW GROUP BY HAVING LIMIT AT OR AND IN NOT
    EXISTS BETWEEN LIKE IS NULL TRUE FALSE MILLISECOND YEARS MONTHS DAYS HOURS MINUTES SECONDS
    MILLISECONDS TUMBLING HOPPING SIZE ADVANCE RETENTION CASE WHEN THEN ELSE END JOIN FULL
    OUTER INNER LEFT RIGHT ON WITH VALUES CREATE TABLE TOPIC STREAM STREAMS INSERT DELETE INTO
    DESCRIBE EXTENDED PRINT CAST LIST TOPICS QUERY QUERIES TERMINATE LOAD DROP TO RENAME SAMPLE
    EXPORT CATALOG PROPERTIES BEGINNING UNSET RUN SCRIPT DECIMAL CONNECTOR CONNECTORS NAMESPACE
    MATERIALIZED VIEW
"""
RESERVED_WORDS = frozenset(_RESERVED.split())
"""ksqlDB's keywords that are names only when quoted."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_@]*")
"""ksqlDB's unquoted identifier (its IDENTIFIER token)."""

_BIGINT_MAX = 2**63 - 1

_UNIT_MS = {
    "MILLISECOND": 1,
    "SECOND": 1_000,
    "MINUTE": 60_000,
    "HOUR": 3_600_000,
    "DAY": 86_400_000,
}
UNITS = frozenset({*_UNIT_MS, *(f"{unit}S" for unit in _UNIT_MS)})
"""The duration units of ``SIZE 15 MINUTES`` and friends, singular and plural."""

_PRIMITIVE_TYPES = {
    "BOOLEAN": types.BOOLEAN,
    "INT": types.INTEGER,
    "INTEGER": types.INTEGER,
    "BIGINT": types.BIGINT,
    "DOUBLE": types.DOUBLE,
    "STRING": types.STRING,
    "VARCHAR": types.STRING,
    "BYTES": types.BYTES,
    "DATE": types.DATE,
    "TIME": types.TIME,
    "TIMESTAMP": types.TIMESTAMP,
}

WORD_TOKENS = frozenset({TokenType.VAR})


def unit_milliseconds(unit: str) -> int:
    """Milliseconds in one ``unit`` (``MINUTES``, ``SECOND``...; upper case)."""
    return _UNIT_MS[unit.removesuffix("S") if unit != "MILLISECONDS" else "MILLISECOND"]


class KsqlTokenizer(Tokenizer):
    """ksqlDB's lexical rules: ``'...'`` strings with ``''`` escaping, back-quoted (and
    double-quoted) identifiers kept as written, ``--`` and ``/* */`` comments, and only the
    keywords that sqlglot's expression machinery matches by token type; every other word is a
    plain word the parser matches by its text, so that non-reserved keywords stay usable as
    names."""

    IDENTIFIERS: t.ClassVar[list[str | tuple[str, str]]] = ["`", '"']
    QUOTES: t.ClassVar[list[tuple[str, str] | str]] = ["'"]
    STRING_ESCAPES: t.ClassVar[list[str]] = ["'"]
    COMMENTS: t.ClassVar[list[str | tuple[str, str]]] = ["--", ("/*", "*/")]
    NESTED_COMMENTS = False
    COMMANDS: t.ClassVar[set[TokenType]] = set()
    KEYWORDS: t.ClassVar[dict[str, TokenType]] = {
        "||": TokenType.DPIPE,
        ">=": TokenType.GTE,
        "<=": TokenType.LTE,
        "<>": TokenType.NEQ,
        "!=": TokenType.NEQ,
        ":=": TokenType.COLON_EQ,
        "->": TokenType.ARROW,
        "=>": TokenType.FARROW,
        "AND": TokenType.AND,
        "OR": TokenType.OR,
        "NOT": TokenType.NOT,
        "IN": TokenType.IN,
        "BETWEEN": TokenType.BETWEEN,
        "LIKE": TokenType.LIKE,
        "ESCAPE": TokenType.ESCAPE,
        "IS": TokenType.IS,
        "NULL": TokenType.NULL,
        "TRUE": TokenType.TRUE,
        "FALSE": TokenType.FALSE,
    }


class ParseFailure(ParseError):
    """A syntax error on its way out of sqlglot's machinery (a ``ParseError``, so that
    sqlglot's own backtracking still works); :func:`KsqlParser.parse_ksql` unwraps it."""

    def __init__(self, error: SqlError) -> None:
        super().__init__(str(error))
        self.error = error


class ExpressionGrammar(Parser):
    """Token helpers, ksqlDB's expressions and types; :class:`.dialect.KsqlParser` adds the
    statements."""

    FUNCTIONS: t.ClassVar[dict[str, t.Callable[..., t.Any]]] = {}
    FUNCTION_PARSERS: t.ClassVar[dict[str, t.Callable[..., t.Any]]] = {}
    NO_PAREN_FUNCTIONS: t.ClassVar = {}
    NO_PAREN_FUNCTION_PARSERS: t.ClassVar = {}
    ASSIGNMENT: t.ClassVar[dict[TokenType, type[exp.Expr]]] = {}
    EQUALITY: t.ClassVar = {TokenType.EQ: exp.EQ, TokenType.NEQ: exp.NEQ}
    BITWISE: t.ClassVar = {}
    TERM: t.ClassVar = {TokenType.DASH: exp.Sub, TokenType.PLUS: exp.Add}
    FACTOR: t.ClassVar = {
        TokenType.STAR: exp.Mul,
        TokenType.SLASH: exp.Div,
        TokenType.MOD: exp.Mod,
    }
    COLUMN_OPERATORS: t.ClassVar = {}
    UNARY_PARSERS: t.ClassVar = {
        TokenType.PLUS: lambda self: self._ksql_unary(syntax.KsqlPlus),
        TokenType.DASH: lambda self: self._ksql_unary(exp.Neg),
        TokenType.NOT: lambda self: self._ksql_not(),
    }
    RANGE_PARSERS: t.ClassVar = {
        TokenType.BETWEEN: lambda self, this: self._ksql_between(this),
        TokenType.IN: lambda self, this: self._ksql_in(this),
        TokenType.IS: lambda self, this: self._parse_is(this),
        TokenType.LIKE: binary_range_parser(exp.Like),
    }

    _ksql_source: SourceText
    _ksql_lowering: Lowering
    _ksql_raw: list[Token]

    def raise_error(self, message: str, token: Token | None = None) -> None:
        """sqlglot's own complaints, said the way ksqlDB says them."""
        if message.startswith("Expecting "):
            self._ksql_fail(f"'{message.removeprefix('Expecting ')}'", token)
        if message.startswith("Required keyword"):
            self._ksql_fail("an expression", token)
        self._ksql_fail(None, token, detail=message)

    # -- token helpers --------------------------------------------------------------------

    def _ksql_found(self, token: Token | None) -> tuple[int, str]:
        """Where ``token`` (or the end of the statement) is, and how to quote it."""
        if token:
            return token.start, f"'{self.sql[token.start : token.end + 1]}'"
        after = self._prev.end + 1 if self._prev else 0
        following = next((raw for raw in self._ksql_raw if raw.start >= after), None)
        if following is not None:
            return following.start, f"'{following.text}'"
        return len(self.sql), "'<EOF>'"

    def _ksql_fail(
        self, expected: str | None, token: Token | None = None, *, detail: str | None = None
    ) -> t.NoReturn:
        offset, found = self._ksql_found(token if token else self._curr)
        if detail is None:
            detail = f"mismatched input {found} expecting {expected}"
        raise ParseFailure(
            self._ksql_source.syntax_error(
                offset,
                detail,
                found=found.strip("'"),
                expected=(expected,) if expected else (),
            )
        )

    def _ksql_unsupported(self, construct: str, token: Token) -> t.NoReturn:
        raise self._ksql_source.unsupported(token.start, construct)

    def _ksql_is(self, *words: str) -> bool:
        """Whether the next tokens are the plain words ``words`` (not quoted identifiers)."""
        for offset, word in enumerate(words):
            index = self._index + offset
            if index >= len(self._tokens):
                return False
            token = self._tokens[index]
            if token.token_type in (TokenType.IDENTIFIER, TokenType.STRING):
                return False
            if token.text.upper() != word:
                return False
        return True

    def _ksql_accept(self, *words: str) -> bool:
        if self._ksql_is(*words):
            self._advance(len(words))
            return True
        return False

    def _ksql_expect(self, *words: str) -> Token:
        for word in words:
            if not self._ksql_accept(word):
                self._ksql_fail(f"'{word}'")
        return self._prev

    def _ksql_expect_token(self, token_type: TokenType, text: str) -> Token:
        if not self._match(token_type):
            self._ksql_fail(f"'{text}'")
        return self._prev

    def _ksql_is_name(self, token: Token | None = None) -> bool:
        token = token if token is not None else self._curr
        if not token:
            return False
        if token.token_type == TokenType.IDENTIFIER:
            return True
        return (
            token.token_type in WORD_TOKENS
            and _IDENTIFIER.fullmatch(token.text) is not None
            and token.text.upper() not in RESERVED_WORDS
        )

    def _ksql_name(self, what: str = "an identifier") -> str:
        """An identifier, resolved the ksqlDB way: unquoted upper-cased, quoted kept."""
        if not self._ksql_is_name():
            self._ksql_fail(what)
        self._advance()
        token = self._prev
        return token.text if token.token_type == TokenType.IDENTIFIER else token.text.upper()

    def _ksql_peek(self, offset: int) -> Token | None:
        index = self._index + offset
        return self._tokens[index] if index < len(self._tokens) else None

    def _ksql_integer(self, what: str = "an integer") -> int:
        token = self._curr
        if not token or token.token_type != TokenType.NUMBER or not token.text.isdigit():
            self._ksql_fail(what)
        self._advance()
        return int(token.text)

    def _ksql_duration(self) -> int:
        """``number unit`` in milliseconds."""
        amount = self._ksql_integer("a number of time units")
        token = self._curr
        unit = token.text.upper() if token and token.token_type in WORD_TOKENS else ""
        if unit not in UNITS:
            self._ksql_fail("a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS)")
        self._advance()
        milliseconds = amount * unit_milliseconds(unit)
        if milliseconds > _BIGINT_MAX:
            self._ksql_fail(
                None,
                token,
                detail=f"duration {amount} {unit} is too long (over BIGINT milliseconds)",
            )
        return milliseconds

    def _ksql_text(self, start: Token) -> tuple[str, ex.Position]:
        """The statement's text from ``start`` to the last token read, and where it starts."""
        return (
            self.sql[start.start : self._prev.end + 1],
            self._ksql_source.position(start.start),
        )

    @staticmethod
    def _ksql_mark(node: exp.Expr, token: Token) -> exp.Expr:
        node.meta.setdefault(syntax.START, token.start)
        return node

    # -- expressions ----------------------------------------------------------------------

    def _ksql_expression_tree(self, what: str = "an expression") -> exp.Expr:
        node = self._parse_disjunction()
        if node is None:
            self._ksql_fail(what)
        return node

    def _ksql_expression(self, what: str = "an expression") -> ex.Expression:
        return self._ksql_lowering.expression(self._ksql_expression_tree(what))

    def _ksql_unary(self, kind: type[exp.Expression]) -> exp.Expr:
        operator = self._prev
        if kind is exp.Neg and self._curr.token_type == TokenType.NUMBER:
            # ksqlDB's grammar reads `-5` as one literal (number: MINUS? INTEGER_VALUE), so
            # -2147483648 is an INTEGER.
            self._advance()
            literal = exp.Literal(this=f"-{self._prev.text}", is_string=False)
            return self._ksql_mark(literal, operator)
        operand = self._parse_unary()
        if operand is None:
            self._ksql_fail("an expression")
        return self._ksql_mark(kind(this=operand), operator)

    def _ksql_not(self) -> exp.Expr:
        operator = self._prev
        if operator.text.upper() != "NOT":
            # sqlglot lexes `!` as NOT; ksqlDB has no such operator.
            self._ksql_fail("an expression", operator)
        operand = self._parse_equality()
        if operand is None:
            self._ksql_fail("an expression")
        return self._ksql_mark(exp.Not(this=operand), operator)

    def _parse_equality(self, parse_is: bool = True) -> exp.Expr | None:
        # ksqlDB's `predicated` rule: one value, then at most one comparison or predicate
        # (`a = b = c` and `a IS NULL IS NULL` are refused where the second one starts).
        this = self._parse_bitwise()
        if this is None:
            return None
        comparisons = {**self.EQUALITY, **self.COMPARISON}
        if self._match_set(comparisons):
            klass = comparisons[self._prev.token_type]
            right = self._parse_bitwise()
            if right is None:
                self._ksql_fail("an expression")
            return klass(this=this, expression=right)
        negated = self._curr.token_type == TokenType.NOT and self._next.token_type in (
            TokenType.BETWEEN,
            TokenType.IN,
            TokenType.LIKE,
        )
        if negated:
            self._advance()
        if not self._match_set(self.RANGE_PARSERS):
            return this
        predicate = self.RANGE_PARSERS[self._prev.token_type](self, this)
        return self._negate_range(predicate) if negated else predicate

    def _ksql_between(self, this: exp.Expr | None) -> exp.Expr:
        low = self._parse_bitwise()
        if low is None:
            self._ksql_fail("an expression")
        self._ksql_expect_token(TokenType.AND, "AND")
        high = self._parse_bitwise()
        if high is None:
            self._ksql_fail("an expression")
        return exp.Between(this=this, low=low, high=high)

    def _ksql_in(self, this: exp.Expr | None) -> exp.Expr:
        self._ksql_expect_token(TokenType.L_PAREN, "(")
        values = [self._ksql_expression_tree()]
        while self._match(TokenType.COMMA):
            values.append(self._ksql_expression_tree())
        self._ksql_expect_token(TokenType.R_PAREN, ")")
        return exp.In(this=this, expressions=values)

    def _parse_type(
        self, parse_interval: bool = True, fallback_to_identifier: bool = False
    ) -> exp.Expr | None:
        # The primary level of sqlglot's precedence chain: ksqlDB's primaryExpression.
        token = self._curr
        node = self._ksql_primary()
        if node is None:
            return None
        self._ksql_mark(node, token)
        return self._ksql_postfix(node)

    def _ksql_primary(self) -> exp.Expr | None:
        token = self._curr
        if not token:
            return None
        kind = token.token_type
        if kind in (TokenType.STRING, TokenType.NUMBER):
            self._advance()
            return exp.Literal(this=token.text, is_string=kind == TokenType.STRING)
        if (
            kind == TokenType.DOT
            and self._next.token_type == TokenType.NUMBER
            and self._next.start == token.end + 1
        ):
            # `.5`: ksqlDB's DECIMAL_VALUE may start with the point.
            self._advance(2)
            return exp.Literal(this=f".{self._prev.text}", is_string=False)
        if kind == TokenType.NULL:
            self._advance()
            return exp.Null()
        if kind in (TokenType.TRUE, TokenType.FALSE):
            self._advance()
            return exp.Boolean(this=kind == TokenType.TRUE)
        if kind == TokenType.L_PAREN:
            return self._ksql_parenthesized()
        if token.text == "$" and self._next.token_type == TokenType.L_BRACE:
            self._ksql_unsupported("variable substitution '${...}'", token)
        word = token.text.upper() if kind in WORD_TOKENS else ""
        following = self._next.token_type if self._next else None
        if word == "CASE":
            self._advance()
            return self._ksql_case()
        if word == "CAST" and following == TokenType.L_PAREN:
            self._advance(2)
            return self._ksql_cast()
        if word == "ARRAY" and following == TokenType.L_BRACKET:
            self._advance(2)
            return self._ksql_array()
        if word in ("MAP", "STRUCT") and following == TokenType.L_PAREN:
            self._advance(2)
            return self._ksql_map() if word == "MAP" else self._ksql_struct()
        if not self._ksql_is_name():
            return None
        if following == TokenType.L_PAREN:
            return self._ksql_call()
        if following == TokenType.STRING:
            self._ksql_unsupported(f"the type constructor {token.text} '...'", token)
        name = self._ksql_name()
        if (
            self._curr.token_type == TokenType.DOT
            and self._next
            and self._next.token_type != TokenType.STAR
        ):
            self._advance()
            return syntax.KsqlColumn(name=self._ksql_name("a column name"), source=name)
        return syntax.KsqlColumn(name=name)

    def _ksql_postfix(self, node: exp.Expr) -> exp.Expr:
        while True:
            if self._match(TokenType.L_BRACKET):
                index = self._ksql_expression_tree()
                self._ksql_expect_token(TokenType.R_BRACKET, "]")
                node = syntax.KsqlSubscript(this=node, index=index)
            elif (
                self._curr.token_type == TokenType.ARROW
                and self._next
                and self._next.token_type != TokenType.STAR
            ):
                self._advance()
                node = syntax.KsqlDereference(this=node, field=self._ksql_name("a field name"))
            else:
                return node

    def _ksql_parenthesized(self) -> exp.Expr:
        self._advance()
        inner = self._ksql_expression_tree()
        if self._curr.token_type == TokenType.COMMA:
            self._ksql_fail("')'")
        self._ksql_expect_token(TokenType.R_PAREN, ")")
        return exp.Paren(this=inner)

    def _ksql_case(self) -> exp.Expr:
        operand = None if self._ksql_is("WHEN") else self._ksql_expression_tree()
        whens: list[exp.Expr] = []
        while self._ksql_accept("WHEN"):
            condition = self._ksql_expression_tree()
            self._ksql_expect("THEN")
            whens.append(exp.If(this=condition, true=self._ksql_expression_tree()))
        if not whens:
            self._ksql_fail("'WHEN'")
        default = self._ksql_expression_tree() if self._ksql_accept("ELSE") else None
        self._ksql_expect("END")
        return syntax.KsqlCase(this=operand, ifs=whens, default=default)

    def _ksql_cast(self) -> exp.Expr:
        operand = self._ksql_expression_tree()
        self._ksql_expect("AS")
        kind = self._ksql_type()
        self._ksql_expect_token(TokenType.R_PAREN, ")")
        return syntax.KsqlCast(this=operand, to=kind)

    def _ksql_array(self) -> exp.Expr:
        elements: list[exp.Expr] = []
        if not self._match(TokenType.R_BRACKET):
            elements.append(self._ksql_expression_tree())
            while self._match(TokenType.COMMA):
                elements.append(self._ksql_expression_tree())
            self._ksql_expect_token(TokenType.R_BRACKET, "]")
        return syntax.KsqlArray(expressions=elements)

    def _ksql_entries(self, named: bool) -> list[exp.Expr]:
        entries: list[exp.Expr] = []
        if self._match(TokenType.R_PAREN):
            return entries
        while True:
            start = self._curr
            if named:
                entry = syntax.KsqlEntry(name=self._ksql_name("a field name"))
            else:
                entry = syntax.KsqlEntry(this=self._ksql_expression_tree())
            self._ksql_expect_token(TokenType.COLON_EQ, ":=")
            entry.set("expression", self._ksql_expression_tree())
            entries.append(self._ksql_mark(entry, start))
            if not self._match(TokenType.COMMA):
                break
        self._ksql_expect_token(TokenType.R_PAREN, ")")
        return entries

    def _ksql_map(self) -> exp.Expr:
        return syntax.KsqlMap(expressions=self._ksql_entries(named=False))

    def _ksql_struct(self) -> exp.Expr:
        return syntax.KsqlStruct(expressions=self._ksql_entries(named=True))

    def _ksql_call(self) -> exp.Expr:
        name_token = self._curr
        self._advance(2)
        name = name_token.text.upper()
        if self._curr.token_type == TokenType.STAR and self._next.token_type == TokenType.R_PAREN:
            self._advance(2)
            return syntax.KsqlCall(this=name, expressions=[], star=True)
        arguments: list[exp.Expr] = []
        if not self._match(TokenType.R_PAREN):
            if self._ksql_is("DISTINCT"):
                self._ksql_unsupported(
                    f"DISTINCT inside {name}(...) (use COUNT_DISTINCT for distinct counts)",
                    self._curr,
                )
            arguments.append(self._ksql_unit_argument(name, 0) or self._ksql_argument())
            while self._match(TokenType.COMMA):
                index = len(arguments)
                arguments.append(self._ksql_unit_argument(name, index) or self._ksql_argument())
            self._ksql_expect_token(TokenType.R_PAREN, ")")
        return syntax.KsqlCall(this=name, expressions=arguments)

    def _ksql_unit_argument(self, function: str, index: int) -> exp.Expr | None:
        """A time unit standing alone as an argument (ksqlDB's ``functionArgument``:
        ``expression | windowUnit``), or ``None``. The plural units and MILLISECOND are
        keywords, units wherever they stand; DAY, HOUR, MINUTE and SECOND are names too, so
        they are units only as the first argument of DATEADD and the other time-unit functions.
        """
        token = self._curr
        if (
            token is None
            or token.token_type not in WORD_TOKENS
            or self._next is None
            or self._next.token_type not in (TokenType.COMMA, TokenType.R_PAREN)
        ):
            return None
        word = token.text.upper()
        unit = ex.TimeUnit.of(word) if word in UNITS else None
        if unit is None:
            return None
        if word not in RESERVED_WORDS and (index != 0 or function not in TIME_UNIT_FUNCTIONS):
            return None
        self._advance()
        return self._ksql_mark(syntax.KsqlTimeUnit(this=unit), token)

    def _ksql_lambda_parameters(self) -> int:
        """How many tokens the parameters of a lambda starting here take, or 0."""
        if self._ksql_is_name() and self._next.token_type == TokenType.FARROW:
            return 1
        if self._curr.token_type != TokenType.L_PAREN:
            return 0
        offset = 1
        while True:
            token = self._ksql_peek(offset)
            if token is None or not self._ksql_is_name(token):
                return 0
            following = self._ksql_peek(offset + 1)
            if following is None:
                return 0
            if following.token_type == TokenType.R_PAREN:
                arrow = self._ksql_peek(offset + 2)
                return offset + 2 if arrow and arrow.token_type == TokenType.FARROW else 0
            if following.token_type != TokenType.COMMA:
                return 0
            offset += 2

    def _ksql_argument(self) -> exp.Expr:
        start = self._curr
        size = self._ksql_lambda_parameters()
        if not size:
            return self._ksql_expression_tree()
        parameters: list[str] = []
        if size == 1:
            parameters.append(self._ksql_name())
        else:
            self._advance()
            parameters.append(self._ksql_name())
            while self._match(TokenType.COMMA):
                parameters.append(self._ksql_name())
            self._advance()
        self._advance()  # =>
        body = self._ksql_expression_tree()
        return self._ksql_mark(syntax.KsqlLambda(parameters=parameters, this=body), start)

    def _ksql_type(self) -> types.SqlType:
        """ksqlDB's ``type`` rule."""
        token = self._curr
        if not token or token.token_type not in (*WORD_TOKENS, TokenType.IDENTIFIER):
            self._ksql_fail("a type")
        self._advance()
        name = token.text.upper()
        if name == "ARRAY":
            self._ksql_expect_token(TokenType.LT, "<")
            element = self._ksql_type()
            self._ksql_expect_token(TokenType.GT, ">")
            return types.array(element)
        if name == "MAP":
            self._ksql_expect_token(TokenType.LT, "<")
            key = self._ksql_type()
            self._ksql_expect_token(TokenType.COMMA, ",")
            value = self._ksql_type()
            self._ksql_expect_token(TokenType.GT, ">")
            return types.map_of(key, value)
        if name == "STRUCT":
            return self._ksql_struct_type()
        if name == "DECIMAL":
            return self._ksql_decimal_type(token)
        primitive = _PRIMITIVE_TYPES.get(name)
        if primitive is None:
            self._ksql_fail("a type", token, detail=f"unknown type '{token.text}'")
        return primitive

    def _ksql_struct_type(self) -> types.SqlType:
        self._ksql_expect_token(TokenType.LT, "<")
        fields: list[tuple[str, types.SqlType]] = []
        if not self._match(TokenType.GT):
            while True:
                name = self._ksql_name("a field name")
                fields.append((name, self._ksql_type()))
                if not self._match(TokenType.COMMA):
                    break
            self._ksql_expect_token(TokenType.GT, ">")
        return types.struct(*fields)

    def _ksql_decimal_type(self, token: Token) -> types.SqlType:
        self._ksql_expect_token(TokenType.L_PAREN, "(")
        precision = self._ksql_integer("the DECIMAL precision")
        self._ksql_expect_token(TokenType.COMMA, ",")
        scale = self._ksql_integer("the DECIMAL scale")
        self._ksql_expect_token(TokenType.R_PAREN, ")")
        if precision < 1 or scale > precision:
            self._ksql_fail(
                None,
                token,
                detail=(
                    f"invalid DECIMAL({precision}, {scale}): the precision must be at least 1 "
                    "and the scale no more than the precision"
                ),
            )
        return types.decimal(precision, scale)
