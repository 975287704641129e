"""Warm requests, in-process on DynamoDB Local: the product's handlers against the hand-written boto3 floor
(bench.baseline_app) making the same DynamoDB calls.

One iteration, per side, is a conversation's life and the reads around it: create, get, the consumer's
list, the representative's queue, accept, the conversation's messages (the customer's and the
representative's, alternating: bench.workload.CUSTOMER_MESSAGES and REPRESENTATIVE_MESSAGES), the
transcript's first page, end, close (representative_activity), then a second conversation created and ended
by the customer while open (endOfConversation). Each side runs one iteration, then the other (alternating
which goes first), so both see the same DynamoDB Local state and machine load; for each operation the ratio
is the median over all pairs of product / floor (the k-th message of one side against the k-th of the
other; the per-round medians show the spread). Handlers run one at a time (Powertools keeps the current
event on its class). Timed: the lambda_handler call alone (the event is built before).

The lists read a tenant of their own, seeded with QUEUE_SIZE open conversations first, so that every list
request answers a full page (25 in the queue, 10 in the live list) on both sides.

After the timed rounds, one untimed iteration per side records the DynamoDB calls each operation made (a
`before-parameter-build` hook on each client) and compares their shapes (`call_shape`): the floor must make
the product's calls, or its ratio would measure a different design.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from bench.report import median
from bench.workload import (
    CUSTOMER_MESSAGES,
    OPERATIONS,
    REPRESENTATIVE_MESSAGES,
    TRANSCRIPT_PAGE,
    create_event,
    end_of_conversation_event,
    get_event,
    list_event,
    memory_mb,
    message_event,
    queue_event,
    representative_event,
    representative_message_event,
    transcript_event,
)
from local.events import lambda_context
from messaging.store.client import dynamodb_client
from tests.harness import load_handler

BASELINE_PATH = __file__.replace("warm.py", "baseline_app.py")
WARM_TENANT = "bench-warm"
QUEUE_SIZE = 30  # open conversations in the warm tenant: more than a page of the queue (25)
# The operations timed, in the order of an iteration.
WARM_OPERATIONS = (
    "create",
    "get",
    "list",
    "representative list",
    "accept",
    "message",
    "representative message",
    "transcript",
    "end",
    "close",
    "endOfConversation",
)
SIDES = ("product", "floor")


class CountingSink(io.TextIOBase):
    """Stands in for stdout during the run: Powertools' log lines and EMF metrics land here, counted."""

    def __init__(self) -> None:
        self.bytes_written = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes_written += len(text.encode("utf-8", "surrogatepass"))
        return len(text)


def stdout_sink() -> CountingSink:
    sink = sys.stdout
    if not isinstance(sink, CountingSink):
        raise RuntimeError("bench.run installs a CountingSink as sys.stdout before loading handlers")
    return sink


def load_baseline() -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_baseline_{time.monotonic_ns()}", BASELINE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# Parameters whose values are the call's design (kept as they are); every other leaf becomes its type.
_DESIGN = frozenset(
    {
        "TableName",
        "IndexName",
        "ConditionExpression",
        "UpdateExpression",
        "KeyConditionExpression",
        "ProjectionExpression",
        "FilterExpression",
        "ExpressionAttributeNames",
        "ReturnValues",
        "ReturnValuesOnConditionCheckFailure",
        "ScanIndexForward",
        "ConsistentRead",
        "Limit",
        "Select",
    }
)
_IGNORED = frozenset({"ClientRequestToken", "ReturnConsumedCapacity"})  # botocore's and the bench's own


def call_shape(operation: str, params: Mapping[str, Any]) -> tuple[str, Any]:
    """A call as its design: operation, tables, indexes, expressions, names and every attribute's presence
    and type, without the values that differ between two requests (ids, times)."""

    def shape(value: Any, name: str | None = None) -> Any:
        if name in _DESIGN:
            return value
        if isinstance(value, Mapping):
            return {key: shape(item, key) for key, item in sorted(value.items()) if key not in _IGNORED}
        if isinstance(value, list | tuple):
            return [shape(item) for item in value]
        return type(value).__name__

    return operation, shape(params)


