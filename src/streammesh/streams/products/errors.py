"""Errors of the mesh side of stream processing: products in ``FROM``, the output product,
and the grants an application needs::

    StreamsError
    ├── PlanError
    │   ├── UnknownSource
    │   │   └── UnknownProduct      a product in FROM that the mesh does not have (nearest named)
    │   └── ProductNotQueryable     a product whose schema has no SQL columns
    ├── OutputProductInvalid        a query's output that cannot be published as that product
    ├── GrantMissing                the application's service account lacks a grant it needs
    └── GrantRevoked                a grant it ran with was revoked (or lost its classified fields)
"""

from __future__ import annotations

from collections.abc import Sequence

from streammesh.streams.errors import StreamsError
from streammesh.streams.expressions import Position
from streammesh.streams.plan.errors import PlanError, UnknownSource


class UnknownProduct(UnknownSource):
    """A data product named in ``FROM`` or ``JOIN`` that the mesh does not have.

    Attributes:
        name: The product as written (``execution.stocktrade``).
        suggestion: The nearest product of the mesh, if one is close enough.
    """

    def __init__(
        self, name: str, known: Sequence[str], position: Position | None = None, text: str = ""
    ) -> None:
        super().__init__(name, known, position, text)


class ProductNotQueryable(PlanError):
    """A product whose registered schema cannot be read as SQL columns (e.g. a union of
    several types).

    Attributes:
        product: The product version (``execution.stocktrades.v1``).
        reason: Why, naming the schema path.
    """

    def __init__(
        self, product: str, reason: str, position: Position | None = None, text: str = ""
    ) -> None:
        self.product = product
        self.reason = reason
        super().__init__(
            f"data product '{product}' cannot be read in SQL: {reason}", position, text
        )


class OutputProductInvalid(StreamsError):
    """A persistent query whose output cannot be published as the data product it names.

    Attributes:
        sink: The stream or table the query writes.
        product: The data product it is published as.
        reason: What is wrong and what to do.
    """

    def __init__(self, sink: str, product: str, reason: str) -> None:
        self.sink = sink
        self.product = product
        self.reason = reason
        super().__init__(f"cannot publish '{sink}' as data product '{product}': {reason}")


class GrantMissing(StreamsError):
    """The application's service account lacks a grant it needs to run: a read grant on an
    input product, or membership of the output product's owning team to write it.

    Attributes:
        application: The stream application.
        principal: The service account it runs as.
        product: The product version the grant is missing for.
        write: ``True`` when writing the output is refused, ``False`` for reading an input.
    """

    def __init__(self, application: str, principal: str, product: str, *, write: bool) -> None:
        self.application = application
        self.principal = principal
        self.product = product
        self.write = write
        if write:
            message = (
                f"stream application '{application}' cannot start: its service account"
                f" '{principal}' may not write the output product '{product}'; only service"
                " accounts of the product's owning team write it (create one with 'streammesh"
                " accounts create NAME --kind service-account --team TEAM')"
            )
        else:
            message = (
                f"stream application '{application}' cannot start: its service account"
                f" '{principal}' has no read grant on '{product}'; request one with 'streammesh"
                f" access request {product} --as {principal} --purpose TEXT'"
            )
        super().__init__(message)


class GrantRevoked(StreamsError):
    """A grant a running application started with is gone: the read grant on an input was
    revoked, its service account may no longer write an output, or its read grant no longer
    includes classified fields it reads in clear. The application stops; nothing more is
    committed.

    Attributes:
        application: The stream application.
        principal: The service account it runs as.
        product: The product version concerned.
        write: ``True`` for the output it may no longer write, ``False`` for an input.
        classified: ``True`` when a read grant remains but without classified fields.
    """

    def __init__(
        self,
        application: str,
        principal: str,
        product: str,
        *,
        write: bool = False,
        classified: bool = False,
    ) -> None:
        self.application = application
        self.principal = principal
        self.product = product
        self.write = write
        self.classified = classified
        if classified:
            message = (
                f"stream application '{application}' stopped: the read grant of its service "
                f"account '{principal}' on '{product}' no longer includes classified fields; "
                "started again, it computes over their placeholders"
            )
        elif write:
            message = (
                f"stream application '{application}' stopped: the write grant of its service "
                f"account '{principal}' on '{product}' was revoked (only service accounts of "
                "the product's owning team write it)"
            )
        else:
            message = (
                f"stream application '{application}' stopped: the read grant of its service "
                f"account '{principal}' on '{product}' was revoked; nothing more was committed"
            )
        super().__init__(message)
