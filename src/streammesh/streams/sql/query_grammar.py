"""ksqlDB's ``query`` rule: ``SELECT items FROM relation [joins] [WINDOW ...] [WHERE ...]
[GROUP BY ...] [PARTITION BY ...] [HAVING ...] [EMIT CHANGES|FINAL] [LIMIT n]``, clauses in
that order, as in ksqlDB's grammar."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, is_dataclass

from sqlglot.tokenizer_core import TokenType

from streammesh.streams import expressions as ex
from streammesh.streams.sql import statements as st
from streammesh.streams.sql.expression_grammar import ExpressionGrammar

_CLAUSES = ("WINDOW", "WHERE", "GROUP BY", "PARTITION BY", "HAVING", "EMIT", "LIMIT")
_WINDOW_BOUNDS = frozenset({"WINDOWSTART", "WINDOWEND"})


def _columns(node: object) -> Iterator[ex.Column]:
    """Every column an expression mentions."""
    if isinstance(node, ex.Column):
        yield node
    elif isinstance(node, tuple):
        for item in node:
            yield from _columns(item)
    elif is_dataclass(node):
        for item in fields(node):
            if item.name != "position":
                yield from _columns(getattr(node, item.name))


class QueryGrammar(ExpressionGrammar):
    """Parses a ``SELECT`` into a :class:`~streammesh.streams.sql.statements.Query`."""

    def _ksql_query(self, *, top_level: bool) -> st.Query:
        start = self._ksql_expect("SELECT")
        select = [self._ksql_select_item()]
        while self._match(TokenType.COMMA):
            select.append(self._ksql_select_item())
        if not self._ksql_is("FROM"):
            self._ksql_fail("'FROM'" if self._curr else "',' or 'FROM'")
        self._advance()
        source = self._ksql_aliased_source()
        joins: list[st.Join] = []
        while self._ksql_join_ahead():
            joins.append(self._ksql_join())
        window = self._ksql_window() if self._ksql_accept("WINDOW") else None
        where_token = self._curr
        where = self._ksql_expression() if self._ksql_accept("WHERE") else None
        group_by = self._ksql_list() if self._ksql_accept("GROUP", "BY") else ()
        partition_by = self._ksql_list() if self._ksql_accept("PARTITION", "BY") else ()
        having = self._ksql_expression() if self._ksql_accept("HAVING") else None
        emit = self._ksql_emit() if self._ksql_accept("EMIT") else None
        limit_token = self._curr
        limit = self._ksql_integer() if self._ksql_accept("LIMIT") else None
        if limit is not None and not top_level:
            raise self._ksql_source.unsupported(
                limit_token.start, "LIMIT in a persistent query (CREATE ... AS SELECT, INSERT INTO)"
            )
        if self._curr:
            present = (window, where, group_by, partition_by, having, emit, limit)
            self._ksql_fail_after_query(present)
        if top_level and emit is None and where is not None:
            bound = next((c for c in _columns(where) if c.name in _WINDOW_BOUNDS), None)
            if bound is not None:
                raise self._ksql_source.unsupported(
                    where_token.start,
                    f"a pull query's WHERE on the window bounds ({bound.name})",
                )
        text, position = self._ksql_text(start)
        return st.Query(
            tuple(select),
            source,
            tuple(joins),
            window,
            where,
            group_by,
            partition_by,
            having,
            emit,
            limit,
            text=text,
            position=position,
        )

    def _ksql_fail_after_query(self, present: tuple[object, ...]) -> None:
        # Name what may still come, as ksqlDB's parser lists its expectations.
        last = max((index for index, item in enumerate(present) if item), default=-1)
        options = [f"'{clause}'" for clause in _CLAUSES[last + 1 :]] + ["';'"]
        self._ksql_fail(
            ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else options[0]
        )

    def _ksql_select_item(self) -> st.SelectItem:
        start = self._curr
        if self._match(TokenType.STAR):
            return st.SelectAll(position=self._ksql_source.position(start.start))
        if (
            self._ksql_is_name()
            and self._next.token_type == TokenType.DOT
            and (after := self._ksql_peek(2)) is not None
            and after.token_type == TokenType.STAR
        ):
            source = self._ksql_name()
            self._advance(2)
            return st.SelectAll(source, position=self._ksql_source.position(start.start))
        tree = self._ksql_expression_tree()
        expression = self._ksql_lowering.expression(tree)
        if self._match_pair(TokenType.ARROW, TokenType.STAR):
            return st.SelectStructAll(expression)
        if self._ksql_accept("AS"):
            return st.SelectExpression(expression, self._ksql_name("an alias"))
        if self._ksql_alias_ahead():
            return st.SelectExpression(expression, self._ksql_name())
        return st.SelectExpression(expression)

    def _ksql_alias_ahead(self) -> bool:
        # EMIT and PARTITION are not reserved in ksqlDB: `FROM t EMIT CHANGES` has no alias.
        if not self._ksql_is_name():
            return False
        return not (
            self._ksql_is("EMIT", "CHANGES")
            or self._ksql_is("EMIT", "FINAL")
            or self._ksql_is("PARTITION", "BY")
        )

    def _ksql_aliased_source(self) -> st.AliasedSource:
        start = self._curr
        name = self._ksql_name("a stream, table or data product name")
        parts = [self._prev.text]
        while self._curr.token_type == TokenType.DOT and self._ksql_is_name(self._next):
            self._advance()
            parts.append(self._curr.text)
            self._advance()
        is_product = len(parts) > 1
        alias: str | None = None
        if self._ksql_accept("AS"):
            alias = self._ksql_name("an alias")
        elif self._ksql_alias_ahead():
            alias = self._ksql_name()
        return st.AliasedSource(
            ".".join(parts) if is_product else name,
            alias,
            is_product,
            position=self._ksql_source.position(start.start),
        )

    def _ksql_join_ahead(self) -> bool:
        return any(
            self._ksql_is(*words)
            for words in (("JOIN",), ("INNER",), ("LEFT",), ("RIGHT",), ("FULL",))
        )

    def _ksql_join(self) -> st.Join:
        if self._ksql_accept("INNER") or self._ksql_is("JOIN"):
            kind = st.JoinKind.INNER
        else:
            word = self._curr.text.upper()
            self._advance()
            kind = st.JoinKind(word)
            self._ksql_accept("OUTER")
        self._ksql_expect("JOIN")
        source = self._ksql_aliased_source()
        within = self._ksql_within() if self._ksql_accept("WITHIN") else None
        if not self._ksql_is("ON"):
            self._ksql_fail("'ON'" if within else "'WITHIN' or 'ON'")
        self._advance()
        return st.Join(kind, source, self._ksql_expression(), within)

    def _ksql_within(self) -> st.JoinWindow:
        if self._match(TokenType.L_PAREN):
            before = self._ksql_duration()
            self._ksql_expect_token(TokenType.COMMA, ",")
            after = self._ksql_duration()
            self._ksql_expect_token(TokenType.R_PAREN, ")")
        else:
            before = after = self._ksql_duration()
        grace = self._ksql_duration() if self._ksql_accept("GRACE", "PERIOD") else None
        return st.JoinWindow(before, after, grace)

    def _ksql_window(self) -> st.Window:
        if self._ksql_is_name() and not any(
            self._ksql_is(kind) for kind in ("TUMBLING", "HOPPING", "SESSION")
        ):
            self._advance()  # ksqlDB's optional window name, which it ignores too
        if self._ksql_accept("TUMBLING"):
            self._ksql_expect_token(TokenType.L_PAREN, "(")
            self._ksql_expect("SIZE")
            size = self._ksql_duration()
            retention, grace = self._ksql_window_options()
            return st.TumblingWindow(size, retention, grace)
        if self._ksql_accept("HOPPING"):
            self._ksql_expect_token(TokenType.L_PAREN, "(")
            self._ksql_expect("SIZE")
            size = self._ksql_duration()
            self._ksql_expect_token(TokenType.COMMA, ",")
            self._ksql_expect("ADVANCE", "BY")
            advance = self._ksql_duration()
            retention, grace = self._ksql_window_options()
            return st.HoppingWindow(size, advance, retention, grace)
        if self._ksql_accept("SESSION"):
            self._ksql_expect_token(TokenType.L_PAREN, "(")
            gap = self._ksql_duration()
            retention, grace = self._ksql_window_options()
            return st.SessionWindow(gap, retention, grace)
        self._ksql_fail("'TUMBLING', 'HOPPING' or 'SESSION'")

    def _ksql_window_options(self) -> tuple[int | None, int | None]:
        retention: int | None = None
        grace: int | None = None
        if self._match(TokenType.COMMA):
            if self._ksql_accept("RETENTION"):
                retention = self._ksql_duration()
                if self._match(TokenType.COMMA):
                    self._ksql_expect("GRACE", "PERIOD")
                    grace = self._ksql_duration()
            elif self._ksql_accept("GRACE", "PERIOD"):
                grace = self._ksql_duration()
            else:
                self._ksql_fail("'RETENTION' or 'GRACE'")
        self._ksql_expect_token(TokenType.R_PAREN, ")")
        return retention, grace

    def _ksql_list(self) -> tuple[ex.Expression, ...]:
        """``e, e, ...`` or ``(e, e, ...)`` (GROUP BY and PARTITION BY)."""
        if self._curr.token_type == TokenType.L_PAREN and self._ksql_parenthesized_list():
            self._advance()
            items: list[ex.Expression] = []
            if not self._match(TokenType.R_PAREN):
                items.append(self._ksql_expression())
                while self._match(TokenType.COMMA):
                    items.append(self._ksql_expression())
                self._ksql_expect_token(TokenType.R_PAREN, ")")
            return tuple(items)
        items = [self._ksql_expression()]
        while self._match(TokenType.COMMA):
            items.append(self._ksql_expression())
        return tuple(items)

    def _ksql_parenthesized_list(self) -> bool:
        """Whether the ``(`` here opens a list (``()`` or a comma at its own level)."""
        depth = 0
        offset = 0
        while (token := self._ksql_peek(offset)) is not None:
            if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
                depth += 1
            elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
                depth -= 1
                if depth == 0:
                    return offset == 1
            elif token.token_type == TokenType.COMMA and depth == 1:
                return True
            offset += 1
        return False

    def _ksql_emit(self) -> st.EmitMode:
        if self._ksql_accept("CHANGES"):
            return st.EmitMode.CHANGES
        if self._ksql_accept("FINAL"):
            return st.EmitMode.FINAL
        self._ksql_fail("'CHANGES' or 'FINAL'")
