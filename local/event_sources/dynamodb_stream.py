"""A DynamoDB event source mapping on DynamoDB Local: poll the table's stream, filter, batch, retry.

Each shard is polled (GetRecords) every `poll_interval` (Lambda polls 4 times a second); its records, in the
Lambda event's shape, pass FilterCriteria (a record no filter matches is dropped, as Lambda drops it) and wait
for a batch: BatchSize records, or MaximumBatchingWindowInSeconds after the first one arrived. Per shard, in
order, one batch in flight: retries (local.event_sources.retries) come before anything newer. The position
is not persisted: every dev server start begins at the template's StartingPosition.
"""

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from local.event_sources.batches import Batch, Outcome
from local.event_sources.definitions import StreamDefinition
from local.event_sources.filters import RecordFilter
from local.event_sources.on_failure import OnFailureDestination
from local.event_sources.retries import Attempt, Record, RetryPolicy, after_invocation, sequence_number
from local.event_sources.shards import ShardMap
from local.event_sources.stream_records import lambda_record

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

POLL_INTERVAL_SECONDS = 0.25
_RESCAN_SECONDS = 30.0  # how often to look for new shards besides when one ends


@dataclass
class _Shard:
    shard_id: str
    start: str  # the iterator type it was opened with: LATEST or TRIM_HORIZON
    iterator: str | None
    last_sequence: str | None = None
    arrived: deque[tuple[float, Record]] = field(default_factory=deque)  # filtered, not yet in a batch
    retries: deque[Attempt] = field(default_factory=deque)


class DynamoDBStreamSource:
    def __init__(
        self,
        definition: StreamDefinition,
        streams: "DynamoDBStreamsClient",
        stream_arn: str,
        destination: OnFailureDestination,
        *,
        poll_interval: float = POLL_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.definition = definition
        self.function_id = definition.function_id
        self.stream_arn = stream_arn
        self._streams = streams
        self._filter = RecordFilter(definition.filter_patterns)
        self._policy = RetryPolicy(definition.maximum_retry_attempts, definition.bisect_on_function_error)
        self._destination = destination
        self._poll_interval = poll_interval
        self._clock = clock
        self._shard_map = ShardMap(streams, stream_arn, definition.starting_position)
        self._shards: dict[str, _Shard] = {}
        self._rescan_at = 0.0

    def describe(self) -> str:
        d = self.definition
        settings = [
            d.starting_position,
            f"batch {d.batch_size}",
            f"window {d.batching_window_seconds:g} s",
            f"{len(d.filter_patterns)} filter(s)" if d.filter_patterns else "no filter",
            "ReportBatchItemFailures" if d.report_batch_item_failures else "whole-batch failures",
            f"{'unlimited' if d.maximum_retry_attempts < 0 else d.maximum_retry_attempts} retries",
            "bisect on error" if d.bisect_on_function_error else "no bisect",
            self._destination.describe(),
        ]
        return (
            f"{self.function_id} <- DynamoDB stream of {d.table_id} ({d.event_name}): {', '.join(settings)}"
        )

    def start(self) -> None:
        self._open_new_shards()

    def next_batch(self, stop: threading.Event) -> Batch | None:
        batch = self._ready_batch()
        if batch is not None:
            return batch
        self._poll()
        batch = self._ready_batch()
        if batch is None:
            stop.wait(self._poll_interval)
        return batch

    def settle(self, batch: Batch, outcome: Outcome) -> None:
        shard, attempt = batch.context
        decision = after_invocation(self._policy, attempt, outcome)
        shard.retries.extendleft(reversed(decision.retry))
        if decision.give_up:
            self._destination.give_up(
                list(decision.give_up),
                shard_id=shard.shard_id,
                stream_arn=self.stream_arn,
                retries=decision.retries,
                error=outcome.error,
            )

    def _ready_batch(self) -> Batch | None:
        now = self._clock()
        for shard in self._shards.values():
            attempt = self._next_attempt(shard, now)
            if attempt is not None:
                event = {"Records": list(attempt.records)}
                ids = tuple(sequence_number(record) for record in attempt.records)
                return Batch(event, ids, context=(shard, attempt))
        return None

    def _next_attempt(self, shard: _Shard, now: float) -> Attempt | None:
        if shard.retries:
            return shard.retries.popleft()
        if not shard.arrived:
            return None
        size = self.definition.batch_size
        waited = now - shard.arrived[0][0]
        if len(shard.arrived) < size and waited < self.definition.batching_window_seconds:
            return None
        count = min(size, len(shard.arrived))
        return Attempt(tuple(shard.arrived.popleft()[1] for _ in range(count)))

    def _poll(self) -> None:
        if self._clock() >= self._rescan_at:
            self._open_new_shards()
        for shard in list(self._shards.values()):
            if shard.retries or len(shard.arrived) >= self.definition.batch_size:
                continue  # one batch in flight per shard; enough records waiting already
            if shard.iterator is None:
                if not shard.arrived:
                    del self._shards[shard.shard_id]
                    self._shard_map.finished(shard.shard_id)
                    self._open_new_shards()  # its children, if it closed
                continue
            self._read(shard)

    def _read(self, shard: _Shard) -> None:
        try:
            page = self._streams.get_records(ShardIterator=shard.iterator or "", Limit=1000)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "ExpiredIteratorException":
                # Lambda's iterators never expire unused for 15 minutes; ours can, while a function runs long.
                shard.iterator = self._iterator(shard.shard_id, shard.start, shard.last_sequence)
                return
            if code == "TrimmedDataAccessException" and shard.last_sequence is None:
                # DynamoDB Local numbers stream records across all its tables: when another table is written
                # first, a shard's first record comes after the position of an iterator taken while it was
                # empty, and reading there fails as "trimmed", for good. Every record the shard holds came
                # after that position (real DynamoDB: the oldest left), so read on from its oldest one.
                shard.iterator = self._iterator(shard.shard_id, "TRIM_HORIZON", None)
                return
            raise
        arrived = self._clock()
        for raw in page.get("Records", []):
            record = lambda_record(dict(raw), self.stream_arn)
            shard.last_sequence = sequence_number(record)
            if self._filter(record):
                shard.arrived.append((arrived, record))
        shard.iterator = page.get("NextShardIterator")  # none: the shard is closed and read to its end

    def _open_new_shards(self) -> None:
        self._rescan_at = self._clock() + _RESCAN_SECONDS
        for shard_id, iterator_type in self._shard_map.new_shards():
            iterator = self._iterator(shard_id, iterator_type, None)
            self._shards[shard_id] = _Shard(shard_id, iterator_type, iterator)

    def _iterator(self, shard_id: str, start: str, after: str | None) -> str | None:
        """An iterator just past `after` when records were read, else at the shard's `start`."""
        if after is not None:
            answer = self._streams.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=after,
            )
        else:
            answer = self._streams.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=shard_id,
                ShardIteratorType="LATEST" if start == "LATEST" else "TRIM_HORIZON",
            )
        return answer.get("ShardIterator")
