"""Typing and compiling expressions against a schema.

:func:`type_of` gives an expression's SQL type; :func:`compile_expression` turns it into a
function of a row. A row is a tuple holding the schema's columns in order (exactly those:
lambda variables are appended after them while a lambda runs); column indexes are resolved
once, at compile time.

NULL semantics are ksqlDB's (its generated Java), not SQL's three-valued logic: a comparison
with a NULL operand is FALSE (so ``NOT (X > 5)`` is TRUE for a NULL ``X``), ``BETWEEN`` and
``IN`` are FALSE for a NULL, ``IS DISTINCT FROM``-like equality is never NULL; arithmetic and
functions with a NULL argument are NULL. A NULL operand of ``AND``/``OR``/``NOT``, a NULL
``CASE`` condition or a NULL on either side of ``LIKE`` is an error in ksqlDB (Java unboxing a
null): the whole expression is NULL and the row is logged; here the compiled expression
returns NULL (a predicate False) and hands :class:`NullOperand` to ``on_error``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from streammesh.streams.evaluation.errors import (
    ExpressionTypeError,
    IncompatibleTypes,
    InvalidCast,
    NullOperand,
)
from streammesh.streams.evaluation.rules import (
    TEMPORAL,
    castable,
    common_type,
    is_numeric,
    numeric_result,
    widens_to,
)
from streammesh.streams.evaluation.schema import Schema
from streammesh.streams.evaluation.text import text_of
from streammesh.streams.evaluation.values import DECIMALS, caster, coercer, rescale, wrapper
from streammesh.streams.expressions import (
    ArrayConstructor,
    Between,
    Binary,
    BinaryOperator,
    Call,
    Case,
    Cast,
    Column,
    Dereference,
    Expression,
    InList,
    IsNull,
    Lambda,
    Like,
    Literal,
    MapConstructor,
    Position,
    StructConstructor,
    Subscript,
    TimeUnit,
    Unary,
    UnaryOperator,
)
from streammesh.streams.functions.errors import FunctionFailed, WrongArguments
from streammesh.streams.functions.registry import FunctionRegistry, default_registry
from streammesh.streams.functions.temporal import TIME_UNIT_FUNCTIONS
from streammesh.streams.types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    DOUBLE,
    INTEGER,
    STRING,
    ArrayType,
    BaseType,
    DecimalType,
    MapType,
    SqlType,
    StructField,
    StructType,
    array,
    decimal,
    map_of,
    type_text,
)

Row = Sequence[Any]
Evaluator = Callable[[Row], Any]
SchemaLike = Schema | Mapping[str, SqlType]
ErrorHandler = Callable[[NullOperand], object]
"""Told of each row whose expression ksqlDB would fail on (its processing log)."""


@dataclass(frozen=True, slots=True)
class Typed:
    """A node's type (``None`` for an untyped NULL), its evaluator, whether it is a constant
    and whether it can be NULL (a comparison never is: it is TRUE or FALSE)."""

    type: SqlType | None
    evaluate: Evaluator
    constant: bool = False
    nullable: bool = True


_ARITHMETIC = {
    op: f"apply {op.value} to"
    for op in (
        BinaryOperator.ADD,
        BinaryOperator.SUBTRACT,
        BinaryOperator.MULTIPLY,
        BinaryOperator.DIVIDE,
        BinaryOperator.MODULO,
    )
}
_COMPARE: dict[BinaryOperator, Callable[[Any, Any], bool]] = {
    BinaryOperator.EQUAL: operator.eq,
    BinaryOperator.NOT_EQUAL: operator.ne,
    BinaryOperator.LESS: operator.lt,
    BinaryOperator.LESS_OR_EQUAL: operator.le,
    BinaryOperator.GREATER: operator.gt,
    BinaryOperator.GREATER_OR_EQUAL: operator.ge,
}
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_TRUTHY = ("true", "yes")
_FALSY = ("false", "no")


def _literal_type(value: object) -> SqlType | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER if -(2**31) <= value < 2**31 else BIGINT
    if isinstance(value, float):
        return DOUBLE
    if isinstance(value, Decimal):
        _sign, digits, exponent = value.as_tuple()
        scale = max(0, -int(exponent))
        return decimal(max(len(digits), scale, 1), scale)
    if isinstance(value, bytes):
        return BYTES
    return STRING


def _int_divide(left: int, right: int) -> int | None:
    if right == 0:
        return None  # Java throws; ksqlDB logs it and the expression is NULL
    quotient = abs(left) // abs(right)
    return quotient if (left < 0) == (right < 0) else -quotient


def _int_modulo(left: int, right: int) -> int | None:
    quotient = _int_divide(left, right)
    return None if quotient is None else left - right * quotient


def _double_divide(left: float, right: float) -> float:
    if right == 0:
        if left == 0 or math.isnan(left):
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1.0, right)
    return left / right


def _double_modulo(left: float, right: float) -> float:
    if right == 0 or math.isinf(left):
        return math.nan
    return math.fmod(left, right)


def _decimal_op(op: BinaryOperator, kind: DecimalType) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        a, b = Decimal(left), Decimal(right)
        try:
            if op is BinaryOperator.ADD:
                value = DECIMALS.add(a, b)
            elif op is BinaryOperator.SUBTRACT:
                value = DECIMALS.subtract(a, b)
            elif op is BinaryOperator.MULTIPLY:
                value = DECIMALS.multiply(a, b)
            elif b == 0:
                return None
            elif op is BinaryOperator.DIVIDE:
                value = DECIMALS.divide(a, b)
            else:
                value = DECIMALS.remainder(a, b)
        except InvalidOperation:
            return None
        return rescale(value, kind)

    return apply


def _like_regex(pattern: str, escape: str | None) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if escape is not None and char == escape and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


class _Walker:
    def __init__(
        self,
        schema: Schema,
        registry: FunctionRegistry,
        key_columns: Sequence[str],
    ) -> None:
        self.schema = schema
        self.registry = registry
        self.lambdas: dict[str, tuple[int, SqlType | None]] = {}
        self.may_fail = False  # set when an evaluator can raise NullOperand
        self.width = len(schema.columns)
        keys = [schema.resolve(name).index for name in key_columns]
        self.key_of: Callable[[Row], Any] = (
            (lambda row: None)
            if not keys
            else (lambda row: row[keys[0]])
            if len(keys) == 1
            else (lambda row: tuple(row[index] for index in keys))
        )

    # -- helpers ---------------------------------------------------------------------------

    def where(self, node: Expression, *others: Expression) -> Position | None:
        return node.position or next((o.position for o in others if o.position), None)

    def fail(self, node: Expression, problem: str) -> ExpressionTypeError:
        return ExpressionTypeError(text_of(node), problem, self.where(node))

    def boolean(self, node: Expression) -> Typed:
        typed = self.visit(node)
        if typed.type is not None and typed.type != BOOLEAN:
            raise self.fail(node, f"{text_of(node)} is {type_text(typed.type)}, not BOOLEAN")
        return typed

    def condition(self, node: Expression, operator: str) -> Typed:
        """A BOOLEAN operand of ``operator``; a bare NULL does not compile in ksqlDB."""
        typed = self.boolean(node)
        if typed.type is None:
            raise self.fail(node, f"{operator} needs a BOOLEAN operand, not NULL")
        return typed

    def required(
        self, typed: Typed, whole: Expression, part: Expression, operator: str
    ) -> Evaluator:
        """``typed``'s evaluator, raising :class:`NullOperand` where it gives NULL."""
        inner = typed.evaluate
        if not typed.nullable:
            return inner
        self.may_fail = True
        key_of, position = self.key_of, self.where(whole, part)
        expression, operand = text_of(whole), text_of(part)

        def checked(row: Row) -> Any:
            value = inner(row)
            if value is None:
                raise NullOperand(expression, operand, operator, position, key_of(row))
            return value

        return checked

    def convert(self, typed: Typed, target: SqlType | None) -> Evaluator:
        if typed.type is None or target is None:
            return typed.evaluate
        change = coercer(typed.type, target)
        if change is None:
            return typed.evaluate
        inner = typed.evaluate

        def converted(row: Row) -> Any:
            value = inner(row)
            return None if value is None else change(value)

        return converted

    # -- dispatch ---------------------------------------------------------------------------

    def visit(self, node: Expression) -> Typed:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, f"{type(node).__name__} is not an expression that has a value")
        result: Typed = method(node)
        return result

    def visit_Column(self, node: Column) -> Typed:
        if node.source is None and node.name in self.lambdas:
            index, kind = self.lambdas[node.name]
        else:
            found = self.schema.resolve(node.name, node.source, node.position)
            index, kind = found.index, found.column.type
        return Typed(kind, operator.itemgetter(index))

    def visit_Literal(self, node: Literal) -> Typed:
        value = node.value
        kind = node.type or _literal_type(value)
        if isinstance(kind, DecimalType) and value is not None and not isinstance(value, Decimal):
            value = Decimal(str(value))
        return Typed(kind, lambda row: value, constant=True, nullable=value is None)

    def visit_Binary(self, node: Binary) -> Typed:
        op = node.operator
        if op in {BinaryOperator.AND, BinaryOperator.OR}:
            return self.logical(node)
        left, right = self.visit(node.left), self.visit(node.right)
        if op in _COMPARE or op is BinaryOperator.IS_DISTINCT_FROM:
            return self.compare(node, left, right)
        if op is BinaryOperator.CONCAT or (
            op is BinaryOperator.ADD and STRING in (left.type, right.type)
        ):
            return self.concat(node, left, right)
        return self.arithmetic(node, left, right)

    def logical(self, node: Binary) -> Typed:
        # Java's && and || on Booleans: the left side first, the right only when needed, and
        # a NULL operand that is reached fails.
        word = node.operator.value
        left = self.required(self.condition(node.left, word), node, node.left, word)
        right = self.required(self.condition(node.right, word), node, node.right, word)
        if node.operator is BinaryOperator.AND:
            return Typed(BOOLEAN, lambda row: left(row) and right(row), nullable=False)
        return Typed(BOOLEAN, lambda row: left(row) or right(row), nullable=False)

    def concat(self, node: Binary, left: Typed, right: Typed) -> Typed:
        for side, typed in ((node.left, left), (node.right, right)):
            if typed.type not in (None, STRING):
                raise IncompatibleTypes(
                    "concatenate",
                    text_of(node.left),
                    left.type or STRING,
                    text_of(node.right),
                    right.type or STRING,
                    self.where(node, side),
                    joiner="and",
                )
        a, b = left.evaluate, right.evaluate

        def joined(row: Row) -> str | None:
            x, y = a(row), b(row)
            return None if x is None or y is None else x + y

        return Typed(STRING, joined)

    def arithmetic(self, node: Binary, left: Typed, right: Typed) -> Typed:
        op = node.operator
        lt, rt = left.type, right.type
        if (lt is not None and not is_numeric(lt)) or (rt is not None and not is_numeric(rt)):
            raise IncompatibleTypes(
                _ARITHMETIC[op],
                text_of(node.left),
                lt or INTEGER,
                text_of(node.right),
                rt or INTEGER,
                self.where(node, node.left, node.right),
                joiner="and",
            )
        if lt is None and rt is None:
            raise self.fail(node, f"cannot {_ARITHMETIC[op]} NULL and NULL: the result has no type")
        kind = numeric_result(op.value, lt or rt or INTEGER, rt or lt or INTEGER)
        apply: Callable[[Any, Any], Any]
        if kind.base in {BaseType.INTEGER, BaseType.BIGINT}:
            wrap = wrapper(kind)
            basic = {
                BinaryOperator.ADD: lambda a, b: wrap(a + b),
                BinaryOperator.SUBTRACT: lambda a, b: wrap(a - b),
                BinaryOperator.MULTIPLY: lambda a, b: wrap(a * b),
            }
            if op in basic:
                apply = basic[op]
            elif op is BinaryOperator.DIVIDE:
                apply = lambda a, b: None if (q := _int_divide(a, b)) is None else wrap(q)  # noqa: E731
            else:
                apply = _int_modulo
        elif kind == DOUBLE:
            apply = {
                BinaryOperator.ADD: operator.add,
                BinaryOperator.SUBTRACT: operator.sub,
                BinaryOperator.MULTIPLY: operator.mul,
                BinaryOperator.DIVIDE: _double_divide,
                BinaryOperator.MODULO: _double_modulo,
            }[op]
        else:
            assert isinstance(kind, DecimalType)
            apply = _decimal_op(op, kind)
        work = DOUBLE if kind == DOUBLE else None
        a = self.convert(left, work)
        b = self.convert(right, work)

        def compute(row: Row) -> Any:
            x = a(row)
            if x is None:
                return None
            y = b(row)
            if y is None:
                return None
            return apply(x, y)

        return Typed(kind, compute)

    def comparable(
        self, node: Expression, left: Typed, right: Typed, verb: str = "compare"
    ) -> tuple[Typed, Typed]:
        """The operands made comparable (string literals read as numbers, booleans, dates)."""
        lt, rt = left.type, right.type
        if lt is None or rt is None or lt == rt:
            return left, right
        if is_numeric(lt) and is_numeric(rt):
            return left, right
        for first, second, swap in ((left, right, False), (right, left, True)):
            if second.constant and second.type == STRING and first.type is not None:
                parsed = self.literal_as(second.evaluate(()), first.type)
                if parsed is not _NO_VALUE:
                    made = Typed(first.type, _constant(parsed), constant=True)
                    return (made, first) if swap else (first, made)
        if isinstance(lt, StructType | ArrayType | MapType) and isinstance(
            rt, StructType | ArrayType | MapType
        ):
            try:
                if common_type([lt, rt]) is not None:
                    return left, right
            except TypeError:
                pass
        raise IncompatibleTypes(
            verb,
            text_of(node.left) if isinstance(node, Binary) else text_of(node),
            lt,
            text_of(node.right) if isinstance(node, Binary) else "",
            rt,
            self.where(node),
        )

    def literal_as(self, text: Any, kind: SqlType) -> Any:
        if is_numeric(kind):
            return Decimal(text.strip()) if _NUMBER.fullmatch(text) else _NO_VALUE
        if kind == BOOLEAN:
            lowered = text.strip().lower()
            if lowered and any(word.startswith(lowered) for word in _TRUTHY):
                return True
            if lowered and any(word.startswith(lowered) for word in _FALSY):
                return False
            return _NO_VALUE
        if kind.base in TEMPORAL:
            value = caster(STRING, kind)(text)
            return _NO_VALUE if value is None else value
        return _NO_VALUE

    def compare(self, node: Binary, left: Typed, right: Typed) -> Typed:
        if left.type is None or right.type is None:
            raise self.fail(
                node,
                f"comparison with NULL is not supported: {text_of(node)};"
                " use IS NULL or IS NOT NULL instead",
            )
        left, right = self.comparable(node, left, right)
        kinds = {left.type.base if left.type else None, right.type.base if right.type else None}
        structured = kinds & {BaseType.ARRAY, BaseType.MAP, BaseType.STRUCT, BaseType.BOOLEAN}
        equality = {BinaryOperator.EQUAL, BinaryOperator.NOT_EQUAL, BinaryOperator.IS_DISTINCT_FROM}
        if structured and node.operator not in equality:
            kind = left.type or right.type
            assert kind is not None
            raise IncompatibleTypes(
                f"apply {node.operator.value} to",
                text_of(node.left),
                kind,
                text_of(node.right),
                right.type or kind,
                self.where(node),
                joiner="and",
            )
        a, b = left.evaluate, right.evaluate
        if node.operator is BinaryOperator.IS_DISTINCT_FROM:
            # ksqlDB: one NULL side is distinct, two are not; otherwise it is <>.
            def distinct(row: Row) -> bool:
                x, y = a(row), b(row)
                if x is None or y is None:
                    return (x is None) is not (y is None)
                return bool(x != y)

            return Typed(BOOLEAN, distinct, nullable=False)
        test = _COMPARE[node.operator]
        if right.constant:
            # The common WHERE shape, an operand against a literal: the literal is read once.
            fixed = b(())
            if fixed is None:
                return Typed(BOOLEAN, _false, nullable=False)

            def against_constant(row: Row) -> bool:
                x = a(row)
                return False if x is None else test(x, fixed)

            return Typed(BOOLEAN, against_constant, nullable=False)

        def compared(row: Row) -> bool:
            # ksqlDB: a comparison with a NULL on either side is false, never NULL.
            x = a(row)
            if x is None:
                return False
            y = b(row)
            if y is None:
                return False
            return test(x, y)

        return Typed(BOOLEAN, compared, nullable=False)

    def visit_Unary(self, node: Unary) -> Typed:
        if node.operator is UnaryOperator.NOT:
            typed = self.condition(node.operand, "NOT")
            inner = self.required(typed, node, node.operand, "NOT")
            return Typed(BOOLEAN, lambda row: not inner(row), nullable=False)
        typed = self.visit(node.operand)
        if typed.type is not None and not is_numeric(typed.type):
            raise self.fail(
                node, f"cannot negate {text_of(node.operand)} ({type_text(typed.type)})"
            )
        if node.operator is UnaryOperator.PLUS:
            return typed
        inner = typed.evaluate
        kind = typed.type or INTEGER
        if kind.base in {BaseType.INTEGER, BaseType.BIGINT}:
            wrap = wrapper(kind)
            return Typed(kind, lambda row: None if (v := inner(row)) is None else wrap(-v))
        return Typed(kind, lambda row: None if (v := inner(row)) is None else -v)

    def visit_Cast(self, node: Cast) -> Typed:
        typed = self.visit(node.operand)
        if typed.type is None:
            return Typed(node.type, lambda row: None, constant=True)
        if not castable(typed.type, node.type):
            raise InvalidCast(
                text_of(node.operand), typed.type, node.type, self.where(node, node.operand)
            )
        convert = caster(typed.type, node.type)
        inner = typed.evaluate
        return Typed(node.type, lambda row: None if (v := inner(row)) is None else convert(v))

    def common(
        self, nodes: Sequence[Expression], typed: Sequence[Typed], what: str
    ) -> SqlType | None:
        try:
            return common_type([item.type for item in typed])
        except TypeError as exc:
            index, so_far = exc.args
            bad = typed[index].type
            assert bad is not None
            first = next(i for i, item in enumerate(typed) if item.type is not None)
            raise IncompatibleTypes(
                f"combine {what}",
                text_of(nodes[first]),
                so_far,
                text_of(nodes[index]),
                bad,
                self.where(nodes[index]),
                joiner="and",
            ) from None

    def visit_Case(self, node: Case) -> Typed:
        results = [when.result for when in node.whens] + ([node.default] if node.default else [])
        typed_results = [self.visit(item) for item in results]
        kind = self.common(results, typed_results, "CASE results")
        if kind is None:
            raise self.fail(node, "every branch of the CASE is NULL, so it has no type")
        outputs = [self.convert(item, kind) for item in typed_results]
        default = outputs[len(node.whens)] if node.default else None
        if node.operand is not None:
            operand = self.visit(node.operand)
            tests = []
            for when in node.whens:
                value = self.visit(when.condition)
                synthetic = Binary(
                    BinaryOperator.EQUAL,
                    node.operand,
                    when.condition,
                    position=when.condition.position,
                )
                tests.append(self.compare(synthetic, operand, value).evaluate)
        else:
            tests = [
                self.required(
                    self.condition(when.condition, "CASE WHEN"), node, when.condition, "CASE WHEN"
                )
                for when in node.whens
            ]
        pairs = list(zip(tests, outputs, strict=False))

        def chosen(row: Row) -> Any:
            for test, output in pairs:
                if test(row):
                    return output(row)
            return default(row) if default is not None else None

        return Typed(kind, chosen)

    def visit_Like(self, node: Like) -> Typed:
        operand, pattern = self.visit(node.operand), self.visit(node.pattern)
        for part, typed in ((node.operand, operand), (node.pattern, pattern)):
            if typed.type not in (None, STRING):
                raise self.fail(
                    part, f"LIKE needs STRING operands; {text_of(part)} is {type_text(typed.type)}"
                )
        value_of, pattern_of, escape, negated = (
            operand.evaluate,
            pattern.evaluate,
            node.escape,
            node.negated,
        )
        fixed = (
            _like_regex(pattern_of(()), escape)
            if pattern.constant and pattern_of(()) is not None
            else None
        )
        # ksqlDB's LikeEvaluator fails on a NULL value or pattern (NOT LIKE too).
        value_of = self.required(operand, node, node.operand, "LIKE")
        pattern_of = self.required(pattern, node, node.pattern, "LIKE")

        def like(row: Row) -> bool:
            value = value_of(row)
            regex = fixed if fixed is not None else _like_regex(pattern_of(row), escape)
            return (
                (regex.fullmatch(value) is None)
                if negated
                else (regex.fullmatch(value) is not None)
            )

        return Typed(BOOLEAN, like, nullable=False)

    def visit_InList(self, node: InList) -> Typed:
        operand = self.visit(node.operand)
        values = []
        for item in node.values:
            typed = self.visit(item)
            values.append(
                self.comparable(
                    Binary(
                        BinaryOperator.EQUAL,
                        node.operand,
                        item,
                        position=item.position or node.position,
                    ),
                    operand,
                    typed,
                )[1]
            )
        value_of, options, negated = operand.evaluate, [v.evaluate for v in values], node.negated

        def contained(row: Row) -> bool:
            value = value_of(row)
            found = value is not None and any(
                (option := get(row)) is not None and option == value for get in options
            )
            return not found if negated else found

        return Typed(BOOLEAN, contained, nullable=False)

    def visit_Between(self, node: Between) -> Typed:
        low = self.compare(
            Binary(BinaryOperator.GREATER_OR_EQUAL, node.operand, node.low, position=node.position),
            self.visit(node.operand),
            self.visit(node.low),
        )
        high = self.compare(
            Binary(BinaryOperator.LESS_OR_EQUAL, node.operand, node.high, position=node.position),
            self.visit(node.operand),
            self.visit(node.high),
        )
        a, b = low.evaluate, high.evaluate
        # ksqlDB: (X >= LOW) && (X <= HIGH) with comparisons that are false on a NULL, so a
        # NULL anywhere makes BETWEEN false and NOT BETWEEN true.
        if node.negated:
            return Typed(BOOLEAN, lambda row: not (a(row) and b(row)), nullable=False)
        return Typed(BOOLEAN, lambda row: a(row) and b(row), nullable=False)

    def visit_IsNull(self, node: IsNull) -> Typed:
        inner = self.visit(node.operand).evaluate
        if node.negated:
            return Typed(BOOLEAN, lambda row: inner(row) is not None, nullable=False)
        return Typed(BOOLEAN, lambda row: inner(row) is None, nullable=False)

    def visit_Subscript(self, node: Subscript) -> Typed:
        base, index = self.visit(node.base), self.visit(node.index)
        get_base, get_index = base.evaluate, index.evaluate
        if isinstance(base.type, ArrayType):
            if index.type is not None and index.type.base not in {
                BaseType.INTEGER,
                BaseType.BIGINT,
            }:
                raise self.fail(
                    node.index, f"an array index must be INTEGER, not {type_text(index.type)}"
                )

            def element(row: Row) -> Any:
                values, position = get_base(row), get_index(row)
                if values is None or position is None or position == 0:
                    return None
                offset = position - 1 if position > 0 else len(values) + position
                return values[offset] if 0 <= offset < len(values) else None

            return Typed(base.type.element, element)
        if isinstance(base.type, MapType):
            key_type = base.type.key
            get_key = (
                self.convert(index, key_type)
                if index.type and is_numeric(index.type)
                else get_index
            )
            return Typed(
                base.type.value,
                lambda row: None if (m := get_base(row)) is None else m.get(get_key(row)),
            )
        raise self.fail(
            node,
            f"{text_of(node.base)} ({type_text(base.type or STRING)}) is not an ARRAY or a MAP",
        )

    def visit_Dereference(self, node: Dereference) -> Typed:
        base = self.visit(node.base)
        if not isinstance(base.type, StructType):
            raise self.fail(
                node, f"{text_of(node.base)} ({type_text(base.type or STRING)}) is not a STRUCT"
            )
        field = base.type.field(node.field_name)
        if field is None:
            from streammesh.streams.evaluation.errors import nearest

            near = nearest(node.field_name, [item.name for item in base.type.fields])
            hint = f"; did you mean {near}?" if near else ""
            raise self.fail(node, f"{text_of(node.base)} has no field {node.field_name}{hint}")
        get, name = base.evaluate, field.name
        return Typed(field.type, lambda row: None if (s := get(row)) is None else s.get(name))

    def visit_ArrayConstructor(self, node: ArrayConstructor) -> Typed:
        typed = [self.visit(item) for item in node.elements]
        kind = self.common(node.elements, typed, "ARRAY elements")
        if kind is None:
            raise self.fail(node, "an ARRAY needs at least one element that is not NULL")
        parts = [self.convert(item, kind) for item in typed]
        return Typed(array(kind), lambda row: [part(row) for part in parts])

    def visit_MapConstructor(self, node: MapConstructor) -> Typed:
        keys = [self.visit(k) for k, _ in node.entries]
        values = [self.visit(v) for _, v in node.entries]
        key_type = self.common([k for k, _ in node.entries], keys, "MAP keys")
        value_type = self.common([v for _, v in node.entries], values, "MAP values")
        if key_type is None or value_type is None:
            raise self.fail(node, "a MAP needs keys and values that are not all NULL")
        pairs = list(
            zip(
                [self.convert(k, key_type) for k in keys],
                [self.convert(v, value_type) for v in values],
                strict=True,
            )
        )
        return Typed(map_of(key_type, value_type), lambda row: {k(row): v(row) for k, v in pairs})

    def visit_StructConstructor(self, node: StructConstructor) -> Typed:
        fields, getters = [], []
        for name, value in node.fields:
            typed = self.visit(value)
            fields.append(StructField(name, typed.type or STRING))
            getters.append((name, typed.evaluate))
        return Typed(
            StructType(BaseType.STRUCT, tuple(fields)), lambda row: {n: g(row) for n, g in getters}
        )

    def visit_Lambda(self, node: Lambda) -> Typed:
        raise self.fail(
            node, "a lambda is only allowed as an argument of TRANSFORM, FILTER or REDUCE"
        )

    # -- calls ------------------------------------------------------------------------------

    def visit_Call(self, node: Call) -> Typed:
        name = node.name.upper()
        if name in self.registry.higher_order:
            return self.higher_order(node, name)
        if name in self.registry.aggregates:
            raise self.fail(
                node,
                f"aggregate function {name} is not allowed here (only in a SELECT with GROUP BY)",
            )
        arguments = list(node.arguments)
        if name in TIME_UNIT_FUNCTIONS and arguments and isinstance(arguments[0], Column):
            # DAY, HOUR, MINUTE and SECOND are names in ksqlDB's grammar, so the parser (and
            # the DSL) give them as columns: here they are the unit.
            first = arguments[0]
            unit = TimeUnit.of(first.name) if first.source is None else None
            if unit is not None:
                arguments[0] = Literal(unit, STRING, position=first.position)
        typed = [self.visit(argument) for argument in arguments]
        binding = self.registry.resolve(name, [item.type for item in typed], node.position)
        getters = [
            self.convert(item, target)
            for item, target in zip(typed, binding.argument_types, strict=True)
        ]
        implementation, null_safe, key_of = binding.implementation, binding.null_safe, self.key_of
        function = binding.name
        if len(getters) == 1 and not null_safe:
            (only,) = getters

            def call_one(row: Row) -> Any:
                value = only(row)
                if value is None:
                    return None
                try:
                    return implementation(value)
                except Exception as exc:  # any failure of a function is reported with its name
                    raise FunctionFailed(function, exc, key_of(row)) from exc

            return Typed(binding.returns, call_one)

        def call(row: Row) -> Any:
            values = [get(row) for get in getters]
            if not null_safe and None in values:
                return None
            try:
                return implementation(*values)
            except Exception as exc:  # any failure of a function is reported with its name
                raise FunctionFailed(function, exc, key_of(row)) from exc

        return Typed(binding.returns, call)

    def in_lambda(
        self, node: Expression, parameters: Sequence[tuple[str, SqlType | None]]
    ) -> Typed:
        if not isinstance(node, Lambda):
            raise self.fail(node, f"{text_of(node)} is not a lambda")
        if len(node.parameters) != len(parameters):
            raise self.fail(
                node, f"the lambda takes {len(parameters)} argument(s), not {len(node.parameters)}"
            )
        saved, width = dict(self.lambdas), self.width
        for offset, (name, (_label, kind)) in enumerate(
            zip(node.parameters, parameters, strict=True)
        ):
            self.lambdas[name] = (width + offset, kind)
        self.width = width + len(parameters)
        try:
            return self.visit(node.body)
        finally:
            self.lambdas, self.width = saved, width

    def higher_order(self, node: Call, name: str) -> Typed:
        arguments = node.arguments
        if not arguments:
            raise WrongArguments(
                name, [], self.registry.higher_order[name].signatures, node.position
            )
        collection = self.visit(arguments[0])
        kind = collection.type
        get = collection.evaluate
        signatures = self.registry.higher_order[name].signatures
        if isinstance(kind, ArrayType):
            element = kind.element
            if name == "TRANSFORM" and len(arguments) == 2:
                body = self.in_lambda(arguments[1], [("x", element)]).evaluate
                return Typed(
                    array(body_type(self, arguments[1], [element])),
                    lambda row: None if (v := get(row)) is None else [body((*row, x)) for x in v],
                )
            if name == "FILTER" and len(arguments) == 2:
                test = self.lambda_boolean(arguments[1], [element])
                return Typed(
                    kind,
                    lambda row: (
                        None
                        if (v := get(row)) is None
                        else [x for x in v if test((*row, x)) is True]
                    ),
                )
            if name == "REDUCE" and len(arguments) == 3:
                state = self.visit(arguments[1])
                step = self.reducer(arguments[2], state, [element])
                start = state.evaluate

                def reduce_array(row: Row) -> Any:
                    values, acc = get(row), start(row)
                    if values is None or acc is None:
                        return None
                    for x in values:
                        acc = step((*row, acc, x))
                    return acc

                return Typed(state.type, reduce_array)
        if isinstance(kind, MapType):
            pair = [kind.key, kind.value]
            if name == "TRANSFORM" and len(arguments) == 3:
                keys = self.in_lambda(arguments[1], [("k", kind.key), ("v", kind.value)])
                values = self.in_lambda(arguments[2], [("k", kind.key), ("v", kind.value)])
                kf, vf = keys.evaluate, values.evaluate
                result = map_of(keys.type or STRING, values.type or STRING)
                return Typed(
                    result,
                    lambda row: (
                        None
                        if (m := get(row)) is None
                        else {kf((*row, k, v)): vf((*row, k, v)) for k, v in m.items()}
                    ),
                )
            if name == "FILTER" and len(arguments) == 2:
                test = self.lambda_boolean(arguments[1], pair)
                return Typed(
                    kind,
                    lambda row: (
                        None
                        if (m := get(row)) is None
                        else {k: v for k, v in m.items() if test((*row, k, v)) is True}
                    ),
                )
            if name == "REDUCE" and len(arguments) == 3:
                state = self.visit(arguments[1])
                step = self.reducer(arguments[2], state, [kind.key, kind.value])
                start = state.evaluate

                def reduce_map(row: Row) -> Any:
                    entries, acc = get(row), start(row)
                    if entries is None or acc is None:
                        return None
                    for k, v in entries.items():
                        acc = step((*row, acc, k, v))
                    return acc

                return Typed(state.type, reduce_map)
        raise WrongArguments(name, [kind], signatures, node.position)

    def reducer(self, node: Expression, state: Typed, kinds: Sequence[SqlType]) -> Evaluator:
        """REDUCE's lambda; its result must fit the state's type (it is widened to it)."""
        parameters = [("_s", state.type)] + [(f"_{i}", kind) for i, kind in enumerate(kinds)]
        body = self.in_lambda(node, parameters)
        if (
            state.type is not None
            and body.type is not None
            and not widens_to(body.type, state.type)
        ):
            raise self.fail(
                node,
                f"the lambda returns {type_text(body.type)}, which does not fit the state's"
                f" type {type_text(state.type)}",
            )
        return self.convert(body, state.type)

    def lambda_boolean(self, node: Expression, kinds: Sequence[SqlType]) -> Evaluator:
        typed = self.in_lambda(node, [(f"_{i}", kind) for i, kind in enumerate(kinds)])
        if typed.type not in (None, BOOLEAN):
            raise self.fail(
                node, f"the lambda must return BOOLEAN, not {type_text(typed.type or STRING)}"
            )
        return typed.evaluate