@dataclass
class Timed:
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    stdout_bytes: list[int] = field(default_factory=list)


@dataclass
class WarmResult:
    # operation -> side ("product", "floor") -> samples, all rounds
    samples: dict[str, dict[str, Timed]]
    # operation -> round -> product / floor of each pair of requests
    pair_ratios: dict[str, list[list[float]]]
    # operation -> side -> the DynamoDB calls of one request: (operation, shape)
    calls: dict[str, dict[str, list[tuple[str, Any]]]] = field(default_factory=dict)

    def ratio(self, operation: str) -> float:
        return median(ratio for round_ in self.pair_ratios[operation] for ratio in round_)

    def round_ratios(self, operation: str) -> list[float]:
        return [median(round_) for round_ in self.pair_ratios[operation]]

    def median_ms(self, operation: str, side: str) -> float:
        return median(self.samples[operation][side].wall_ms)

    def median_cpu_ms(self, operation: str, side: str) -> float:
        return median(self.samples[operation][side].cpu_ms)

    def stdout_bytes(self, operation: str) -> float:
        return median(self.samples[operation]["product"].stdout_bytes)

    def same_calls(self, operation: str) -> bool:
        sides = self.calls.get(operation, {})
        return bool(sides) and sides.get("product") == sides.get("floor")

    def call_names(self, operation: str, side: str = "product") -> list[str]:
        return [name for name, _ in self.calls.get(operation, {}).get(side, [])]


class _Recorder:
    """Records the DynamoDB calls of clients while `recording(operation)` is open."""

    def __init__(self, clients: list[Any]) -> None:
        self.calls: dict[str, list[tuple[str, Any]]] = {}
        self._current: str | None = None
        self._clients = clients

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self._current is not None:
            self.calls[self._current].append(call_shape(model.name, copy.deepcopy(params)))

    @contextmanager
    def recording(self, operation: str) -> Iterator[None]:
        self._current = operation
        self.calls[operation] = []
        try:
            yield
        finally:
            self._current = None

    @contextmanager
    def attached(self) -> Iterator[None]:
        for client in self._clients:
            client.meta.events.register("before-parameter-build.dynamodb", self._record)
        try:
            yield
        finally:
            for client in self._clients:
                client.meta.events.unregister("before-parameter-build.dynamodb", self._record)


def _timed(handler: Callable[..., Any], event: dict[str, Any], samples: Timed | None, function: str) -> Any:
    context = lambda_context(function, memory_mb=memory_mb(function))
    sink = stdout_sink()
    written = sink.bytes_written
    cpu = time.thread_time()
    start = time.perf_counter()
    answer = handler(event, context)
    wall = time.perf_counter() - start
    cpu = time.thread_time() - cpu
    if samples is not None:
        samples.wall_ms.append(wall * 1000)
        samples.cpu_ms.append(cpu * 1000)
        samples.stdout_bytes.append(sink.bytes_written - written)
    return answer


def _checked(answer: dict[str, Any], side: str, operation: str) -> dict[str, Any]:
    expected = OPERATIONS[operation].status
    if answer["statusCode"] != expected:
        raise RuntimeError(
            f"{side} {operation}: expected {expected}, got {answer['statusCode']}: {answer.get('body')}"
        )
    body: dict[str, Any] = json.loads(answer["body"])
    return body


def _pair(
    samples: dict[str, dict[str, Timed]], pair_ratios: dict[str, list[list[float]]], before: dict[str, int]
) -> None:
    """The iteration's pairs, into the current round: the k-th request of an operation on one side (since
    `before`) against the k-th on the other."""
    for op, ratios in pair_ratios.items():
        product_ms = samples[op]["product"].wall_ms[before[op] :]
        floor_ms = samples[op]["floor"].wall_ms[before[op] :]
        ratios[-1] += [mine / theirs for mine, theirs in zip(product_ms, floor_ms, strict=True)]


