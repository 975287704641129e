"""The webhook pipeline as the bench drives it, in-process, on the local engines: DynamoDB Local's stream →
dispatch_webhooks → the webhook queue (SQS FIFO, on the local queue engine) → deliver_webhooks → a receiver
on 127.0.0.1 standing in for the business.

- The stream: the conversations table's real stream records (DynamoDB Local's), through the dispatch
  function's event source mapping as `make dev` runs it (local.event_sources.dynamodb_stream: the template's
  FilterCriteria and starting position). So the records a conversation sends to dispatch are
  counted from its writes, not assumed: a customer's message removes the outbox and never reaches dispatch.
- Dispatch: invoked with ASSUMED_RECORDS_PER_DISPATCH records per invocation (bench.cost), as Lambda's event
  source mapping would hand them.
- Delivery: the bench plays the event source mapping (local.event_sources.sqs: ReceiveMessage with every
  attribute, the function invoked, the messages it did not report deleted), ASSUMED_MESSAGES_PER_DELIVERY
  messages per batch. The receiver verifies each Standard Webhooks signature (local.webhook_receiver): a
  delivery that is not accepted stops the bench.
- SQS requests are counted on the functions' own SQS clients, each with the 64 KB chunks its request body
  bills (SQS bills every 64 KB chunk of a payload as one request).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.cost import ASSUMED_MESSAGES_PER_DELIVERY, ASSUMED_RECORDS_PER_DISPATCH
from bench.workload import FUNCTION_IDS, TEMPLATE
from local.dynamodb_local import dynamodb_client, dynamodb_streams_client
from local.event_sources.batches import Batch
from local.event_sources.definitions import read_definitions
from local.event_sources.dynamodb_stream import DynamoDBStreamSource
from local.event_sources.invoker import batch_item_failures
from local.event_sources.on_failure import OnFailureDestination
from local.event_sources.sqs import SqsQueueSource
from local.queues import LOCAL_ACCOUNT

SQS_CHUNK_BYTES = 64 * 1024
STREAM_WAIT_S = 30.0


@dataclass
class SqsCalls:
    """The SQS requests one client made: operation names, and the 64 KB chunks each bills."""

    operations: list[str] = field(default_factory=list)
    chunks: int = 0


@contextmanager
def count_sqs_calls(client: Any) -> Iterator[SqsCalls]:
    """Every HTTP request the client sends to SQS (each retry counts), by operation (JSON protocol's
    X-Amz-Target), with the 64 KB chunks of its body."""
    calls = SqsCalls()

    def record(request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        calls.operations.append((target.decode() if isinstance(target, bytes) else target).rpartition(".")[2])
        body = request.body or b""
        calls.chunks += max(1, math.ceil(len(body) / SQS_CHUNK_BYTES))

    client.meta.events.register("before-send.sqs", record)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-send.sqs", record)


def stream_source(endpoint: str, table: str, scratch: Path) -> DynamoDBStreamSource:
    """The dispatch function's event source mapping as the template defines it (its FilterCriteria, its
    starting position), on DynamoDB Local's stream of `table`, batches of ASSUMED_RECORDS_PER_DISPATCH
    handed at once (no batching window: the assumption already says how full a batch is)."""
    function_id = FUNCTION_IDS["dispatch_webhooks"]
    (stream,) = [s for s in read_definitions(TEMPLATE).streams if s.function_id == function_id]
    definition = replace(stream, batch_size=ASSUMED_RECORDS_PER_DISPATCH, batching_window_seconds=0.0)
    arn = dynamodb_client(endpoint).describe_table(TableName=table)["Table"]["LatestStreamArn"]
    destination = OnFailureDestination(function_id, None, None, scratch)
    source = DynamoDBStreamSource(definition, dynamodb_streams_client(endpoint), arn, destination)
    source.start()
    return source


def keys_of(batch: Batch) -> set[str]:
    """The partition keys of a stream batch's records (which conversations it is about)."""
    return {str(record["dynamodb"]["Keys"]["pk"]["S"]) for record in batch.event["Records"]}


def delivery_source(client: Any, url: str) -> SqsQueueSource:
    """The deliver function's event source mapping as the template defines it, batches of
    ASSUMED_MESSAGES_PER_DELIVERY, on the local queue engine's queue at `url` (the functions'
    WEBHOOK_QUEUE_URL)."""
    function_id = FUNCTION_IDS["deliver_webhooks"]
    (queue,) = [q for q in read_definitions(TEMPLATE).queues if q.function_id == function_id]
    arn = f"arn:aws:sqs:us-east-1:{LOCAL_ACCOUNT}:{url.rstrip('/').rpartition('/')[2]}"
    definition = replace(queue, batch_size=ASSUMED_MESSAGES_PER_DELIVERY)
    return SqsQueueSource(definition, client, url, arn)


def next_batch(source: DynamoDBStreamSource | SqsQueueSource, timeout_s: float = STREAM_WAIT_S) -> Batch:
    stop = threading.Event()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        batch = source.next_batch(stop)
        if batch is not None:
            return batch
    raise RuntimeError(f"{source.describe()}: nothing within {timeout_s:g} s")


def settle(source: SqsQueueSource, batch: Batch, answer: Any) -> None:
    """What the event source mapping does after the invocation: deletes what did not fail."""
    outcome = batch_item_failures(answer, batch.item_ids)
    if outcome.failed or outcome.error:
        raise RuntimeError(f"delivery failed: {answer}")
    source.settle(batch, outcome)
