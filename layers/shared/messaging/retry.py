"""Bounded retries with full-jitter backoff: the one place that decides how long to wait and how often.

botocore's standard retry mode already retries throttling and 5xx inside each call; what lands here is a
transaction that lost a race (TransactionConflict, a condition another writer just changed): retried a few
times with jitter, 5 ms doubling to 160 ms, so that the winner can finish, then StoreBusy (503).

Writers of one conversation (its activities and events) race for its next messageId: 64 sending at once is
a queue on one item, where the last one in loses ~10 races, each to a writer that made progress (measured on
DynamoDB Local; in AWS the same races come back as TransactionConflict). They get a larger budget,
CONVERSATION_ATTEMPTS (≤ ~3.5 s of jittered waits in all), and wait after a lost race too, so that the queue
drains instead of the losers colliding again at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

from messaging.domain.errors import StoreBusy

MAX_ATTEMPTS = 8
CONVERSATION_ATTEMPTS = 24
_BASE_S = 0.005
_CAP_S = 0.160


def attempts(operation: str, maximum: int = MAX_ATTEMPTS) -> Iterator[int]:
    """Yields attempt numbers; the caller `continue`s to retry (after `backoff`) and returns on success."""
    yield from range(maximum)
    raise StoreBusy(f"{operation} did not settle after {maximum} attempts")


def backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(_CAP_S, _BASE_S * 2**attempt)))  # noqa: S311 - jitter, not cryptography


def reseed() -> None:
    """A new seed for the jitter (SnapStart: environments restored from one snapshot share its state)."""
    random.seed()
