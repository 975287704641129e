"""A stream event source mapping's failure handling, as pure logic: what to retry, what to give up on.

What is emulated (Lambda's stream semantics, simplified where noted):
- Success: the batch is done; the shard moves on.
- ReportBatchItemFailures and some records failed: the shard is checkpointed at the first failed record,
  and the batch is retried from there (records after it are redelivered even if they had succeeded).
- The function failed (raised, died, or answered an invalid batchItemFailures): the whole batch is retried;
  with BisectBatchOnFunctionError it is split in two halves first, retried one after the other, in order.
- Every retry counts against MaximumRetryAttempts (-1: forever), a half inheriting its batch's count plus one
  (Lambda does not count a split against the quota: locally it does, so a bad record is given up sooner).
  Once exhausted, the records still pending are given up (the OnFailure destination) and the shard moves on.
Not emulated: MaximumRecordAgeInSeconds, ParallelizationFactor, TumblingWindowInSeconds.
"""

from dataclasses import dataclass
from typing import Any

from local.event_sources.batches import Outcome

Record = dict[str, Any]


@dataclass(frozen=True)
class RetryPolicy:
    maximum_retry_attempts: int = -1
    bisect_on_function_error: bool = False


@dataclass(frozen=True)
class Attempt:
    """Records to deliver together, and how many times they have been retried already."""

    records: tuple[Record, ...]
    retries: int = 0


@dataclass(frozen=True)
class Decision:
    retry: tuple[Attempt, ...] = ()  # next on the shard, in order, before anything newer
    give_up: tuple[Record, ...] = ()  # for the OnFailure destination
    retries: int = 0  # how many retries the given-up records had


def sequence_number(record: Record) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def after_invocation(policy: RetryPolicy, attempt: Attempt, outcome: Outcome) -> Decision:
    if outcome.succeeded:
        return Decision()
    if outcome.error is None:  # a partial failure: retry from the first failed record
        failed = set(outcome.failed)
        first = next(i for i, record in enumerate(attempt.records) if sequence_number(record) in failed)
        parts = [attempt.records[first:]]
    elif policy.bisect_on_function_error and len(attempt.records) > 1:
        middle = len(attempt.records) // 2
        parts = [attempt.records[:middle], attempt.records[middle:]]
    else:
        parts = [attempt.records]
    retries = attempt.retries + 1
    if 0 <= policy.maximum_retry_attempts < retries:
        return Decision(give_up=tuple(record for part in parts for record in part), retries=attempt.retries)
    return Decision(retry=tuple(Attempt(part, retries) for part in parts))
