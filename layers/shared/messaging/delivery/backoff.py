"""How long a failed webhook delivery waits before its next attempt, and how many attempts cover 24 hours.

The contract retries a failed delivery "with exponential backoff for at least 24 h", then parks it. The
delivery Lambda makes a failed SQS message visible again after `retry_delay_seconds(receive_count)` (an
SQS visibility timeout: whole seconds, at most 12 h), and the queue's maxReceiveCount, from `attempts_for`,
moves it to the dead-letter queue after the last attempt.

Equal jitter rather than full jitter: a delay is drawn from [half, all] of the exponential step, never below
half. Full jitter could draw near-zero delays, and then no attempt count would guarantee the 24 h window;
with a lower bound, `attempts_for` counts on the bound and the window holds whatever the draws are, while the
upper half still spreads out the retries of many conversations that failed together.
"""

from __future__ import annotations

import math
import random
from typing import Protocol

SQS_MAX_VISIBILITY_S = 43_200  # 12 h: the longest an SQS message can be hidden
_MAX_EXPONENT = 64  # beyond this every step is capped anyway; keeps 2**n from growing without bound


class RandomInts(Protocol):
    """The part of `random` used here (the module, or a seeded `random.Random` in tests)."""

    def randint(self, a: int, b: int) -> int: ...


def delay_bounds(attempt: int, *, base_s: float, cap_s: float = SQS_MAX_VISIBILITY_S) -> tuple[int, int]:
    """The smallest and largest delay after failed attempt number `attempt` (1 = the first attempt)."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    if not base_s > 0:
        raise ValueError("the base delay must be positive")
    if not 1 <= cap_s <= SQS_MAX_VISIBILITY_S:
        raise ValueError(f"the cap must be from 1 s to {SQS_MAX_VISIBILITY_S} s (SQS's longest visibility)")
    step = min(cap_s, base_s * 2.0 ** min(attempt - 1, _MAX_EXPONENT))
    high = max(1, math.floor(step))
    low = min(high, max(1, math.ceil(step / 2)))
    return low, high


def retry_delay_seconds(
    attempt: int, *, base_s: float, cap_s: float = SQS_MAX_VISIBILITY_S, rng: RandomInts = random
) -> int:
    """Seconds to wait after failed attempt `attempt`: base · 2^(attempt-1) capped, equal jitter, ≥ 1 s.

    `attempt` is the number of the attempt that just failed: SQS's ApproximateReceiveCount.
    """
    low, high = delay_bounds(attempt, base_s=base_s, cap_s=cap_s)
    return rng.randint(low, high)


def attempts_for(window_s: float, base_s: float, cap_s: float = SQS_MAX_VISIBILITY_S) -> int:
    """How many attempts (the first included) make the retries span at least `window_s`, whatever the jitter.

    The span from the first attempt to the last is the sum of the delays between them; each delay is at least
    its lower bound, so the count is found on the lower bounds. Use it as the queue's maxReceiveCount.
    """
    if window_s < 0:
        raise ValueError("the window cannot be negative")
    attempts, spanned = 1, 0
    while spanned < window_s:
        spanned += delay_bounds(attempts, base_s=base_s, cap_s=cap_s)[0]
        attempts += 1
    return attempts
