"""The lifecycle of a data product: ``draft → published → deprecated → retired``.

Pure rules, no I/O: the ``deprecate``, ``retire`` and ``apply`` commands (CLI, REST, SDK) load a
product's :class:`LifecycleState`, call :func:`publish`, :func:`deprecate` or :func:`retire`
with the current time, and store the state they get back. Those are the only transitions;
``retired`` is final. The time is always passed in as ``now`` (timezone-aware) so that the rules
are the same in tests, in a replay of the audit log and on a server whose clock is mocked.

A refusal raises a :class:`LifecycleError` whose message names the product, its status, what
is not allowed and what to do instead; nothing is changed by a refused transition.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from pydantic import ValidationError

from streammesh.errors import ConfigError
from streammesh.products.descriptor import Deprecation, Status
from streammesh.products.errors import ProductError

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class LifecyclePolicy:
    """Minimum time a product stays in a stage before it may move to the next.

    Attributes:
        min_published_before_deprecate: How long a product must have been published before it
            may be deprecated. Default 0: deprecating only stops *new* consumers, so owners may
            correct a product published by mistake at once (e.g. by publishing a v2 and
            deprecating v1) without harming anyone who already reads it.
        min_deprecated_before_retire: How long a product must have been deprecated before it
            may be retired. Default 30 days: the notice period existing consumers get to move
            to the replacement, one monthly planning cycle of a consuming team. Retiring
            deletes what they read, so it is the stage that needs the warning.
    """

    min_published_before_deprecate: timedelta = timedelta(0)
    min_deprecated_before_retire: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        for name in ("min_published_before_deprecate", "min_deprecated_before_retire"):
            value: timedelta = getattr(self, name)
            if value < timedelta(0):
                raise ConfigError(
                    f"lifecycle policy '{name}' is {value}, a negative duration; "
                    "set it to zero or more"
                )


DEFAULT_POLICY = LifecyclePolicy()
"""The policy used when the configuration does not set one."""


@dataclass(frozen=True, slots=True)
class LifecycleState:
    """Where a product is in its life, and since when.

    Attributes:
        product: The product's ``domain.product`` name.
        version: Its major version (``execution.stocktrades`` v2 is ``execution.stocktrades.v2``).
        status: The current stage.
        since: When the product entered ``status`` (timezone-aware).
        deprecation: Reason, sunset and replacement; set exactly when deprecated or retired.
        forced_by: Who retired the product although consumers were still active; ``None``
            unless the retirement overrode that rule.
    """

    product: str
    version: int
    status: Status
    since: datetime
    deprecation: Deprecation | None = None
    forced_by: str | None = None

    def __post_init__(self) -> None:
        # A state that breaks these comes from a bug or a tampered store, not from a user's
        # request, so it is a ValueError rather than a LifecycleError.
        _require_aware(self.since, "since")
        if self.version < 1:
            raise ValueError(f"version must be 1 or more, not {self.version}")
        deprecated = self.status in (Status.DEPRECATED, Status.RETIRED)
        if deprecated != (self.deprecation is not None):
            raise ValueError(
                f"deprecation must be set exactly when the status is deprecated or retired "
                f"(status is {self.status})"
            )
        if self.forced_by is not None and self.status is not Status.RETIRED:
            raise ValueError(f"forced_by is only set on retired products (status is {self.status})")

    @classmethod
    def draft(cls, product: str, version: int, now: datetime) -> LifecycleState:
        """A new product's state: a draft since ``now``."""
        return cls(product=product, version=version, status=Status.DRAFT, since=now)

    @property
    def reference(self) -> str:
        """The product at its version, as messages and replacements name it: ``a.b.v2``."""
        return f"{self.product}.v{self.version}"


class LifecycleError(ProductError):
    """A lifecycle transition that is refused; the state is unchanged.

    Attributes:
        product: The product at its version (``execution.stocktrades.v1``).
        status: Its status when the transition was asked for.
    """

    def __init__(self, state: LifecycleState, message: str) -> None:
        self.product = state.reference
        self.status = state.status
        super().__init__(message)


class TransitionNotAllowed(LifecycleError):
    """The transition does not start from the product's status (e.g. retiring a draft)."""

    def __init__(self, state: LifecycleState, target: Status, advice: str) -> None:
        self.target = target
        super().__init__(
            state,
            f"cannot move product '{state.reference}' from {state.status} to {target}: {advice}",
        )