def body_type(walker: _Walker, node: Expression, kinds: Sequence[SqlType]) -> SqlType:
    typed = walker.in_lambda(node, [(f"_{i}", kind) for i, kind in enumerate(kinds)])
    return typed.type or STRING


_NO_VALUE = object()


def _nothing(row: Row) -> None:
    return None


def _false(row: Row) -> bool:
    return False


def _guarded(evaluate: Evaluator, fallback: Any, on_error: ErrorHandler | None) -> Evaluator:
    """``evaluate`` with ksqlDB's handling of a failed row: ``fallback``, and a log entry."""

    def guarded(row: Row) -> Any:
        try:
            return evaluate(row)
        except NullOperand as error:
            if on_error is not None:
                on_error(error)
            return fallback

    return guarded


def _constant(value: Any) -> Evaluator:
    return lambda row: value


def _schema(schema: SchemaLike) -> Schema:
    return schema if isinstance(schema, Schema) else Schema.of(schema)


def type_of(
    expression: Expression, schema: SchemaLike, *, registry: FunctionRegistry | None = None
) -> SqlType | None:
    """The SQL type of ``expression`` over ``schema`` (``None`` for a bare ``NULL``).

    Raises:
        ExpressionTypeError: parts whose types do not fit (names them, both types, where).
        UnknownColumn: a column the schema lacks (with the nearest name).
        UnknownFunction, WrongArguments: a call nothing matches.
    """
    return _Walker(_schema(schema), registry or default_registry(), ()).visit(expression).type


