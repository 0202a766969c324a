"""``ConnectError``: the base of every error of connectors (see :mod:`streammesh.errors`).

Each connector module or subpackage defines its leaf errors deriving from this one, with
structured attributes and a message naming what is wrong and where (the connector, the
table or file, the column, the definition's line).
"""

from __future__ import annotations

from streammesh.errors import MeshError


class ConnectError(MeshError):
    """Base of connector errors: definitions, sources, sinks, their management."""


class DefinitionInvalid(ConnectError):
    """A connector definition (its YAML file) that cannot be used; nothing was started.

    Attributes:
        origin: The file (or ``<definition>``) the definition came from.
        problems: Every problem found, in file order, each ``(line, column, field, problem)``
            (``line``/``column`` 1-based, ``None`` where the field is not written).
    """

    def __init__(
        self, origin: str, problems: list[tuple[int | None, int | None, str, str]]
    ) -> None:
        self.origin = origin
        self.problems = tuple(problems)
        shown = "; ".join(
            f"{_where(origin, line, column)}{f'field {field!r} ' if field else ''}{problem}"
            for line, column, field, problem in self.problems
        )
        super().__init__(shown)


def _where(origin: str, line: int | None, column: int | None) -> str:
    if line is None:
        return f"{origin}: "
    return f"{origin}:{line}:{column or 1}: "


class UnknownKind(ConnectError):
    """A connector kind that no installed module provides.

    Attributes:
        kind: The kind asked for.
        known: The kinds that are installed.
    """

    def __init__(self, kind: str, known: list[str]) -> None:
        self.kind = kind
        self.known = tuple(known)
        listed = ", ".join(known) if known else "none"
        super().__init__(
            f"no connector kind {kind!r}; the installed kinds are: {listed} (a third-party "
            "kind is installed as a package with a 'streammesh.connectors' entry point)"
        )


class KindInvalid(ConnectError):
    """A module registered as a connector kind that lacks ``KIND``, ``ROLE``, ``Config`` or
    ``create``, or whose ``ROLE`` is neither ``source`` nor ``sink``.

    Attributes:
        origin: The module or entry point.
        problem: What is missing or wrong.
    """

    def __init__(self, origin: str, problem: str) -> None:
        self.origin = origin
        self.problem = problem
        super().__init__(f"connector kind module {origin!r} cannot be used: {problem}")


class ConnectorRefused(ConnectError):
    """A connector that may not run as defined: its principal lacks a grant, a product it
    names does not exist or cannot take its schema.

    Attributes:
        connector: The connector's name.
        product: The product concerned.
        reason: Why, in words (with what to do).
    """

    def __init__(self, connector: str, product: str, reason: str) -> None:
        self.connector = connector
        self.product = product
        self.reason = reason
        super().__init__(f"connector {connector!r} cannot run on product {product!r}: {reason}")


class PrincipalNotAllowed(ConnectorRefused):
    """The connector's service account may not write (source) or read (sink) a product: the
    connector stops, whatever the product was met in (it is no record's fault)."""


class ConnectorFailed(ConnectError):
    """A connector stopped by an error whose message quoted a credential: the same message
    with every credential replaced by ``***`` (the original is dropped, not chained).

    Attributes:
        connector: The connector's name.
        error: The original error's class name.
    """

    def __init__(self, connector: str, error: str, message: str) -> None:
        self.connector = connector
        self.error = error
        super().__init__(f"connector {connector!r} stopped: {message}")
