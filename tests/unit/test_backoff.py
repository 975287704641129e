"""Retry delays: exponential, jittered within known bounds, capped at SQS's 12 h; enough attempts for 24 h."""

from __future__ import annotations

import itertools
import random

import pytest

from messaging.delivery.backoff import (
    SQS_MAX_VISIBILITY_S,
    attempts_for,
    delay_bounds,
    retry_delay_seconds,
)

DAY_S = 86_400


class Lowest:
    def randint(self, a: int, b: int) -> int:
        return a


class Highest:
    def randint(self, a: int, b: int) -> int:
        return b


@pytest.mark.parametrize("base_s", [0.1, 1, 30, 60, 3600])
def test_bounds_grow_monotonically_to_the_cap(base_s: float) -> None:
    bounds = [delay_bounds(attempt, base_s=base_s) for attempt in range(1, 80)]
    for (low, high), (next_low, next_high) in itertools.pairwise(bounds):
        assert 1 <= low <= high <= SQS_MAX_VISIBILITY_S
        assert next_low >= low
        assert next_high >= high
    assert bounds[-1] == (SQS_MAX_VISIBILITY_S // 2, SQS_MAX_VISIBILITY_S)


def test_the_steps_double_with_equal_jitter() -> None:
    assert [delay_bounds(attempt, base_s=30) for attempt in range(1, 5)] == [
        (15, 30),
        (30, 60),
        (60, 120),
        (120, 240),
    ]
    assert retry_delay_seconds(3, base_s=30, rng=Lowest()) == 60
    assert retry_delay_seconds(3, base_s=30, rng=Highest()) == 120


def test_draws_stay_within_the_bounds_and_spread() -> None:
    rng = random.Random(7)
    for attempt in range(1, 30):
        low, high = delay_bounds(attempt, base_s=30)
        draws = [retry_delay_seconds(attempt, base_s=30, rng=rng) for _ in range(200)]
        assert all(low <= draw <= high for draw in draws)
        assert all(isinstance(draw, int) for draw in draws)
        if high - low >= 10:
            assert len(set(draws)) > 5  # jittered, not one value


def test_the_default_rng_is_random() -> None:
    assert 15 <= retry_delay_seconds(1, base_s=30) <= 30


@pytest.mark.parametrize("attempt", [16, 100, 10_000, 10**9])
def test_the_cap_is_12_hours_and_huge_attempts_do_not_overflow(attempt: int) -> None:
    assert retry_delay_seconds(attempt, base_s=30, rng=Highest()) == SQS_MAX_VISIBILITY_S
    assert retry_delay_seconds(attempt, base_s=30, rng=Lowest()) == SQS_MAX_VISIBILITY_S // 2
    assert retry_delay_seconds(attempt, base_s=30, cap_s=600, rng=Highest()) == 600


def test_at_least_one_second() -> None:
    assert delay_bounds(1, base_s=0.001) == (1, 1)
    assert retry_delay_seconds(1, base_s=0.3) == 1
    assert delay_bounds(1, base_s=3) == (2, 3)
    # a 2 s step draws from half of it (1 s) to all of it, like any other
    assert delay_bounds(1, base_s=2) == (1, 2)


CAP_RANGE = f"the cap must be from 1 s to {SQS_MAX_VISIBILITY_S} s (SQS's longest visibility)"


@pytest.mark.parametrize(
    ("attempt", "base_s", "cap_s", "message"),
    [
        (0, 30, 600, "attempts are counted from 1"),
        (-1, 30, 600, "attempts are counted from 1"),
        (1, 0, 600, "the base delay must be positive"),
        (1, -5, 600, "the base delay must be positive"),
        (1, 30, 0.5, CAP_RANGE),
        (1, 30, SQS_MAX_VISIBILITY_S + 1, CAP_RANGE),
    ],
)
def test_bad_arguments_are_refused_saying_which_rule(
    attempt: int, base_s: float, cap_s: float, message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        retry_delay_seconds(attempt, base_s=base_s, cap_s=cap_s)
    assert str(refused.value) == message


def test_the_cap_may_be_anything_from_one_second_to_12_hours() -> None:
    assert delay_bounds(1, base_s=30, cap_s=1) == (1, 1)
    assert delay_bounds(1, base_s=SQS_MAX_VISIBILITY_S * 2, cap_s=SQS_MAX_VISIBILITY_S) == (
        SQS_MAX_VISIBILITY_S // 2,
        SQS_MAX_VISIBILITY_S,
    )


def spanned(attempts: int, base_s: float, cap_s: float, rng: Lowest | Highest) -> int:
    """The time from the first attempt to the last: the delays after each failed attempt but the last."""
    return sum(retry_delay_seconds(n, base_s=base_s, cap_s=cap_s, rng=rng) for n in range(1, attempts))


def test_attempts_for_a_day_with_a_30_s_base() -> None:
    attempts = attempts_for(DAY_S, 30)
    assert attempts == 15
    assert spanned(attempts, 30, SQS_MAX_VISIBILITY_S, Lowest()) >= DAY_S  # even with the shortest draws
    assert spanned(attempts - 1, 30, SQS_MAX_VISIBILITY_S, Lowest()) < DAY_S  # and no more than needed
    assert spanned(attempts, 30, SQS_MAX_VISIBILITY_S, Highest()) < 3 * DAY_S  # parked within 3 days at most


@pytest.mark.parametrize("window_s", [0, 1, 60, 3600, DAY_S, 2 * DAY_S, 14 * DAY_S])
@pytest.mark.parametrize(("base_s", "cap_s"), [(1, 60), (30, 3600), (30, SQS_MAX_VISIBILITY_S), (600, 7200)])
def test_attempts_for_always_spans_the_window(window_s: int, base_s: float, cap_s: float) -> None:
    attempts = attempts_for(window_s, base_s, cap_s)
    assert attempts >= 1
    assert spanned(attempts, base_s, cap_s, Lowest()) >= window_s
    if attempts > 1:
        assert spanned(attempts - 1, base_s, cap_s, Lowest()) < window_s
    rng = random.Random(window_s)
    total = sum(retry_delay_seconds(n, base_s=base_s, cap_s=cap_s, rng=rng) for n in range(1, attempts))
    assert total >= window_s


def test_attempts_for_refuses_a_negative_window() -> None:
    with pytest.raises(ValueError) as refused:
        attempts_for(-1, 30)
    assert str(refused.value) == "the window cannot be negative"
