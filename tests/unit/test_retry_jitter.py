"""messaging.retry: a transaction that lost a race is retried a bounded number of times, each after a
full-jitter wait (anywhere from nothing to 5 ms doubling per attempt, capped at 160 ms), then the store is
busy (503)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from messaging import retry
from messaging.domain.errors import StoreBusy

BASE_S, CAP_S = 0.005, 0.160  # the contract's 5 ms doubling to 160 ms


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What backoff asks time.sleep to wait, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


@pytest.mark.parametrize(("draw", "name"), [(max, "longest"), (min, "shortest")])
def test_the_wait_after_each_lost_race_is_drawn_between_nothing_and_a_doubling_capped_bound(
    monkeypatch: pytest.MonkeyPatch, waits: list[float], draw: Callable[[float, float], float], name: str
) -> None:
    # Given the jitter drawing the longest (or the shortest) wait its range allows
    monkeypatch.setattr(random, "uniform", draw)
    # When each attempt of a full budget backs off
    for attempt in range(retry.CONVERSATION_ATTEMPTS):
        retry.backoff(attempt)
    # Then the longest waits double from 5 ms up to 160 ms and stay there; the shortest is no wait at all
    bounds = [min(CAP_S, BASE_S * 2**attempt) for attempt in range(retry.CONVERSATION_ATTEMPTS)]
    assert waits == pytest.approx(bounds if name == "longest" else [0.0] * len(bounds))


def test_a_whole_conversation_budget_waits_at_most_about_three_and_a_half_seconds(waits: list[float]) -> None:
    # Given real jitter, When every attempt of the largest budget backs off
    for attempt in range(retry.CONVERSATION_ATTEMPTS):
        retry.backoff(attempt)
    # Then no wait is negative or over the cap, and all together stay within the documented ~3.5 s
    assert all(0 <= wait <= CAP_S for wait in waits)
    assert len(waits) == retry.CONVERSATION_ATTEMPTS
    assert sum(waits) <= 3.5


@pytest.mark.parametrize("maximum", [1, retry.MAX_ATTEMPTS, retry.CONVERSATION_ATTEMPTS])
def test_attempts_are_numbered_from_zero_and_running_out_of_them_is_a_busy_store(maximum: int) -> None:
    # Given an operation that never settles, When it takes every attempt it is given
    taken: list[int] = []
    with pytest.raises(StoreBusy) as busy:
        for attempt in retry.attempts("close", maximum):
            taken.append(attempt)
    # Then it had exactly its budget, and the store is busy saying which operation gave up after how many
    assert taken == list(range(maximum))
    assert str(busy.value) == f"close did not settle after {maximum} attempts"