class TooEarly(LifecycleError):
    """The product has not been in its stage for the policy's minimum time yet."""

    def __init__(
        self, state: LifecycleState, target: Status, minimum: timedelta, earliest: datetime
    ) -> None:
        self.target = target
        self.minimum = minimum
        self.earliest = earliest
        super().__init__(
            state,
            f"cannot move product '{state.reference}' to {target} yet: it has been "
            f"{state.status} only since {state.since.isoformat()} and must stay {state.status} "
            f"for at least {_describe(minimum)}; try again from {earliest.isoformat()}",
        )


class InvalidDeprecation(LifecycleError):
    """The reason, sunset or replacement given to deprecate a product cannot be used."""

    exit_code = 2

    def __init__(self, state: LifecycleState, problem: str) -> None:
        self.problem = problem
        super().__init__(
            state,
            f"cannot deprecate product '{state.reference}' (status {state.status}): {problem}",
        )


class ConsumersActive(LifecycleError):
    """Retiring would cut off consumers that still read the product."""

    def __init__(self, state: LifecycleState, active_consumers: int) -> None:
        self.active_consumers = active_consumers
        noun = "consumer still reads" if active_consumers == 1 else "consumers still read"
        replacement = state.deprecation.replacement if state.deprecation else None
        move = f" to '{replacement}'" if replacement else ""
        super().__init__(
            state,
            f"cannot retire product '{state.reference}' (status {state.status}): "
            f"{active_consumers} active {noun} it; wait until they have moved{move}, "
            "or force the retirement naming who decides (--force NAME)",
        )


def publish(state: LifecycleState, *, now: datetime) -> LifecycleState:
    """Publish a draft.

    Args:
        state: The product's current state; must be ``draft``.
        now: The current time (timezone-aware).

    Returns:
        The product published since ``now``.

    Raises:
        TransitionNotAllowed: The product is not a draft (publishing twice is refused too:
            ``apply`` compares states and calls this only when the status differs).
    """
    _require_aware(now, "now")
    if state.status is not Status.DRAFT:
        raise TransitionNotAllowed(state, Status.PUBLISHED, _advice(state, Status.PUBLISHED))
    return replace(state, status=Status.PUBLISHED, since=now)


def deprecate(
    state: LifecycleState,
    *,
    reason: str,
    sunset: date,
    replacement: str | None = None,
    now: datetime,
    policy: LifecyclePolicy = DEFAULT_POLICY,
) -> LifecycleState:
    """Deprecate a published product: it stays readable, but takes no new consumers.

    Args:
        state: The product's current state; must be ``published``.
        reason: Why, for the consumers who must move; not empty.
        sunset: The last day the product is served; after the UTC date of ``now``.
        replacement: The product to move to (``domain.product``, optionally ``.vN``); not the
            product itself.
        now: The current time (timezone-aware).
        policy: Minimum times between stages.

    Returns:
        The product deprecated since ``now``, with its deprecation details.

    Raises:
        TransitionNotAllowed: The product is not published.
        TooEarly: It has been published for less than
            ``policy.min_published_before_deprecate``.
        InvalidDeprecation: The reason is empty, the sunset is not in the future, or the
            replacement is malformed or names this product.
    """
    _require_aware(now, "now")
    if state.status is not Status.PUBLISHED:
        raise TransitionNotAllowed(state, Status.DEPRECATED, _advice(state, Status.DEPRECATED))
    _require_elapsed(state, Status.DEPRECATED, policy.min_published_before_deprecate, now)
    if not reason.strip():
        raise InvalidDeprecation(
            state, "the reason is empty; say why, so consumers know whether and where to move"
        )
    today = now.astimezone(UTC).date()
    if sunset <= today:
        raise InvalidDeprecation(
            state,
            f"the sunset {sunset.isoformat()} is not after today ({today.isoformat()}, UTC); "
            "give the last day the product will be served, in the future",
        )
    if replacement is not None and replacement in (state.product, state.reference):
        raise InvalidDeprecation(
            state,
            f"the replacement '{replacement}' is this product itself; name the product "
            "consumers should move to, or give none",
        )
    try:
        details = Deprecation(reason=reason, sunset=sunset, replacement=replacement)
    except ValidationError as exc:
        # Only the replacement's format can still be wrong here; its message says how to fix it.
        problem = "; ".join(
            str(error["msg"]).removeprefix("Value error, ") for error in exc.errors()
        )
        raise InvalidDeprecation(state, f"the replacement is invalid: {problem}") from exc
    return replace(state, status=Status.DEPRECATED, since=now, deprecation=details)


