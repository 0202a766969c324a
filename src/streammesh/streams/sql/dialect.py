"""ksqlDB's SQL as a sqlglot dialect: :class:`KsqlDialect`, whose parser reads ksqlDB's
statements straight into :mod:`.statements` objects.

The tokenizer and the expression grammar are in :mod:`.expression_grammar`, the query grammar
(``SELECT ... FROM ... WINDOW ... EMIT CHANGES``) in :mod:`.query_grammar`.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokenizer_core import Token, TokenType

from streammesh.streams import expressions as ex
from streammesh.streams.sql import statements as st
from streammesh.streams.sql import syntax
from streammesh.streams.sql.expression_grammar import WORD_TOKENS, KsqlTokenizer, ParseFailure
from streammesh.streams.sql.lowering import Lowering
from streammesh.streams.sql.properties import PropertyValue, source_properties
from streammesh.streams.sql.query_grammar import QueryGrammar
from streammesh.streams.sql.source import SourceText

_OTHER_WORDS = "SHOW LIST DESCRIBE PRINT TERMINATE SET UNSET DEFINE UNDEFINE EXPLAIN ALTER ASSERT"
_OTHER_STATEMENTS = frozenset(f"{_OTHER_WORDS} RUN PAUSE RESUME".split())
"""ksqlDB statements that streammesh does not run: refused by name."""


class KsqlParser(QueryGrammar):
    """ksqlDB's statements; :meth:`parse_ksql` is the entry point."""

    # -- entry point ----------------------------------------------------------------------

    def parse_ksql(self, text: str, tokens: list[Token]) -> list[st.Statement]:
        """The statements of ``text`` (tokenized by :class:`KsqlTokenizer` into ``tokens``).

        Raises:
            SqlError: the first problem in the text; nothing after it is returned.
        """
        self._ksql_source = SourceText(text)
        self._ksql_lowering = Lowering(self._ksql_source)
        self._ksql_raw = tokens
        try:
            trees = self.parse(tokens, text)
        except ParseFailure as failure:
            raise failure.error from None
        result: list[st.Statement] = []
        for tree in trees:
            if tree is not None:
                result.append(tree.args["statement"])
        return result

    # -- statements -----------------------------------------------------------------------

    def _parse_statement(self) -> exp.Expr | None:
        if self._curr.token_type == TokenType.SEMICOLON:
            # sqlglot keeps a commented `;` as a chunk of its own: nothing to run there.
            self._advance()
            return None
        if not self._curr:
            return None
        start = self._curr
        word = start.text.upper() if start.token_type in WORD_TOKENS else ""
        statement: st.Statement
        if word == "SELECT":
            statement = self._ksql_query(top_level=True)
        elif word == "CREATE":
            statement = self._ksql_create()
        elif word == "INSERT":
            statement = self._ksql_insert()
        elif word == "DROP":
            statement = self._ksql_drop()
        elif word in _OTHER_STATEMENTS:
            self._ksql_unsupported(f"the {word} statement", start)
        else:
            self._ksql_fail("one of 'CREATE', 'INSERT', 'DROP', 'SELECT'")
        if self._curr:
            self._ksql_fail("';'")
        return syntax.KsqlStatement(statement=statement)

    def _ksql_kind(self) -> st.SourceKind:
        if self._ksql_accept("STREAM"):
            return st.SourceKind.STREAM
        if self._ksql_accept("TABLE"):
            return st.SourceKind.TABLE
        self._ksql_fail("'STREAM' or 'TABLE'")

    def _ksql_create(self) -> st.CreateSource | st.CreateAsSelect:
        start = self._curr
        self._advance()
        or_replace = self._ksql_accept("OR", "REPLACE")
        source = self._ksql_accept("SOURCE")
        if self._ksql_is("TYPE") or self._ksql_is("CONNECTOR") or self._ksql_is("SINK"):
            self._ksql_unsupported(f"CREATE {self._curr.text.upper()}", self._curr)
        kind = self._ksql_kind()
        if_not_exists = self._ksql_accept("IF", "NOT", "EXISTS")
        name = self._ksql_name("a stream or table name")
        columns = self._ksql_columns(kind) if self._curr.token_type == TokenType.L_PAREN else ()
        properties = self._ksql_properties()
        if not columns and not source and self._ksql_accept("AS"):
            query = self._ksql_query(top_level=False)
            text, position = self._ksql_text(start)
            return st.CreateAsSelect(
                kind,
                name,
                query,
                properties,
                or_replace=or_replace,
                if_not_exists=if_not_exists,
                text=text,
                position=position,
            )
        text, position = self._ksql_text(start)
        return st.CreateSource(
            kind,
            name,
            columns,
            properties,
            or_replace=or_replace,
            if_not_exists=if_not_exists,
            source=source,
            text=text,
            position=position,
        )

    def _ksql_columns(self, kind: st.SourceKind) -> tuple[st.ColumnDefinition, ...]:
        self._advance()
        columns = [self._ksql_column(kind)]
        while self._match(TokenType.COMMA):
            columns.append(self._ksql_column(kind))
        self._ksql_expect_token(TokenType.R_PAREN, ")")
        return tuple(columns)

    def _ksql_column(self, kind: st.SourceKind) -> st.ColumnDefinition:
        start = self._curr
        name = self._ksql_name("a column name")
        column_type = self._ksql_type()
        role = st.ColumnRole.VALUE
        header: str | None = None
        constraint = self._curr
        if self._ksql_accept("PRIMARY", "KEY"):
            role = st.ColumnRole.PRIMARY_KEY
        elif self._ksql_accept("KEY"):
            role = st.ColumnRole.KEY
        elif self._ksql_accept("HEADERS"):
            role = st.ColumnRole.HEADERS
        elif self._ksql_accept("HEADER"):
            self._ksql_expect_token(TokenType.L_PAREN, "(")
            header = self._ksql_string("the header's name")
            self._ksql_expect_token(TokenType.R_PAREN, ")")
            role = st.ColumnRole.HEADER
        if role is st.ColumnRole.KEY and kind is st.SourceKind.TABLE:
            self._ksql_fail(
                None,
                constraint,
                detail=f"column '{name}' is a KEY column: a table's key is declared PRIMARY KEY",
            )
        if role is st.ColumnRole.PRIMARY_KEY and kind is st.SourceKind.STREAM:
            self._ksql_fail(
                None,
                constraint,
                detail=f"column '{name}' is a PRIMARY KEY column: a stream's key is declared KEY",
            )
        return st.ColumnDefinition(
            name,
            column_type,
            role,
            header,
            position=self._ksql_source.position(start.start),
        )

    def _ksql_string(self, what: str) -> str:
        if self._curr.token_type != TokenType.STRING:
            self._ksql_fail(what)
        self._advance()
        return self._prev.text

    def _ksql_properties(self) -> st.SourceProperties:
        if not self._ksql_accept("WITH"):
            return st.SourceProperties()
        self._ksql_expect_token(TokenType.L_PAREN, "(")
        values: list[PropertyValue] = []
        while True:
            token = self._curr
            if token.token_type == TokenType.STRING:
                self._advance()
                name = token.text.upper()
            else:
                name = self._ksql_name("a property name").upper()
            self._ksql_expect_token(TokenType.EQ, "=")
            values.append(PropertyValue(name, self._ksql_literal(), token.start))
            if not self._match(TokenType.COMMA):
                break
        self._ksql_expect_token(TokenType.R_PAREN, ")")
        return source_properties(values, self._ksql_source)

    def _ksql_literal(self) -> ex.Literal:
        token = self._curr
        node: exp.Expr
        if self._match(TokenType.DASH) and self._curr.token_type == TokenType.NUMBER:
            self._advance()
            node = exp.Literal(this=f"-{self._prev.text}", is_string=False)
        elif token and token.token_type in (
            TokenType.STRING,
            TokenType.NUMBER,
            TokenType.NULL,
            TokenType.TRUE,
            TokenType.FALSE,
        ):
            literal = self._ksql_primary()
            assert literal is not None  # the token types above always give one
            node = literal
        else:
            self._ksql_fail("a literal", token)
        lowered = self._ksql_lowering.expression(self._ksql_mark(node, token))
        assert isinstance(lowered, ex.Literal)  # a literal node lowers to a Literal
        return lowered

    def _ksql_insert(self) -> st.InsertInto | st.InsertValues:
        start = self._curr
        self._advance()
        self._ksql_expect("INTO")
        target = self._ksql_name("a stream or table name")
        if self._curr.token_type == TokenType.L_PAREN or self._ksql_is("VALUES"):
            return self._ksql_insert_values(start, target)
        properties = self._ksql_properties()
        if not self._ksql_is("SELECT"):
            self._ksql_fail("'SELECT', 'VALUES' or '('")
        query = self._ksql_query(top_level=False)
        text, position = self._ksql_text(start)
        return st.InsertInto(target, query, properties, text=text, position=position)

    def _ksql_insert_values(self, start: Token, target: str) -> st.InsertValues:
        columns: list[str] = []
        if self._match(TokenType.L_PAREN):
            columns.append(self._ksql_name("a column name"))
            while self._match(TokenType.COMMA):
                columns.append(self._ksql_name("a column name"))
            self._ksql_expect_token(TokenType.R_PAREN, ")")
        self._ksql_expect("VALUES")
        self._ksql_expect_token(TokenType.L_PAREN, "(")
        values: list[ex.Expression] = []
        if not self._match(TokenType.R_PAREN):
            values.append(self._ksql_expression())
            while self._match(TokenType.COMMA):
                values.append(self._ksql_expression())
            self._ksql_expect_token(TokenType.R_PAREN, ")")
        text, position = self._ksql_text(start)
        return st.InsertValues(target, tuple(columns), tuple(values), text=text, position=position)

    def _ksql_drop(self) -> st.Drop:
        start = self._curr
        self._advance()
        if self._ksql_is("TYPE") or self._ksql_is("CONNECTOR"):
            self._ksql_unsupported(f"DROP {self._curr.text.upper()}", self._curr)
        kind = self._ksql_kind()
        if_exists = self._ksql_accept("IF", "EXISTS")
        name = self._ksql_name("a stream or table name")
        delete_topic = self._ksql_accept("DELETE", "TOPIC")
        text, position = self._ksql_text(start)
        return st.Drop(
            kind,
            name,
            if_exists=if_exists,
            delete_topic=delete_topic,
            text=text,
            position=position,
        )


class KsqlDialect(Dialect):
    """ksqlDB's SQL for sqlglot."""

    Tokenizer = KsqlTokenizer
    Parser = KsqlParser