def compile_expression(
    expression: Expression,
    schema: SchemaLike,
    *,
    registry: FunctionRegistry | None = None,
    key_columns: Sequence[str] = (),
    on_error: ErrorHandler | None = None,
) -> Evaluator:
    """``expression`` as a function of a row (a tuple of the schema's columns, in order).

    Args:
        expression: The expression tree.
        schema: The row's columns (a :class:`Schema`, or ``{name: type}`` in row order).
        registry: The functions to call (default: :func:`default_registry`).
        key_columns: Columns holding the row's key: a function that raises reports it in
            :class:`FunctionFailed`, and a :class:`NullOperand` carries it.
        on_error: Called with the :class:`NullOperand` of a row that ksqlDB fails on (a NULL
            operand of ``AND``/``OR``/``NOT``, a NULL ``CASE`` condition, a NULL in ``LIKE``);
            the expression is then NULL for that row, as in ksqlDB (which logs it to its
            processing log). :class:`FunctionFailed` is raised, not handled here.

    Example:
        >>> from streammesh.streams.expressions import Binary, BinaryOperator, Column, Literal
        >>> from streammesh.streams.types import INTEGER
        >>> plus_one = Binary(BinaryOperator.ADD, Column("A"), Literal(1, INTEGER))
        >>> add = compile_expression(plus_one, {"A": INTEGER})
        >>> add((41,))
        42
    """
    walker = _Walker(_schema(schema), registry or default_registry(), key_columns)
    evaluate = walker.visit(expression).evaluate
    return _guarded(evaluate, None, on_error) if walker.may_fail else evaluate


