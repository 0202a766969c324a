"""Lowering: a sqlglot expression tree of the ksqlDB dialect to the engine's expression nodes.

Each node gets the position of its first character (parentheses included: in ``(a + b) * c``
the product starts at the ``(``). A sqlglot node with no counterpart (``a & b``, ``AT TIME
ZONE``, a row value ``(a, b)``...) is refused as unsupported, naming it, never dropped.
"""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal

from sqlglot import exp

from streammesh.streams import expressions as ex
from streammesh.streams import types
from streammesh.streams.sql import syntax
from streammesh.streams.sql.source import SourceText

_INT_MAX = 2**31 - 1
_BIGINT_MAX = 2**63 - 1

_BINARY: dict[type[exp.Expr], ex.BinaryOperator] = {
    exp.Add: ex.BinaryOperator.ADD,
    exp.Sub: ex.BinaryOperator.SUBTRACT,
    exp.Mul: ex.BinaryOperator.MULTIPLY,
    exp.Div: ex.BinaryOperator.DIVIDE,
    exp.Mod: ex.BinaryOperator.MODULO,
    exp.DPipe: ex.BinaryOperator.CONCAT,
    exp.EQ: ex.BinaryOperator.EQUAL,
    exp.NEQ: ex.BinaryOperator.NOT_EQUAL,
    exp.LT: ex.BinaryOperator.LESS,
    exp.LTE: ex.BinaryOperator.LESS_OR_EQUAL,
    exp.GT: ex.BinaryOperator.GREATER,
    exp.GTE: ex.BinaryOperator.GREATER_OR_EQUAL,
    exp.And: ex.BinaryOperator.AND,
    exp.Or: ex.BinaryOperator.OR,
}

# What users wrote, for the sqlglot nodes the dialect can build but ksqlDB has no meaning for.
_UNSUPPORTED_NAMES: dict[type[exp.Expr], str] = {
    exp.BitwiseAnd: "the bitwise operator '&'",
    exp.BitwiseOr: "the bitwise operator '|'",
    exp.BitwiseXor: "the bitwise operator '^'",
    exp.BitwiseLeftShift: "the shift operator '<<'",
    exp.BitwiseRightShift: "the shift operator '>>'",
    exp.AtTimeZone: "AT TIME ZONE",
    exp.Tuple: "a row value '(a, b, ...)'",
    exp.PropertyEQ: "':=' outside MAP(...) and STRUCT(...)",
}


def _known_start(node: exp.Expr) -> int | None:
    recorded = node.meta.get(syntax.START)
    starts = [
        start for child in node.iter_expressions() if (start := _known_start(child)) is not None
    ]
    if isinstance(recorded, int):
        starts.append(recorded)
    return min(starts) if starts else None


def start_offset(node: exp.Expr) -> int:
    """Where ``node`` starts in the text: its own recorded start or its first child's."""
    start = _known_start(node)
    return start if start is not None else 0


def number_literal(text: str) -> tuple[int | float | Decimal, types.SqlType]:
    """The value and ksqlDB type of a number as written (``-`` included): ``12`` INTEGER,
    beyond INTEGER's range BIGINT, ``12.5`` DECIMAL(3, 1), ``1.5E3`` DOUBLE.

    Raises:
        ValueError: an integer beyond BIGINT's range or a number beyond DOUBLE's; the message
            says which.
    """
    if "e" in text.lower():
        double = float(text)
        if math.isinf(double):
            raise ValueError("out of the DOUBLE range")
        return double, types.DOUBLE
    if "." in text:
        value = Decimal(text)
        exponent = value.as_tuple().exponent
        scale = max(-exponent, 0) if isinstance(exponent, int) else 0
        if -1 < value < 1:
            # ksqlDB counts the zero before the point: 0.05 is DECIMAL(3, 2), not (1, 2).
            return value, types.decimal(scale + 1, scale)
        digits = len(value.as_tuple().digits)
        return value, types.decimal(max(digits, scale), scale)
    integer = int(text)
    if -_INT_MAX - 1 <= integer <= _INT_MAX:
        return integer, types.INTEGER
    if -_BIGINT_MAX - 1 <= integer <= _BIGINT_MAX:
        return integer, types.BIGINT
    raise ValueError("out of the BIGINT range")


