"""DynamoDB round trips and request units per operation, counted on each handler's own client
(tests.harness.count_dynamodb_calls: every HTTP request, retries included; bench.capacity: request units,
index writes). Every scenario names its function by its template folder; the sweeper's and the purge's
runs are here too (their DynamoDB work, duration and log bytes feed the cost).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import REPO, gsi
from bench.capacity import Capacity, measure_capacity
from bench.report import median
from bench.warm import stdout_sink
from bench.workload import (
    OPERATIONS,
    TENANT,
    create_event,
    end_of_conversation_event,
    get_event,
    list_event,
    queue_event,
    representative_event,
    representative_get_event,
)
from local.dynamodb_local import dynamodb_client as local_client
from local.events import lambda_context
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.client import dynamodb_client
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

    def add(self, calls: list[str], capacity: Capacity) -> None:
        self.calls.append(len(calls))
        self.operations = list(calls)
        self.scans += calls.count("Scan")
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
) = SCENARIOS
SWEEPER, PURGER = "timeout_sweeper", "purge_conversations"
PURGE_SAMPLE = REPO / "events" / "purge_conversations.ttl-state-removal.json"
SWEEP_SAMPLE = REPO / "events" / "timeout_sweeper.every-minute.json"


class _Counter:
    """Each function's handler (its own module and client, as one execution environment) and the counts."""

    def __init__(self, folders: list[str]) -> None:
        self.inspector = local_client(os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
        self.handlers: dict[str, tuple[Callable[..., Any], Any]] = {}
        for name in folders:
            module = load_handler(name)
            self.handlers[name] = (module.lambda_handler, dynamodb_client())  # the client it just created
        self.counted: dict[str, Counted] = {}

    def call(self, function: str, scenario: str, event: dict[str, Any], status: int | None) -> Any:
        handler, client = self.handlers[function]
        with count_dynamodb_calls(client) as calls, measure_capacity(client, self.inspector) as capacity:
            answer = handler(event, lambda_context(function))
        if status is None and answer.get("batchItemFailures"):
            raise RuntimeError(f"{scenario}: {answer}")
        if status is not None and answer["statusCode"] != status:
            raise RuntimeError(
                f"{scenario}: expected {status}, got {answer['statusCode']}: {answer.get('body')}"
            )
        self.counted.setdefault(scenario, Counted(function)).add(calls, capacity)
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


def count_operations(repetitions: int) -> dict[str, Counted]:
    counter = _Counter(sorted({op.function for op in OPERATIONS.values()} | {SWEEPER, PURGER}))
    call, inspector = counter.call, counter.inspector
    run_id = time.time_ns()
    sweep: dict[str, Any] = json.loads(SWEEP_SAMPLE.read_text(encoding="utf-8"))
    counter.handlers[SWEEPER][0](sweep, lambda_context(SWEEPER))  # once, uncounted: its first invocation
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
        for scenario, name in ((ACCEPT, "accept"), (END, "end"), (CLOSE, "close")):
            call("representative_activity", scenario, representative_event(conversation_id, name), 200)
        call(PURGER, PURGE, ttl_removes_state(inspector, conversation_id), None)
        counter.closed_conversation(f"{customer}-b")
        contact = {"email": f"{customer}@example.com", "phone": f"+1 555 {repetition:04d} {run_id % 10_000}"}
        call("create_conversation", CREATE_CONTACT, create_event(f"{customer}-c", **contact), 201)
        body = {"customercontext": {"customerid": f"{customer}-i"}, "conversationrequestid": customer}
        event = api_event("POST", CREATE, body, tenant=TENANT)
        call("create_conversation", CREATE_IDEMPOTENT, event, 201)
        call("create_conversation", CREATE_REPLAY, api_event("POST", CREATE, body, tenant=TENANT), 201)
        call(SWEEPER, SWEEP, sweep, None)
        counter.timed(SWEEPER, SWEEP, sweep)
        closed = counter.closed_conversation(f"{customer}-p")
        counter.timed(PURGER, PURGE, ttl_removes_state(inspector, closed))
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
