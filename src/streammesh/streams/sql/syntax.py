"""sqlglot nodes for the parts of ksqlDB's expression syntax that sqlglot has no node for (or
one whose meaning differs): the dialect's parser builds them, :mod:`.lowering` turns them into
:mod:`streammesh.streams.expressions` nodes.

Where a node starts in the text is kept in its ``meta`` under :data:`START` (a character
offset); a node without it starts where its first child starts.
"""

from __future__ import annotations

import typing as t

from sqlglot import exp

START = "ksql_start"
"""``meta`` key: the character offset of the node's first character."""


class KsqlCall(exp.Expression):
    """A function call: ``this`` is the upper-cased name, ``star`` is set for ``COUNT(*)``."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": True, "expressions": False, "star": False}


class KsqlTimeUnit(exp.Expression):
    """A time unit keyword as a function argument (``DATEADD(DAYS, 2, d)``); ``this`` holds
    the :class:`streammesh.streams.expressions.TimeUnit`."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": True}


class KsqlCast(exp.Expression):
    """``CAST(this AS to)``; ``to`` holds a :class:`streammesh.streams.types.SqlType`."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": True, "to": True}


class KsqlCase(exp.Expression):
    """``CASE [this] WHEN ... THEN ... [ELSE default] END``; ``ifs`` are ``exp.If`` nodes."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": False, "ifs": True, "default": False}


class KsqlPlus(exp.Expression):
    """Unary ``+this``, kept (sqlglot drops it) because ksqlDB types it."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": True}


class KsqlSubscript(exp.Expression):
    """``this[index]``."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": True, "index": True}


class KsqlDereference(exp.Expression):
    """``this->field``; ``field`` is the resolved field name (a string)."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": True, "field": True}


class KsqlArray(exp.Expression):
    """``ARRAY[expressions...]``."""

    arg_types: t.ClassVar[dict[str, bool]] = {"expressions": False}


class KsqlEntry(exp.Expression):
    """``key := value`` inside ``MAP(...)``, or ``name := value`` inside ``STRUCT(...)`` (then
    ``name`` holds the resolved field name and ``this`` is unset)."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": False, "name": False, "expression": True}


class KsqlMap(exp.Expression):
    """``MAP(k := v, ...)``."""

    arg_types: t.ClassVar[dict[str, bool]] = {"expressions": False}


class KsqlStruct(exp.Expression):
    """``STRUCT(name := v, ...)``."""

    arg_types: t.ClassVar[dict[str, bool]] = {"expressions": False}


class KsqlLambda(exp.Expression):
    """``x => body`` or ``(x, y) => body``; ``parameters`` is a list of resolved names."""

    arg_types: t.ClassVar[dict[str, bool]] = {"parameters": True, "this": True}


class KsqlColumn(exp.Expression):
    """A column reference: ``name`` resolved, ``source`` the resolved qualifier or unset."""

    arg_types: t.ClassVar[dict[str, bool]] = {"name": True, "source": False}


class KsqlStatement(exp.Expression):
    """A parsed statement: ``statement`` holds its :mod:`.statements` object."""

    arg_types: t.ClassVar[dict[str, bool]] = {"statement": True}
