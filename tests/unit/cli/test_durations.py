from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streammesh.cli.durations import DurationSyntaxError, format_duration_ms, parse_duration_ms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500ms", 500),
        ("90s", 90_000),
        ("15m", 900_000),
        ("12h", 43_200_000),
        ("7d", 604_800_000),
        ("2w", 1_209_600_000),
        ("1d12h", 129_600_000),
        (" 7D ", 604_800_000),
        ("forever", None),
        ("unlimited", None),
    ],
)
def test_parses_durations(text: str, expected: int | None) -> None:
    assert parse_duration_ms(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "7 d", "7days", "-1d", "1.5h", "h12"])
def test_rejects_what_is_not_a_duration_and_says_what_is_accepted(text: str) -> None:
    with pytest.raises(DurationSyntaxError, match=r"e\.g\. '90s'"):
        parse_duration_ms(text)


def test_formats_in_days_and_smaller_units() -> None:
    assert format_duration_ms(604_800_000) == "7d"
    assert format_duration_ms(129_600_000) == "1d12h"
    assert format_duration_ms(1_500) == "1s500ms"
    assert format_duration_ms(0) == "0ms"
    assert format_duration_ms(None) == "forever"


@given(st.integers(min_value=0, max_value=10**15))
def test_formatting_parses_back_to_the_same_value(ms: int) -> None:
    assert parse_duration_ms(format_duration_ms(ms)) == ms
