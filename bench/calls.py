"""DynamoDB round trips and consumed capacity per operation, counted on each handler's own client
(tests.harness.count_dynamodb_calls: every HTTP request, retries included; bench.capacity: request units)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.capacity import measure_capacity
from bench.report import median
from bench.workload import close_event, create_event, get_event
from local.dynamodb_local import dynamodb_client as local_client
from local.events import lambda_context
from messaging.store.client import dynamodb_client
from tests.harness import CREATE, api_event, count_dynamodb_calls, load_handler


@dataclass
class Counted:
    calls: list[int] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)  # of the last repetition
    read_units: list[float] = field(default_factory=list)  # by the billing rules (bench.capacity)
    write_units: list[float] = field(default_factory=list)
    reported_read_units: list[float] = field(default_factory=list)  # as DynamoDB Local reports them
    reported_write_units: list[float] = field(default_factory=list)

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
    def median_reported(self) -> tuple[float, float]:
        return median(self.reported_write_units), median(self.reported_read_units)


SCENARIOS = (
    "create new (customerid only: the main path)",
    "create new (customerid + email + phone, new contact)",
    "create existing (active conversation returned)",
    "close (endOfConversation)",
    "get",
    "create new with conversationrequestid (idempotency)",
    "create replayed conversationrequestid",
)
CREATE_MAIN, CREATE_CONTACT, CREATE_EXISTING, CLOSE, GET, CREATE_IDEMPOTENT, CREATE_REPLAY = SCENARIOS


def count_operations(repetitions: int) -> dict[str, Counted]:
    inspector = local_client(os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    handlers: dict[str, tuple[Callable[..., Any], Any]] = {}
    for name in ("create_conversation", "close_conversation", "get_conversation"):
        module = load_handler(name)
        handlers[name] = (module.lambda_handler, dynamodb_client())  # the client this module just created
    counted = {scenario: Counted() for scenario in SCENARIOS}

    def call(function: str, scenario: str, event: dict[str, Any], status: int) -> dict[str, Any]:
        handler, client = handlers[function]
        with count_dynamodb_calls(client) as calls, measure_capacity(client, inspector) as capacity:
            answer = handler(event, lambda_context(function))
        if answer["statusCode"] != status:
            raise RuntimeError(
                f"{scenario}: expected {status}, got {answer['statusCode']}: {answer.get('body')}"
            )
        counted[scenario].calls.append(len(calls))
        counted[scenario].operations = list(calls)
        counted[scenario].read_units.append(capacity.read_units)
        counted[scenario].write_units.append(capacity.write_units)
        counted[scenario].reported_read_units.append(capacity.reported_read_units)
        counted[scenario].reported_write_units.append(capacity.reported_write_units)
        body: dict[str, Any] = json.loads(answer["body"])
        return body

    run_id = time.time_ns()
    for repetition in range(repetitions):
        customer = f"count-{run_id}-{repetition}"
        created = call("create_conversation", CREATE_MAIN, create_event(customer), 201)
        call("create_conversation", CREATE_EXISTING, create_event(customer), 200)
        call("close_conversation", CLOSE, close_event(created["conversationId"]), 200)
        call("get_conversation", GET, get_event(created["conversationId"]), 200)
        contact = {"email": f"{customer}@example.com", "phone": f"+1 555 {repetition:04d} {run_id % 10_000}"}
        call("create_conversation", CREATE_CONTACT, create_event(f"{customer}-c", **contact), 201)
        body = {"customercontext": {"customerid": f"{customer}-i"}, "conversationrequestid": customer}
        event = api_event("POST", CREATE, body, tenant="bench-tenant")
        call("create_conversation", CREATE_IDEMPOTENT, event, 201)
        call(
            "create_conversation", CREATE_REPLAY, api_event("POST", CREATE, body, tenant="bench-tenant"), 201
        )
    return counted