def retire(
    state: LifecycleState,
    *,
    active_consumers: int,
    force_by: str | None = None,
    now: datetime,
    policy: LifecyclePolicy = DEFAULT_POLICY,
) -> LifecycleState:
    """Retire a deprecated product; this is final.

    Args:
        state: The product's current state; must be ``deprecated``.
        active_consumers: How many consuming applications still read the product.
        force_by: Who decides to retire although consumers are active; recorded in the
            result's ``forced_by`` when it overrode them (not when none were active). It does
            not shorten the minimum deprecation time, which is the consumers' notice period.
        now: The current time (timezone-aware).
        policy: Minimum times between stages.

    Returns:
        The product retired since ``now``, keeping its deprecation details.

    Raises:
        TransitionNotAllowed: The product is not deprecated.
        TooEarly: It has been deprecated for less than ``policy.min_deprecated_before_retire``.
        ConsumersActive: Consumers are active and ``force_by`` names nobody.
    """
    _require_aware(now, "now")
    if active_consumers < 0:
        raise ValueError(f"active_consumers must be 0 or more, not {active_consumers}")
    if state.status is not Status.DEPRECATED:
        raise TransitionNotAllowed(state, Status.RETIRED, _advice(state, Status.RETIRED))
    _require_elapsed(state, Status.RETIRED, policy.min_deprecated_before_retire, now)
    forced_by = force_by.strip() if force_by is not None else ""
    if active_consumers > 0 and not forced_by:
        raise ConsumersActive(state, active_consumers)
    return replace(
        state,
        status=Status.RETIRED,
        since=now,
        forced_by=forced_by if active_consumers > 0 else None,
    )


def accepts_new_consumers(state: LifecycleState) -> bool:
    """Whether a new consuming application may start reading the product.

    Drafts do, so the owning team can try a product before publishing it; deprecated and
    retired products do not, so that no one starts depending on what is going away.
    """
    return state.status in (Status.DRAFT, Status.PUBLISHED)


HIDDEN_FROM_DEFAULT_SEARCH = frozenset({Status.DEPRECATED, Status.RETIRED})
"""Statuses a catalog search without a ``status`` filter leaves out (the catalog uses this).

Deprecated and retired products should not be picked up by new consumers. Drafts stay visible:
the owning team and early consumers look for candidates, and a draft's page says it is a draft.
"""


def visible_in_default_search(state: LifecycleState) -> bool:
    """Whether a catalog search without a ``status`` filter shows the product."""
    return state.status not in HIDDEN_FROM_DEFAULT_SEARCH


def _advice(state: LifecycleState, target: Status) -> str:
    # Why the transition does not start from the product's status, and what to do instead.
    if state.status is Status.RETIRED:
        return "retired is final; publish a new major version of the product to serve it again"
    if state.status is target:
        return f"it is {target} already; nothing to do"
    if state.status is Status.DRAFT:
        return "a draft can only be published; publish it first (`streammesh apply`)"
    if state.status is Status.PUBLISHED:
        return (
            "consumers get notice before a product is retired; deprecate it first "
            "(`streammesh deprecate`)"
        )
    return (
        "a deprecated product cannot be published again; publish a new major version "
        "to replace it, or retire it (`streammesh retire`)"
    )


def _require_elapsed(
    state: LifecycleState, target: Status, minimum: timedelta, now: datetime
) -> None:
    earliest = state.since + minimum
    if now < earliest:
        raise TooEarly(state, target, minimum, earliest)


def _require_aware(moment: datetime, name: str) -> None:
    # Naive datetimes compare wrongly across servers in different zones; refuse them early.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")


def _describe(duration: timedelta) -> str:
    if duration % _DAY == timedelta(0):
        days = duration // _DAY
        return f"{days} day" if days == 1 else f"{days} days"
    return str(duration)
