"""What travels between a source and the invoker: a batch (the function's event) and its outcome."""

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Batch:
    """One invocation's worth of work from a source.

    `event` is what the function receives. `item_ids` are the ids a ReportBatchItemFailures answer may name
    (a stream record's SequenceNumber, an SQS message's messageId), in the batch's order; none for a schedule.
    `context` is the source's own bookkeeping (which shard, which attempt): the invoker never reads it.
    """

    event: dict[str, Any]
    item_ids: tuple[str, ...] = ()
    context: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Outcome:
    """What the invocation left: the failed items (all of them when the function failed) and why."""

    failed: tuple[str, ...] = ()
    error: str | None = None  # set when the whole batch failed: the function raised or answered nonsense
    result: Any = None

    @property
    def succeeded(self) -> bool:
        return not self.failed and self.error is None


class EventSource(Protocol):
    """A poller: yields batches for one function and applies its own failure semantics to their outcomes."""

    function_id: str

    def describe(self) -> str:
        """One line for the dev server's banner."""
        ...

    def start(self) -> None:
        """Takes its starting position (a stream's LATEST iterators) before the server says it is ready."""
        ...

    def next_batch(self, stop: threading.Event) -> Batch | None:
        """The next batch, or None after waiting up to one poll interval (or when `stop` is set)."""
        ...

    def settle(self, batch: Batch, outcome: Outcome) -> None:
        """Acknowledge, retry or give up on the batch."""
        ...
