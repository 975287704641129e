"""DynamoDB round trips and request units per operation, counted on each handler's own client
(tests.harness.count_dynamodb_calls: every HTTP request, retries included; bench.capacity: request units,
index writes), and its SQS requests (bench.delivery.count_sqs_calls). Every scenario names its function by
its template folder; the sweeper's, the purge's and the webhook pipeline's runs are here too (their work,
duration and log bytes feed the cost).

Each repetition also runs a conversation with messages (create, accept, the customer's and the
representative's messages, the transcript's pages, the context, end, close), then takes its webhook
deliveries through the pipeline (bench.delivery): the stream's records of that conversation that pass the
dispatch function's filter, dispatch_webhooks on them, deliver_webhooks on what the queue then holds, to a
receiver on 127.0.0.1 that verifies every signature; then its purge.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import REPO, delivery, gsi
from bench.capacity import Capacity, measure_capacity
from bench.delivery import SqsCalls, count_sqs_calls
from bench.report import median
from bench.warm import stdout_sink
from bench.workload import (
    CUSTOMER_MESSAGES,
    OPERATIONS,
    REPRESENTATIVE_MESSAGES,
    TENANT,
    TRANSCRIPT_PAGE,
    channel_event,
    channel_get_event,
    channel_rotate_event,
    context_event,
    context_update_event,
    create_event,
    end_of_conversation_event,
    get_event,
    list_event,
    message_event,
    queue_event,
    representative_event,
    representative_get_event,
    representative_message_event,
    representative_typing_event,
    transcript_event,
)
from local.dynamodb_local import dynamodb_client as local_client
from local.dynamodb_local import free_port
from local.event_sources.batches import Outcome
from local.events import lambda_context
from local.sqs_local import sqs_client as local_sqs_client
from local.webhook_receiver import WebhookReceiver
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.client import dynamodb_client
from messaging.store.outbox import sqs_client
from tests.harness import CREATE, api_event, count_dynamodb_calls, load_handler


@dataclass
class Counted:
    function: str  # template folder
    calls: list[int] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)  # of the last repetition
    read_units: list[float] = field(default_factory=list)  # billed (bench.capacity)
    write_units: list[float] = field(default_factory=list)  # billed, the table's items
    index_write_units: list[float] = field(default_factory=list)  # billed, by the index rules (bench.gsi)
    index_writes: list[gsi.IndexWrite] = field(default_factory=list)  # of the last repetition
    reported_read_units: list[float] = field(default_factory=list)  # as DynamoDB Local reports them
    reported_write_units: list[float] = field(default_factory=list)
    reported_index_write_units: list[float] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)  # where the billed figures come from
    # Timed runs of the sweeper and the purge (without the capacity hooks, which read items around writes):
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # the bench process's, all threads
    log_bytes: list[int] = field(default_factory=list)
    scans: int = 0  # Scan calls, every repetition
    sqs_calls: list[int] = field(default_factory=list)  # SQS requests (64 KB chunks) of the function
    sqs_operations: list[str] = field(default_factory=list)  # of the last repetition
    # Dispatch only: per conversation with messages, its stream records that pass the dispatch filter.
    outbox_records: list[int] = field(default_factory=list)

    def add(self, calls: list[str], capacity: Capacity, sqs: SqsCalls | None = None) -> None:
        self.calls.append(len(calls))
        self.operations = list(calls)
        self.scans += calls.count("Scan")
        if sqs is not None:
            self.sqs_calls.append(sqs.chunks)
            self.sqs_operations = list(sqs.operations)
        self.read_units.append(capacity.read_units)
        self.write_units.append(capacity.write_units)
        self.index_write_units.append(capacity.index_write_units)
        self.index_writes = capacity.index_writes
        self.reported_read_units.append(capacity.reported_read_units)
        self.reported_write_units.append(capacity.reported_write_units)
        self.reported_index_write_units.append(capacity.reported_index_write_units)
        self.basis = capacity.basis

    @property
    def median_calls(self) -> float:
        return median(self.calls)

    @property
    def median_rru(self) -> float:
        return median(self.read_units)

    @property
    def median_wru(self) -> float:
        return median(self.write_units)

    @property
    def median_index_wru(self) -> float:
        return median(self.index_write_units)

    @property
    def median_sqs(self) -> float:
        return median(self.sqs_calls) if self.sqs_calls else 0.0

    @property
    def median_reported(self) -> tuple[float, float, float]:
        return (
            median(self.reported_write_units),
            median(self.reported_index_write_units),
            median(self.reported_read_units),
        )


SCENARIOS = (
    "create new (customerid only: the main path)",
    "create new (customerid + email + phone, new contact)",
    "create existing (active conversation returned)",
    "endOfConversation (consumer, open → closed)",
    "accept (open → active)",
    "end (representative, active → wrapup)",
    "close (representative, wrapup → closed)",
    "get",
    "representative get",
    "list (consumer, live index, first page)",
    "representative list (the queue, byStatus index, first page)",
    "create new with conversationrequestid (idempotency)",
    "create replayed conversationrequestid",
    "timeout sweep (nothing due: one Query per shard)",
    "purge (after TTL removed a closed conversation's state)",
    "message (customer, active conversation)",
    "representative message (active conversation: delivered)",
    "representative typing (delivered, not stored)",
    "event (customer: a context variable)",
    f"transcript, first page ({TRANSCRIPT_PAGE} of the conversation's "
    f"{1 + CUSTOMER_MESSAGES + REPRESENTATIVE_MESSAGES} messages)",
    "transcript, next page (continuation token)",
    "context",
    "channel: PUT (the webhook URL)",
    "channel: GET",
    "channel: rotate the signing secret",
    "dispatch_webhooks (stream → webhook queue)",
    "deliver_webhooks (a state change's event)",
    "deliver_webhooks (a representative's message)",
    f"purge (a conversation with its {1 + CUSTOMER_MESSAGES + REPRESENTATIVE_MESSAGES} messages)",
)
(
    CREATE_MAIN,
    CREATE_CONTACT,
    CREATE_EXISTING,
    END_OF_CONVERSATION,
    ACCEPT,
    END,
    CLOSE,
    GET,
    REPRESENTATIVE_GET,
    LIST,
    REPRESENTATIVE_LIST,
    CREATE_IDEMPOTENT,
    CREATE_REPLAY,
    SWEEP,
    PURGE,
    MESSAGE,
    REPRESENTATIVE_MESSAGE,
    REPRESENTATIVE_TYPING,
    CONTEXT_UPDATE,
    TRANSCRIPT,
    TRANSCRIPT_NEXT,
    CONTEXT,
    CHANNEL_SET,
    CHANNEL_GET,
    CHANNEL_ROTATE,
    DISPATCH,
    DELIVER_EVENT,
    DELIVER_MESSAGE,
    PURGE_MESSAGES,
) = SCENARIOS
SWEEPER, PURGER = "timeout_sweeper", "purge_conversations"
DISPATCHER, DELIVERER = "dispatch_webhooks", "deliver_webhooks"
# The scenarios a conversation with messages goes through (the cost of section 6's messages lifecycle).
DELIVERIES = (DELIVER_EVENT, DELIVER_MESSAGE)
PURGE_SAMPLE = REPO / "events" / "purge_conversations.ttl-state-removal.json"
SWEEP_SAMPLE = REPO / "events" / "timeout_sweeper.every-minute.json"


class _Counter:
    """Each function's handler (its own module and clients, as one execution environment) and the counts."""

    def __init__(self, folders: list[str]) -> None:
        self.inspector = local_client(os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
        self.handlers: dict[str, tuple[Callable[..., Any], Any, Any]] = {}
        for name in folders:
            module = load_handler(name)
            # The clients it just created (cached per execution environment until the next load).
            self.handlers[name] = (module.lambda_handler, dynamodb_client(), sqs_client())
        self.counted: dict[str, Counted] = {}

    def call(
        self,
        function: str,
        scenario: str,
        event: dict[str, Any],
        status: int | None,
        *,
        timed: bool = False,
    ) -> Any:
        """One invocation, counted; `timed`: its duration and log bytes kept too (the webhook functions',
        whose DynamoDB calls are reads only: the capacity hooks add a parameter, no look-up)."""
        handler, client, queue = self.handlers[function]
        sink = stdout_sink()
        written = sink.bytes_written
        start, cpu = time.perf_counter(), time.process_time()
        with (
            count_dynamodb_calls(client) as calls,
            measure_capacity(client, self.inspector) as capacity,
            count_sqs_calls(queue) as queued,
        ):
            answer = handler(event, lambda_context(function))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        if status is None and answer.get("batchItemFailures"):
            raise RuntimeError(f"{scenario}: {answer}")
        if status is not None and answer["statusCode"] != status:
            raise RuntimeError(
                f"{scenario}: expected {status}, got {answer['statusCode']}: {answer.get('body')}"
            )
        entry = self.counted.setdefault(scenario, Counted(function))
        entry.add(calls, capacity, queued)
        if timed:
            entry.wall_ms.append(wall * 1000)
            entry.cpu_ms.append(cpu * 1000)
            entry.log_bytes.append(sink.bytes_written - written)
        return json.loads(answer["body"]) if status is not None else answer

    def timed(self, function: str, scenario: str, event: dict[str, Any]) -> None:
        """A run of a background function for its duration and log bytes only (no capacity hooks)."""
        sink = stdout_sink()
        written = sink.bytes_written
        start, cpu = time.perf_counter(), time.process_time()
        self.handlers[function][0](event, lambda_context(function))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        entry = self.counted[scenario]
        entry.wall_ms.append(wall * 1000)
        entry.cpu_ms.append(cpu * 1000)
        entry.log_bytes.append(sink.bytes_written - written)

    def closed_conversation(self, customer: str) -> str:
        """A conversation created then ended by its customer while open (both counted)."""
        created = self.call("create_conversation", CREATE_MAIN, create_event(customer), 201)
        conversation_id: str = created["conversationId"]
        event = end_of_conversation_event(conversation_id)
        self.call("consumer_activity", END_OF_CONVERSATION, event, 200)
        return conversation_id


class _Webhooks:
    """The pipeline of one run: the bench tenant's channel pointing at a receiver, the stream's cursor, the
    queue's poller (bench.delivery)."""

    def __init__(self, counter: _Counter) -> None:
        self.counter = counter
        port = free_port()
        channel = channel_event(url=f"http://127.0.0.1:{port}/bench")
        answer = counter.call("channel_settings", CHANNEL_SET, channel, 200)
        self.receiver = WebhookReceiver(answer["signingSecret"], port=port).start()
        self._scratch = tempfile.TemporaryDirectory(prefix="bench-webhooks-")
        poller = local_sqs_client(os.environ["AWS_ENDPOINT_URL_SQS"])
        self.queue = delivery.delivery_source(poller, os.environ["WEBHOOK_QUEUE_URL"])

    def close(self) -> None:
        self.receiver.close()
        self._scratch.cleanup()

    def deliver(self, conversation_id: str) -> None:
        """The conversation's outbox records from the stream, up to its close, through dispatch and
        delivery. Other conversations' records (the other scenarios') are passed over unsent."""
        pk = keys.conversation_key(Tenant(TENANT), conversation_id)
        # Opened now, from the stream's oldest record (the template's TRIM_HORIZON): DynamoDB Local trims a
        # shard's first record at times, after which an iterator opened before fails.
        endpoint, table = os.environ["AWS_ENDPOINT_URL_DYNAMODB"], os.environ["CONVERSATIONS_TABLE"]
        stream = delivery.stream_source(endpoint, table, Path(self._scratch.name))
        dispatched = 0
        while True:
            batch = delivery.next_batch(stream)
            about = delivery.keys_of(batch)
            if about == {pk}:
                self.counter.call(DISPATCHER, DISPATCH, batch.event, None, timed=True)
                dispatched += len(batch.event["Records"])
            elif pk in about:
                raise RuntimeError(f"a dispatch batch mixes conversations: {sorted(about)}")
            stream.settle(batch, Outcome())
            images = [record["dynamodb"]["NewImage"] for record in batch.event["Records"]]
            if pk in about and any(image["status"]["S"] == "closed" for image in images):
                break
        self.counter.counted[DISPATCH].outbox_records.append(dispatched)
        received = len(self.receiver.received)
        for _ in range(dispatched):
            batch = delivery.next_batch(self.queue)
            kinds = {json.loads(record["body"])["kind"] for record in batch.event["Records"]}
            scenario = DELIVER_MESSAGE if kinds == {"message"} else DELIVER_EVENT
            answer = self.counter.call(DELIVERER, scenario, batch.event, None, timed=True)
            delivery.settle(self.queue, batch, answer)
        arrived = self.receiver.received[received:]
        if len(arrived) != dispatched or any(d.conversation_id != conversation_id for d in arrived):
            raise RuntimeError(
                f"{dispatched} activities dispatched, the receiver accepted {len(arrived)} of them "
                f"(arrivals: {self.receiver.arrivals[-dispatched:]})"
            )


def _with_messages(counter: _Counter, customer: str, *, reads: bool) -> str:
    """A conversation's life with its messages (the customer's and the representative's, alternating),
    closed by its representative; `reads`: its transcript's two pages and its context too."""
    call = counter.call
    created = call("create_conversation", CREATE_MAIN, create_event(customer), 201)
    conversation_id: str = created["conversationId"]
    call("representative_activity", ACCEPT, representative_event(conversation_id, "accept"), 200)
    for k in range(max(CUSTOMER_MESSAGES, REPRESENTATIVE_MESSAGES)):
        if k < CUSTOMER_MESSAGES:
            call("consumer_activity", MESSAGE, message_event(conversation_id), 200)
        if k < REPRESENTATIVE_MESSAGES:
            event = representative_message_event(conversation_id)
            call("representative_activity", REPRESENTATIVE_MESSAGE, event, 200)
    if reads:
        event = transcript_event(conversation_id, page_size=TRANSCRIPT_PAGE)
        page = call("get_transcript", TRANSCRIPT, event, 200)
        token = page["continuationToken"]
        event = transcript_event(conversation_id, page_size=TRANSCRIPT_PAGE, token=token)
        call("get_transcript", TRANSCRIPT_NEXT, event, 200)
        call("get_context", CONTEXT, context_event(conversation_id), 200)
    for scenario, name in ((END, "end"), (CLOSE, "close")):
        call("representative_activity", scenario, representative_event(conversation_id, name), 200)
    return conversation_id


def _messages(counter: _Counter, webhooks: _Webhooks, customer: str) -> None:
    """A conversation with messages, its reads, its webhook deliveries, then its purge (counted); another
    one's purge, timed."""
    conversation_id = _with_messages(counter, customer, reads=True)
    webhooks.deliver(conversation_id)
    event = ttl_removes_state(counter.inspector, conversation_id)
    counter.call(PURGER, PURGE_MESSAGES, event, None)
    timed = _with_messages(counter, f"{customer}-t", reads=False)
    counter.timed(PURGER, PURGE_MESSAGES, ttl_removes_state(counter.inspector, timed))


def count_operations(repetitions: int) -> dict[str, Counted]:
    functions = {op.function for op in OPERATIONS.values()}
    functions |= {SWEEPER, PURGER, DISPATCHER, DELIVERER, "get_context", "channel_settings"}
    counter = _Counter(sorted(functions))
    call, inspector = counter.call, counter.inspector
    run_id = time.time_ns()
    sweep: dict[str, Any] = json.loads(SWEEP_SAMPLE.read_text(encoding="utf-8"))
    counter.handlers[SWEEPER][0](sweep, lambda_context(SWEEPER))  # once, uncounted: its first invocation
    webhooks = _Webhooks(counter)
    try:
        for repetition in range(repetitions):
            customer = f"count-{run_id}-{repetition}"
            created = call("create_conversation", CREATE_MAIN, create_event(customer), 201)
            conversation_id = created["conversationId"]
            call("create_conversation", CREATE_EXISTING, create_event(customer), 200)
            call("get_conversation", GET, get_event(conversation_id), 200)
            event = representative_get_event(conversation_id)
            call("representative_conversation", REPRESENTATIVE_GET, event, 200)
            call("list_conversations", LIST, list_event(), 200)
            call("representative_conversations", REPRESENTATIVE_LIST, queue_event(), 200)
            call("representative_activity", ACCEPT, representative_event(conversation_id, "accept"), 200)
            event = representative_typing_event(conversation_id)
            call("representative_activity", REPRESENTATIVE_TYPING, event, 200)
            call("consumer_activity", CONTEXT_UPDATE, context_update_event(conversation_id), 200)
            for scenario, name in ((END, "end"), (CLOSE, "close")):
                call("representative_activity", scenario, representative_event(conversation_id, name), 200)
            call(PURGER, PURGE, ttl_removes_state(inspector, conversation_id), None)
            counter.closed_conversation(f"{customer}-b")
            contact = {
                "email": f"{customer}@example.com",
                "phone": f"+1 555 {repetition:04d} {run_id % 10_000}",
            }
            call("create_conversation", CREATE_CONTACT, create_event(f"{customer}-c", **contact), 201)
            body = {"customercontext": {"customerid": f"{customer}-i"}, "conversationrequestid": customer}
            event = api_event("POST", CREATE, body, tenant=TENANT)
            call("create_conversation", CREATE_IDEMPOTENT, event, 201)
            call("create_conversation", CREATE_REPLAY, api_event("POST", CREATE, body, tenant=TENANT), 201)
            call(SWEEPER, SWEEP, sweep, None)
            counter.timed(SWEEPER, SWEEP, sweep)
            closed = counter.closed_conversation(f"{customer}-p")
            counter.timed(PURGER, PURGE, ttl_removes_state(inspector, closed))
            _messages(counter, webhooks, f"{customer}-m")
            url = f"http://127.0.0.1:{webhooks.receiver.port}/bench"
            call("channel_settings", CHANNEL_SET, channel_event(url=url), 200)
            call("channel_settings", CHANNEL_GET, channel_get_event(), 200)
            # Another tenant's: a rotation here would leave the receiver's secret behind after two runs.
            rotated = f"{TENANT}-rotate"
            call("channel_settings", CHANNEL_SET, channel_event(tenant=rotated), 200)
            call("channel_settings", CHANNEL_ROTATE, channel_rotate_event(tenant=rotated), 200)
    finally:
        webhooks.close()
    return {scenario: counter.counted[scenario] for scenario in SCENARIOS}


def ttl_removes_state(inspector: Any, conversation_id: str) -> dict[str, Any]:
    """What TTL does to a closed conversation (its state item goes, unbilled), and the stream record the
    purge consumer then gets: the repository's sample with this conversation's key."""
    pk = keys.conversation_key(Tenant(TENANT), conversation_id)
    table = os.environ["CONVERSATIONS_TABLE"]
    inspector.delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": keys.STATE}})
    sample: dict[str, Any] = json.loads(PURGE_SAMPLE.read_text(encoding="utf-8"))
    for record in sample["Records"]:
        record["dynamodb"]["Keys"]["pk"] = {"S": pk}
    return sample


def scans(counts: dict[str, Counted]) -> int:
    """Scan calls made by any counted scenario, in any repetition (every benchmarked operation is one)."""
    return sum(entry.scans for entry in counts.values())