def compile_predicate(
    expression: Expression,
    schema: SchemaLike,
    *,
    registry: FunctionRegistry | None = None,
    key_columns: Sequence[str] = (),
    on_error: ErrorHandler | None = None,
) -> Callable[[Row], bool]:
    """A WHERE/HAVING condition as a function of a row: NULL counts as false, and so does a
    row ksqlDB fails on (reported to ``on_error`` as in :func:`compile_expression`).

    Raises:
        ExpressionTypeError: the condition is not BOOLEAN.
    """
    walker = _Walker(_schema(schema), registry or default_registry(), key_columns)
    typed = walker.boolean(expression)
    evaluate = typed.evaluate
    if walker.may_fail:
        evaluate = _guarded(evaluate, False, on_error)
    if not typed.nullable:
        return evaluate  # a comparison, AND, IN...: already True or False
    return lambda row: evaluate(row) is True


@dataclass(frozen=True, slots=True)
class CompiledAggregate:
    """An aggregate call bound to a schema: ``argument(row)`` is the value to aggregate."""

    aggregate: Any
    argument: Evaluator


def compile_aggregate(
    call: Call,
    schema: SchemaLike,
    *,
    registry: FunctionRegistry | None = None,
    on_error: ErrorHandler | None = None,
) -> CompiledAggregate:
    """An aggregate call (``SUM(PRICE * QTY)``, ``TOPK(X, 3)``) over rows of ``schema``.

    The first argument is an expression of the row (NULL for a row ksqlDB fails on, reported
    to ``on_error``); the others must be constants.

    Raises:
        UnknownFunction, WrongArguments: no such aggregate, or arguments it refuses.
    """
    functions = registry or default_registry()
    name = call.name.upper()
    function = functions.aggregates.get(name)
    if function is None:
        raise functions.unknown(name, call.position)
    walker = _Walker(_schema(schema), functions, ())
    if call.star:
        argument: Evaluator = _nothing
        kinds: list[SqlType | None] = []
    else:
        if not call.arguments:
            raise WrongArguments(name, [], function.signatures, call.position)
        first = walker.visit(call.arguments[0])
        argument, kinds = first.evaluate, [first.type]
        if walker.may_fail:
            argument = _guarded(argument, None, on_error)
    constants = []
    for extra in call.arguments[1:]:
        typed = walker.visit(extra)
        if not typed.constant:
            raise WrongArguments(
                name,
                kinds,
                function.signatures,
                call.position,
                reason=f"{text_of(extra)} must be a constant",
            )
        constants.append(typed.evaluate(()))
    try:
        aggregate = function.create(kinds, constants, call.star)
    except ValueError as exc:
        raise WrongArguments(
            name, kinds, function.signatures, call.position, reason=str(exc)
        ) from None
    return CompiledAggregate(aggregate, argument)