def measure_warm(rounds: int, per_round: int, warmup: int) -> WarmResult:
    functions = sorted({OPERATIONS[name].function for name in WARM_OPERATIONS})
    product: dict[str, Callable[..., Any]] = {}
    product_clients = []
    for function in functions:
        product[function] = load_handler(function).lambda_handler
        product_clients.append(dynamodb_client())  # the client this module just created
    baseline = load_baseline()
    handlers: dict[str, Callable[[str], Callable[..., Any]]] = {
        "product": lambda function: product[function],
        "floor": lambda function: baseline.lambda_handler,
    }
    samples = {op: {side: Timed() for side in SIDES} for op in WARM_OPERATIONS}
    pair_ratios: dict[str, list[list[float]]] = {op: [] for op in WARM_OPERATIONS}
    run_id = time.time_ns()
    recorder: _Recorder | None = None

    def request(side: str, operation: str, event: dict[str, Any], record: bool) -> dict[str, Any]:
        function = OPERATIONS[operation].function
        timed = samples[operation][side] if record else None
        if recorder is not None:
            with recorder.recording(f"{side}:{operation}"):
                return _checked(_timed(handlers[side](function), event, None, function), side, operation)
        return _checked(_timed(handlers[side](function), event, timed, function), side, operation)

    def one(side: str, serial: str, record: bool) -> None:
        tenant = WARM_TENANT
        created = request(side, "create", create_event(f"warm-{serial}", tenant=tenant), record)
        conversation_id = created["conversationId"]
        request(side, "get", get_event(conversation_id, tenant=tenant), record)
        request(side, "list", list_event(tenant=tenant), record)
        request(side, "representative list", queue_event(tenant=tenant), record)
        request(side, "accept", representative_event(conversation_id, "accept", tenant=tenant), record)
        for k in range(max(CUSTOMER_MESSAGES, REPRESENTATIVE_MESSAGES)):
            if k < CUSTOMER_MESSAGES:
                request(side, "message", message_event(conversation_id, tenant=tenant), record)
            if k < REPRESENTATIVE_MESSAGES:
                event = representative_message_event(conversation_id, tenant=tenant)
                request(side, "representative message", event, record)
        event = transcript_event(conversation_id, tenant=tenant, page_size=TRANSCRIPT_PAGE)
        page = request(side, "transcript", event, record)
        if len(page["messages"]) != TRANSCRIPT_PAGE or not page["continuationToken"]:
            raise RuntimeError(f"{side} transcript: not a full page with a continuation token: {page}")
        for name in ("end", "close"):
            request(side, name, representative_event(conversation_id, name, tenant=tenant), record)
        # Untimed: the conversation the customer ends while it is open.
        other = _checked(
            _timed(
                handlers[side]("create_conversation"),
                create_event(f"warm-{serial}-b", tenant=tenant),
                None,
                "create_conversation",
            ),
            side,
            "create",
        )
        event = end_of_conversation_event(other["conversationId"], tenant=tenant)
        request(side, "endOfConversation", event, record)

    for i in range(QUEUE_SIZE):
        _checked(
            product["create_conversation"](
                create_event(f"queue-{run_id}-{i}", tenant=WARM_TENANT), lambda_context("seed")
            ),
            "seed",
            "create",
        )
    for i in range(warmup):
        for side in SIDES:
            one(side, f"{run_id}-warmup-{side}-{i}", record=False)
    for round_number in range(rounds):
        for ratios in pair_ratios.values():
            ratios.append([])
        for i in range(per_round):
            order = SIDES if i % 2 == 0 else SIDES[::-1]
            before = {op: len(samples[op]["product"].wall_ms) for op in WARM_OPERATIONS}
            for side in order:
                one(side, f"{run_id}-{round_number}-{i}-{side}", record=True)
            _pair(samples, pair_ratios, before)
    recorder = _Recorder([*product_clients, baseline.client])
    with recorder.attached():
        for side in SIDES:
            one(side, f"{run_id}-calls-{side}", record=False)
    calls: dict[str, dict[str, list[tuple[str, Any]]]] = {}
    for key, made in recorder.calls.items():
        side, operation = key.split(":", 1)
        calls.setdefault(operation, {})[side] = made
    return WarmResult(samples, pair_ratios, calls)
