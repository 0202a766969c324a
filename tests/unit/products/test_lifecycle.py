"""Lifecycle rules: every allowed and refused transition, minimum times, forced retirement."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from streammesh.errors import ConfigError
from streammesh.products.descriptor import Deprecation, Status
from streammesh.products.errors import ProductError
from streammesh.products.lifecycle import (
    ConsumersActive,
    InvalidDeprecation,
    LifecycleError,
    LifecyclePolicy,
    LifecycleState,
    TooEarly,
    TransitionNotAllowed,
    accepts_new_consumers,
    deprecate,
    publish,
    retire,
    visible_in_default_search,
)

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
SUNSET = date(2026, 6, 30)
NAME = "execution.stocktrades"


def _draft() -> LifecycleState:
    return LifecycleState.draft(NAME, 1, T0)


def _published(at: datetime = T0) -> LifecycleState:
    return publish(_draft(), now=at)


def _deprecated(at: datetime = T0, replacement: str | None = None) -> LifecycleState:
    return deprecate(
        _published(at),
        reason="split per venue",
        sunset=SUNSET,
        replacement=replacement,
        now=at,
    )


def _retired(at: datetime = T0) -> LifecycleState:
    return retire(_deprecated(at), active_consumers=0, now=at + timedelta(days=30))


# --- allowed transitions -------------------------------------------------------------------


def test_publish_moves_a_draft_to_published_since_now() -> None:
    later = T0 + timedelta(hours=3)
    draft = _draft()

    state = publish(draft, now=later)

    assert (state.status, state.since) == (Status.PUBLISHED, later)
    assert draft.status is Status.DRAFT  # the input is untouched


def test_deprecate_records_reason_sunset_and_replacement() -> None:
    now = T0 + timedelta(days=1)

    state = deprecate(
        _published(),
        reason="split per venue",
        sunset=SUNSET,
        replacement="execution.stocktrades.v2",
        now=now,
    )

    assert (state.status, state.since) == (Status.DEPRECATED, now)
    assert state.deprecation == Deprecation(
        reason="split per venue", sunset=SUNSET, replacement="execution.stocktrades.v2"
    )


def test_deprecate_without_replacement() -> None:
    assert _deprecated().deprecation == Deprecation(reason="split per venue", sunset=SUNSET)


def test_retire_without_consumers_is_not_forced_and_keeps_the_deprecation() -> None:
    deprecated = _deprecated()
    now = T0 + timedelta(days=31)

    state = retire(deprecated, active_consumers=0, force_by="ada", now=now)

    assert (state.status, state.since) == (Status.RETIRED, now)
    assert state.forced_by is None  # nothing was overridden
    assert state.deprecation == deprecated.deprecation


def test_retire_with_active_consumers_is_recorded_when_forced() -> None:
    state = retire(
        _deprecated(), active_consumers=2, force_by="  ada  ", now=T0 + timedelta(days=30)
    )

    assert state.status is Status.RETIRED
    assert state.forced_by == "ada"


# --- refused transitions -------------------------------------------------------------------

REFUSED = [
    ("draft", "deprecate"),
    ("draft", "retire"),
    ("published", "publish"),
    ("published", "retire"),
    ("deprecated", "publish"),
    ("deprecated", "deprecate"),
    ("retired", "publish"),
    ("retired", "deprecate"),
    ("retired", "retire"),
]


def _state(status: str) -> LifecycleState:
    return {
        "draft": _draft,
        "published": _published,
        "deprecated": _deprecated,
        "retired": _retired,
    }[status]()


def _attempt(state: LifecycleState, transition: str) -> LifecycleState:
    far = T0 + timedelta(days=400)
    if transition == "publish":
        return publish(state, now=far)
    if transition == "deprecate":
        return deprecate(state, reason="r", sunset=date(2028, 1, 1), now=far)
    return retire(state, active_consumers=0, now=far)


@pytest.mark.parametrize(("status", "transition"), REFUSED)
def test_transitions_outside_the_chain_are_refused(status: str, transition: str) -> None:
    state = _state(status)

    with pytest.raises(TransitionNotAllowed) as caught:
        _attempt(state, transition)

    message = str(caught.value)
    assert f"'{NAME}.v1'" in message
    assert f"from {status}" in message
    assert caught.value.status is state.status
    assert caught.value.product == f"{NAME}.v1"


def test_retired_is_final_and_says_to_publish_a_new_version() -> None:
    with pytest.raises(TransitionNotAllowed, match="retired is final; publish a new major"):
        publish(_retired(), now=T0 + timedelta(days=400))


def test_retiring_a_published_product_says_to_deprecate_first() -> None:
    with pytest.raises(TransitionNotAllowed, match="deprecate it first"):
        retire(_published(), active_consumers=0, now=T0 + timedelta(days=400))


def test_deprecating_a_draft_says_to_publish_first() -> None:
    with pytest.raises(TransitionNotAllowed, match="publish it first"):
        deprecate(_draft(), reason="r", sunset=SUNSET, now=T0)


def test_errors_are_product_errors() -> None:
    assert issubclass(LifecycleError, ProductError)
    for error in (TransitionNotAllowed, TooEarly, InvalidDeprecation, ConsumersActive):
        assert issubclass(error, LifecycleError)


# --- minimum time between stages -----------------------------------------------------------


def test_retire_is_allowed_exactly_at_the_minimum_deprecation_time() -> None:
    state = retire(_deprecated(), active_consumers=0, now=T0 + timedelta(days=30))

    assert state.status is Status.RETIRED


def test_retire_a_moment_before_the_minimum_deprecation_time_is_too_early() -> None:
    deprecated = _deprecated()
    now = T0 + timedelta(days=30) - timedelta(microseconds=1)

    with pytest.raises(TooEarly) as caught:
        retire(deprecated, active_consumers=0, force_by="ada", now=now)

    message = str(caught.value)
    assert f"'{NAME}.v1'" in message
    assert "deprecated only since 2026-01-10T12:00:00+00:00" in message
    assert "at least 30 days" in message
    assert "try again from 2026-02-09T12:00:00+00:00" in message
    assert caught.value.earliest == T0 + timedelta(days=30)


def test_deprecate_is_allowed_at_once_by_default() -> None:
    assert _deprecated(T0).since == T0


def test_deprecate_respects_a_configured_minimum_publication_time() -> None:
    policy = LifecyclePolicy(min_published_before_deprecate=timedelta(days=7))
    published = _published()

    with pytest.raises(TooEarly, match=r"published only since .* at least 7 days"):
        deprecate(
            published,
            reason="r",
            sunset=SUNSET,
            now=T0 + timedelta(days=7, seconds=-1),
            policy=policy,
        )
    state = deprecate(
        published, reason="r", sunset=SUNSET, now=T0 + timedelta(days=7), policy=policy
    )
    assert state.status is Status.DEPRECATED


def test_a_shorter_retirement_notice_can_be_configured() -> None:
    policy = LifecyclePolicy(min_deprecated_before_retire=timedelta(hours=1))

    state = retire(_deprecated(), active_consumers=0, now=T0 + timedelta(hours=1), policy=policy)

    assert state.status is Status.RETIRED


def test_the_default_policy_gives_thirty_days_notice() -> None:
    policy = LifecyclePolicy()

    assert policy.min_published_before_deprecate == timedelta(0)
    assert policy.min_deprecated_before_retire == timedelta(days=30)


def test_a_negative_minimum_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="min_deprecated_before_retire"):
        LifecyclePolicy(min_deprecated_before_retire=timedelta(days=-1))


# --- deprecation details -------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_deprecate_needs_a_reason(reason: str) -> None:
    with pytest.raises(InvalidDeprecation, match="reason is empty") as caught:
        deprecate(_published(), reason=reason, sunset=SUNSET, now=T0)

    assert f"'{NAME}.v1' (status published)" in str(caught.value)


@pytest.mark.parametrize("sunset", [date(2026, 1, 10), date(2026, 1, 9)])
def test_deprecate_needs_a_sunset_after_today(sunset: date) -> None:
    with pytest.raises(InvalidDeprecation, match="is not after today \\(2026-01-10, UTC\\)"):
        deprecate(_published(), reason="r", sunset=sunset, now=T0)


def test_the_sunset_compares_with_the_utc_date() -> None:
    # 2026-01-11 01:00 at UTC+2 is still 2026-01-10 in UTC, so the 11th is in the future.
    local = datetime(2026, 1, 11, 1, 0, tzinfo=timezone(timedelta(hours=2)))

    state = deprecate(_published(), reason="r", sunset=date(2026, 1, 11), now=local)

    assert state.deprecation is not None
    assert state.deprecation.sunset == date(2026, 1, 11)


@pytest.mark.parametrize("replacement", [NAME, f"{NAME}.v1"])
def test_the_replacement_cannot_be_the_product_itself(replacement: str) -> None:
    with pytest.raises(InvalidDeprecation, match="is this product itself"):
        deprecate(_published(), reason="r", sunset=SUNSET, replacement=replacement, now=T0)


def test_a_malformed_replacement_is_refused_with_the_naming_rule() -> None:
    with pytest.raises(InvalidDeprecation, match="replacement is invalid: 'Stock Trades'"):
        deprecate(_published(), reason="r", sunset=SUNSET, replacement="Stock Trades", now=T0)


# --- active consumers ----------------------------------------------------------------------


@pytest.mark.parametrize("force_by", [None, "", "  "])
def test_retire_is_refused_while_consumers_are_active(force_by: str | None) -> None:
    deprecated = _deprecated(replacement="execution.stocktrades.v2")

    with pytest.raises(ConsumersActive) as caught:
        retire(deprecated, active_consumers=3, force_by=force_by, now=T0 + timedelta(days=60))

    message = str(caught.value)
    assert f"'{NAME}.v1' (status deprecated)" in message
    assert "3 active consumers still read it" in message
    assert "moved to 'execution.stocktrades.v2'" in message
    assert "--force" in message
    assert caught.value.active_consumers == 3


def test_force_does_not_shorten_the_notice_period() -> None:
    with pytest.raises(TooEarly):
        retire(_deprecated(), active_consumers=1, force_by="ada", now=T0 + timedelta(days=29))


# --- consumers and search ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "accepts", "visible"),
    [
        ("draft", True, True),
        ("published", True, True),
        ("deprecated", False, False),
        ("retired", False, False),
    ],
)
def test_new_consumers_and_default_search_by_status(
    status: str, accepts: bool, visible: bool
) -> None:
    state = _state(status)

    assert accepts_new_consumers(state) is accepts
    assert visible_in_default_search(state) is visible


# --- state invariants ----------------------------------------------------------------------


def test_time_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        publish(_draft(), now=datetime(2026, 1, 10, 12, 0))


def test_a_deprecated_state_needs_its_deprecation() -> None:
    with pytest.raises(ValueError, match="deprecation must be set"):
        LifecycleState(NAME, 1, Status.DEPRECATED, T0)


def test_only_a_retired_state_records_who_forced_it() -> None:
    with pytest.raises(ValueError, match="forced_by"):
        LifecycleState(NAME, 1, Status.PUBLISHED, T0, forced_by="ada")