class Lowering:
    """Turns the dialect's sqlglot expression trees into engine nodes with positions."""

    def __init__(self, source: SourceText) -> None:
        self._source = source

    def expression(self, node: exp.Expr) -> ex.Expression:
        """The engine node for ``node``.

        Raises:
            SqlSyntaxError: a literal that ksqlDB refuses (an integer beyond BIGINT).
            UnsupportedSql: a construct that has no engine node.
        """
        at = self._source.position(start_offset(node))
        if isinstance(node, exp.Paren):
            return self.expression(node.this)
        if isinstance(node, syntax.KsqlColumn):
            return ex.Column(node.args["name"], node.args.get("source"), position=at)
        if isinstance(node, exp.Literal):
            return self._literal(node, at)
        if isinstance(node, syntax.KsqlTimeUnit):
            return ex.Literal(node.this, types.STRING, position=at)
        if isinstance(node, exp.Boolean):
            return ex.Literal(bool(node.this), types.BOOLEAN, position=at)
        if isinstance(node, exp.Null):
            return ex.Literal(None, None, position=at)
        if isinstance(node, (exp.NullSafeNEQ, exp.NullSafeEQ)):
            # ksqlDB's AST: IS NOT DISTINCT FROM is NOT around IS DISTINCT FROM.
            distinct = ex.Binary(
                ex.BinaryOperator.IS_DISTINCT_FROM,
                self.expression(node.this),
                self.expression(node.expression),
                position=at,
            )
            if isinstance(node, exp.NullSafeNEQ):
                return distinct
            return ex.Unary(ex.UnaryOperator.NOT, distinct, position=at)
        binary = _BINARY.get(type(node))
        if binary is not None:
            return ex.Binary(
                binary,
                self.expression(node.this),
                self.expression(node.expression),
                position=at,
            )
        if isinstance(node, exp.Neg):
            return ex.Unary(ex.UnaryOperator.NEGATE, self.expression(node.this), position=at)
        if isinstance(node, syntax.KsqlPlus):
            return ex.Unary(ex.UnaryOperator.PLUS, self.expression(node.this), position=at)
        if isinstance(node, exp.Not):
            return self._not(node, at)
        return self._predicate_or_primary(node, at)

    def _literal(self, node: exp.Literal, at: ex.Position) -> ex.Literal:
        if node.is_string:
            return ex.Literal(node.this, types.STRING, position=at)
        try:
            value, kind = number_literal(node.this)
        except ValueError as problem:
            raise self._source.syntax_error(
                start_offset(node),
                f"invalid numeric literal '{node.this}': {problem}",
                found=node.this,
            ) from None
        return ex.Literal(value, kind, position=at)

    def _not(self, node: exp.Not, at: ex.Position) -> ex.Expression:
        # `a NOT IN (...)`, `a NOT BETWEEN ...` and `x IS NOT NULL` arrive as NOT around the
        # positive predicate; NOT (a IN ...) in parentheses stays a NOT (a Paren in between).
        inner = node.this
        if isinstance(inner, (exp.In, exp.Between, exp.Is)):
            lowered = self._predicate_or_primary(inner, at)
            if isinstance(lowered, (ex.InList, ex.Between, ex.IsNull)):
                return replace(lowered, negated=not lowered.negated, position=at)
        return ex.Unary(ex.UnaryOperator.NOT, self.expression(inner), position=at)

    def _predicate_or_primary(self, node: exp.Expr, at: ex.Position) -> ex.Expression:
        if isinstance(node, (exp.Like, exp.Escape)):
            return self._like(node, at)
        if isinstance(node, exp.In):
            return ex.InList(
                self.expression(node.this),
                tuple(self.expression(value) for value in node.expressions),
                position=at,
            )
        if isinstance(node, exp.Between):
            return ex.Between(
                self.expression(node.this),
                self.expression(node.args["low"]),
                self.expression(node.args["high"]),
                position=at,
            )
        if isinstance(node, exp.Is):
            if not isinstance(node.expression, exp.Null):
                raise self._source.unsupported(
                    start_offset(node.expression), "IS followed by anything but [NOT] NULL"
                )
            return ex.IsNull(
                self.expression(node.this), negated=bool(node.args.get("negate")), position=at
            )
        return self._primary(node, at)

    def _like(self, node: exp.Like | exp.Escape, at: ex.Position) -> ex.Like:
        escape: str | None = None
        like = node
        if isinstance(node, exp.Escape):
            like = node.this
            if not isinstance(node.expression, exp.Literal) or not node.expression.is_string:
                raise self._source.syntax_error(
                    start_offset(node.expression), "ESCAPE needs a one-character string"
                )
            escape = node.expression.this
            if escape is None or len(escape) != 1:
                raise self._source.syntax_error(
                    start_offset(node.expression),
                    f"ESCAPE needs a one-character string, got '{escape}'",
                )
        return ex.Like(
            self.expression(like.this),
            self.expression(like.expression),
            escape=escape,
            negated=bool(like.args.get("negate")),
            position=at,
        )

    def _primary(self, node: exp.Expr, at: ex.Position) -> ex.Expression:
        if isinstance(node, syntax.KsqlCall):
            return ex.Call(
                node.this,
                tuple(self.expression(argument) for argument in node.expressions),
                star=bool(node.args.get("star")),
                position=at,
            )
        if isinstance(node, syntax.KsqlCast):
            return ex.Cast(self.expression(node.this), node.args["to"], position=at)
        if isinstance(node, syntax.KsqlCase):
            operand = node.this
            default = node.args.get("default")
            return ex.Case(
                tuple(
                    ex.WhenClause(self.expression(when.this), self.expression(when.args["true"]))
                    for when in node.args["ifs"]
                ),
                default=self.expression(default) if default is not None else None,
                operand=self.expression(operand) if operand is not None else None,
                position=at,
            )
        if isinstance(node, syntax.KsqlSubscript):
            return ex.Subscript(
                self.expression(node.this), self.expression(node.args["index"]), position=at
            )
        if isinstance(node, syntax.KsqlDereference):
            return ex.Dereference(self.expression(node.this), node.args["field"], position=at)
        if isinstance(node, syntax.KsqlArray):
            return ex.ArrayConstructor(
                tuple(self.expression(element) for element in node.expressions), position=at
            )
        if isinstance(node, syntax.KsqlMap):
            return ex.MapConstructor(
                tuple(
                    (self.expression(entry.this), self.expression(entry.expression))
                    for entry in node.expressions
                ),
                position=at,
            )
        if isinstance(node, syntax.KsqlStruct):
            return ex.StructConstructor(
                tuple(
                    (entry.args["name"], self.expression(entry.expression))
                    for entry in node.expressions
                ),
                position=at,
            )
        if isinstance(node, syntax.KsqlLambda):
            return ex.Lambda(
                tuple(node.args["parameters"]), self.expression(node.this), position=at
            )
        construct = _UNSUPPORTED_NAMES.get(type(node), f"the expression '{node.key}'")
        raise self._source.unsupported(start_offset(node), construct)
