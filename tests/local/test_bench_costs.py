"""The pure parts of the bench's DynamoDB accounting and cost: index writes from an item's images (and the
product's state transitions), billing rules, the floor's calls against the product's, the cost lines.
No timing, no DynamoDB: nothing here asserts a measured figure."""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse

from bench import gsi
from bench.capacity import read_units, write_units
from bench.cost import (
    ASSUMED_CONVERSATIONS_PER_MONTH,
    ASSUMED_IDLE_RECEIVES_PER_MINUTE,
    ASSUMED_PLATFORM_LOG_BYTES,
    DYNAMODB_PER_MILLION_WRU,
    MINUTES_PER_MONTH,
    SCHEDULER_PER_MILLION_INVOCATIONS,
    SQS_FIFO_PER_MILLION_REQUESTS,
    Invocation,
    access_log_line,
    cost_lines,
    total,
    xray_traces_per_month,
)
from bench.delivery import count_sqs_calls
from bench.warm import call_shape, load_baseline
from bench.workload import (
    API_FUNCTIONS,
    FRESH_REQUESTS,
    FUNCTION_IDS,
    FUNCTIONS,
    OPERATIONS,
    TEMPLATE,
    Fresh,
    create_body,
    lambda_environment,
)
from local.template import http_routes, resources_of_type
from messaging.config import Settings
from messaging.domain.activity import Activity, Kind, Role, Sender, StoredMessage
from messaging.domain.conversation import Representative
from messaging.domain.ids import ConversationIds
from messaging.domain.state_machine import Event, Status, transition
from messaging.domain.tenant import Tenant
from messaging.http.readers import read_create
from messaging.store import activities, changes
from messaging.store.conversations import DynamoDBConversations
from messaging.store.protocol import ActivityWrite, Change
from messaging.usecases.activities import _CUSTOMER_MESSAGE_DIRECTLY, TAKES_ACTIVITIES
from messaging.usecases.create import CreateConversation

TIMEOUTS_MS = {
    "open": 1440 * 60_000,
    "active": 1440 * 60_000,
    "waiting": 10080 * 60_000,
    "wrapup": 60 * 60_000,
}
STATUS = gsi.Index("byStatus", ("statusKey", "statusSince"), ("pk", "sk"), ("status", "enteredAt"))


def conversations_indexes() -> list[gsi.Index]:
    table = resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")["ConversationsTable"]["Properties"]
    return gsi.indexes_of(table)


def item(**attributes: str) -> dict[str, Any]:
    return {
        "pk": {"S": "p"},
        "sk": {"S": "#STATE"},
        **{name: {"S": value} for name, value in attributes.items()},
    }


# ------------------------------------------------------------------ index writes


def test_an_item_entering_leaving_or_moving_in_an_index_costs_one_two_or_nothing() -> None:
    queued = item(statusKey="open", statusSince="1", status="open", enteredAt="1")
    assert gsi.index_writes(None, queued, [STATUS]) == [gsi.IndexWrite("byStatus", gsi.PUT, 1)]
    assert gsi.index_writes(queued, None, [STATUS]) == [gsi.IndexWrite("byStatus", gsi.DELETE, 1)]
    moved = item(statusKey="active", statusSince="2", status="active", enteredAt="2")
    assert gsi.index_writes(queued, moved, [STATUS]) == [gsi.IndexWrite("byStatus", gsi.MOVE, 2)]
    # Only a projected attribute changes: one write; an attribute the index does not hold: none.
    assert gsi.index_writes(queued, {**queued, "enteredAt": {"S": "3"}}, [STATUS]) == [
        gsi.IndexWrite("byStatus", gsi.UPDATE, 1)
    ]
    assert gsi.index_writes(queued, {**queued, "outbox": {"S": "x"}}, [STATUS]) == []
    # Not in the index (a key missing) before nor after: nothing.
    assert gsi.index_writes(item(status="closed"), item(status="closed", enteredAt="4"), [STATUS]) == []


def test_an_index_entry_is_billed_by_its_own_size_in_1_kb_units() -> None:
    big = item(statusKey="k", statusSince="1", status="x" * 1500)
    assert gsi.index_writes(None, big, [STATUS]) == [gsi.IndexWrite("byStatus", gsi.PUT, 2)]
    # An attribute the index does not project does not count towards its entry.
    assert (
        gsi.index_writes(None, {**big, "status": {"S": "open"}, "other": {"S": "y" * 5000}}, [STATUS])[
            0
        ].units
        == 1
    )
    keys_only = gsi.Index("k", ("statusKey",), ("pk", "sk"), ())
    assert gsi.entry(big, keys_only) == {"pk": big["pk"], "sk": big["sk"], "statusKey": big["statusKey"]}
    everything = gsi.Index("all", ("statusKey",), ("pk", "sk"), None)
    assert gsi.entry(big, everything) == big


def test_indexes_come_from_the_template_with_their_keys_and_projection() -> None:
    indexes = {index.name: index for index in conversations_indexes()}
    assert set(indexes) == {"byStatus", "byRepresentative", "live", "due"}
    assert indexes["due"].keys == ("dueShard", "dueAt")
    assert indexes["due"].table_keys == ("pk", "sk")
    assert indexes["due"].projected == ("tenant", "conversationId", "status")


def lifecycle(path: tuple[str, ...]) -> Iterator[tuple[str, dict[str, str], int]]:
    steps = gsi.transition_writes(gsi.product_state_steps(path, TIMEOUTS_MS), conversations_indexes())
    for name, writes in steps:
        yield name, {write.index: write.kind for write in writes}, gsi.units(writes)


def test_the_lifecycle_s_index_writes_follow_from_the_product_s_state_items() -> None:
    """Which index keys each status carries (store/items.py index_attributes) decides every write."""
    assert list(lifecycle(("create", "accept", "end", "close"))) == [
        ("create", {"byStatus": gsi.PUT, "live": gsi.PUT, "due": gsi.PUT}, 3),
        (
            "accept",
            {"byStatus": gsi.MOVE, "byRepresentative": gsi.PUT, "live": gsi.UPDATE, "due": gsi.MOVE},
            6,
        ),
        (
            "end",
            {"byStatus": gsi.MOVE, "byRepresentative": gsi.MOVE, "live": gsi.DELETE, "due": gsi.MOVE},
            7,
        ),
        ("close", {"byStatus": gsi.DELETE, "byRepresentative": gsi.DELETE, "due": gsi.DELETE}, 3),
    ]
    assert list(lifecycle(("create", "endOfConversation")))[1] == (
        "endOfConversation",
        {"byStatus": gsi.DELETE, "live": gsi.DELETE, "due": gsi.DELETE},
        3,
    )


def test_unknown_steps_are_refused() -> None:
    with pytest.raises(ValueError, match="wait"):
        gsi.product_state_steps(("create", "wait"), TIMEOUTS_MS)


def test_table_units_by_the_rules() -> None:
    assert write_units(None, None) == 1  # a delete of nothing still costs a unit
    assert write_units(item(a="x" * 900), item(a="x" * 1100)) == 2  # the larger image
    assert read_units(0, consistent=False) == 0.5  # DynamoDB's minimum, which Local reports as 0
    assert read_units(4097, consistent=True) == 2


# ------------------------------------------------------------------ the floor makes the product's calls


def test_a_call_s_shape_keeps_its_design_and_drops_its_values() -> None:
    params = {
        "TableName": "t",
        "Key": {"pk": {"S": "TENANT#a#CONVERSATION#1"}},
        "UpdateExpression": "SET a = :a",
        "ExpressionAttributeValues": {":a": {"N": "1"}},
        "ReturnConsumedCapacity": "TOTAL",
    }
    other = {
        **params,
        "Key": {"pk": {"S": "TENANT#b#CONVERSATION#2"}},
        "ExpressionAttributeValues": {":a": {"N": "2"}},
    }
    assert call_shape("UpdateItem", params) == call_shape("UpdateItem", other)
    assert call_shape("UpdateItem", params) == (
        "UpdateItem",
        {
            "ExpressionAttributeValues": {":a": {"N": "str"}},
            "Key": {"pk": {"S": "str"}},
            "TableName": "t",
            "UpdateExpression": "SET a = :a",
        },
    )
    assert call_shape("UpdateItem", params) != call_shape(
        "UpdateItem", {**params, "UpdateExpression": "SET b = :a"}
    )
    assert call_shape("UpdateItem", params) != call_shape("UpdateItem", {**params, "Extra": {"S": "x"}})


@pytest.fixture
def baseline(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    names = {logical_id: logical_id for logical_id in resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")}
    for name, value in lambda_environment("create_conversation", names).items():
        monkeypatch.setenv(name, value)
    return load_baseline()


def product_change(baseline: ModuleType, event: Event, source: Status, **extra: Any) -> list[dict[str, Any]]:
    tenant = Tenant("acme")
    conversation_id = baseline.IDS.new(tenant, "jdoe")
    step = transition(source, event)
    assert step is not None
    deadline = baseline.DEADLINES_MS.get(step.target.value)
    change = Change(
        tenant,
        conversation_id,
        step,
        1_796_000_000_000,
        1_796_000_000_000,
        deadline and deadline + 1,
        **extra,
    )
    update = changes.state_update(baseline.TABLE, change, baseline.RETENTION_S)
    return [{"Update": update}, *changes.lock_actions(baseline.TABLE, change, baseline.RETENTION_S)]


def shapes(actions: list[dict[str, Any]]) -> Any:
    return call_shape("TransactWriteItems", {"TransactItems": actions})


def test_the_floor_s_transactions_are_the_product_s(baseline: ModuleType) -> None:
    """Only values differ (times, ids): operations, keys, items, expressions, conditions are the same."""
    sender = {"id": "rep-7", "name": "Ana"}
    representative = Representative("rep-7", "Ana")
    conversation_id = baseline.IDS.new(Tenant("acme"), "jdoe")
    accept = product_change(baseline, Event.ACCEPT, Status.OPEN, actor=representative)
    assert shapes(baseline._accept("acme", conversation_id, sender, 1)) == shapes(accept)
    end = product_change(baseline, Event.END, Status.ACTIVE, actor=representative)
    assert shapes(baseline._end("acme", conversation_id, sender, 1)) == shapes(end)
    ended = product_change(baseline, Event.END_OF_CONVERSATION, Status.OPEN, channel_id="web")
    body = {"channelId": "web"}
    assert shapes(baseline._end_of_conversation("acme", conversation_id, body, 1)) == shapes(ended)
    close = product_change(baseline, Event.CLOSE, Status.WRAPUP, actor=representative)
    assert len(close) == 1  # no lock to change: one UpdateItem
    assert call_shape("UpdateItem", baseline._close("acme", conversation_id, 1)) == call_shape(
        "UpdateItem", close[0]["Update"]
    )


class Recording:
    """A DynamoDB client that answers every call with nothing and keeps its parameters."""

    def __init__(self) -> None:
        self.made: list[tuple[str, dict[str, Any]]] = []

    def transact_write_items(self, **params: Any) -> dict[str, Any]:
        self.made.append(("TransactWriteItems", params))
        return {}

    def query(self, **params: Any) -> dict[str, Any]:
        self.made.append(("Query", params))
        return {"Items": []}


def test_the_floor_s_messages_are_the_product_s(baseline: ModuleType) -> None:
    """The customer's and the representative's message: the state's update and the transcript's put."""
    tenant, conversation_id = Tenant("acme"), baseline.IDS.new(Tenant("acme"), "jdoe")
    representative = {"id": "rep-7", "name": "Ana"}
    cases: list[tuple[str, dict[str, Any], frozenset[Status]]] = [
        ("customer", {"type": "message", "text": "Hi"}, _CUSTOMER_MESSAGE_DIRECTLY),
        ("representative", {"type": "message", "text": "Hello", "from": representative}, TAKES_ACTIVITIES),
    ]
    now = 1_796_000_000_000
    for role, body, accepted in cases:
        sender = body.get("from") or {}
        activity = Activity(
            Kind.MESSAGE, Sender(Role(role), sender.get("id"), sender.get("name")), body["text"]
        )
        message = StoredMessage(now, activity.sender, activity.text, ())
        write = ActivityWrite(
            tenant, conversation_id, Kind.MESSAGE, now, now, accepted, message, activity.delivered
        )
        product = [
            {"Update": activities.state_update(baseline.TABLE, write)},
            activities.put_message(baseline.TABLE, tenant, conversation_id, message),
        ]
        floor = baseline._message_actions("acme", conversation_id, role, body, now=1, mid=1)
        assert shapes(floor) == shapes(product), role


def test_the_floor_s_transcript_page_is_the_product_s(
    baseline: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    product, floor = Recording(), Recording()
    store = DynamoDBConversations(product, baseline.TABLE, "contacts", baseline.RETENTION_S)  # type: ignore[arg-type]
    conversation_id = baseline.IDS.new(Tenant("acme"), "jdoe")
    store.transcript(Tenant("acme"), conversation_id, None, 10, None)
    monkeypatch.setattr(baseline, "client", floor)
    assert baseline._transcript("acme", conversation_id, {"PageSize": "10"})["statusCode"] == 404
    assert [call_shape(*call) for call in floor.made] == [call_shape(*call) for call in product.made]
    assert product.made[0][1]["Limit"] == 11  # the page and the state item before it


def test_the_floor_s_create_is_the_product_s(baseline: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    product, floor = Recording(), Recording()
    store = DynamoDBConversations(product, baseline.TABLE, "contacts", baseline.RETENTION_S)  # type: ignore[arg-type]
    config = Settings.from_environment(os.environ)
    create = CreateConversation(store, ConversationIds(config.id_secret), config.timeouts)
    body = create_body("jdoe")
    read = read_create(body)
    assert read is not None
    create(Tenant("acme"), read.request)
    monkeypatch.setattr(baseline, "client", floor)
    answer = baseline._create("acme", body)
    assert answer["statusCode"] == 201
    assert [call_shape(*call) for call in floor.made] == [call_shape(*call) for call in product.made]
    assert len(product.made[0][1]["TransactItems"]) == 4  # state, details, start message, lock


# ------------------------------------------------------------------ workload coverage


def test_every_api_function_has_a_fresh_request_and_every_operation_a_function() -> None:
    assert set(FRESH_REQUESTS) == set(API_FUNCTIONS)
    folders = {function.folder for function in FUNCTIONS}
    assert {op.function for op in OPERATIONS.values()} <= folders
    fresh = Fresh(
        lambda: "c-1",
        lambda: "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
        lambda: "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
    )
    routes = {(route.function_id, f"{route.method} {route.path}") for route in http_routes(TEMPLATE)}
    for function, request in FRESH_REQUESTS.items():
        event = request(fresh)
        # A route of that function, with its method (channel_settings: PUT), as API Gateway would send it.
        assert (FUNCTION_IDS[function], event["routeKey"]) in routes, function
        assert event["requestContext"]["http"]["method"] == event["routeKey"].split(" ", 1)[0], function


# ------------------------------------------------------------------ cost


def invocation(name: str, **changes_: Any) -> Invocation:
    fields: dict[str, Any] = {
        "name": name,
        "function": name,
        "memory_mb": 256,
        "per_conversation": 1.0,
        "warm_ms": 9.2,
        "cpu_ms": 4.0,
        "init_ms": 400.0,
        "first_request_ms": 20.0,
        "write_units": 4.0,
        "index_write_units": 6.0,
        "read_units": 0.0,
        "log_bytes": 300.0,
        "access_log_bytes": 270.0,
    }
    return Invocation(**{**fields, **changes_})


def line(lines: list[Any], start: str) -> Any:
    return next(found for found in lines if found.item.startswith(start))


def test_cost_lines_scale_each_invocation_by_how_often_it_runs_per_conversation() -> None:
    sweep_share = MINUTES_PER_MONTH / ASSUMED_CONVERSATIONS_PER_MONTH
    sweep = invocation("sweep", per_conversation=sweep_share, api=False, scheduled=True, write_units=0.0,
                       index_write_units=0.0, read_units=4.0)  # fmt: skip
    lines = cost_lines([invocation("accept"), invocation("end"), sweep])
    assert line(lines, "API Gateway").dollars == pytest.approx(2.0)
    assert line(lines, "EventBridge Scheduler").dollars == pytest.approx(
        sweep_share * SCHEDULER_PER_MILLION_INVOCATIONS
    )
    assert line(lines, "DynamoDB on-demand writes: global").dollars == pytest.approx(
        12 * DYNAMODB_PER_MILLION_WRU
    )
    assert line(lines, "DynamoDB on-demand writes: the table").dollars == pytest.approx(
        8 * DYNAMODB_PER_MILLION_WRU
    )
    logs = (2 * (300 + 270) + (2 + sweep_share) * ASSUMED_PLATFORM_LOG_BYTES + sweep_share * 300) * 1e6 / 1e9
    assert line(lines, "CloudWatch Logs").dollars == pytest.approx(logs * 0.5)
    duration = line(lines, "Lambda duration")
    assert duration.dollars == pytest.approx((2 + sweep_share) * 1e6 * 0.010 * 0.25 * 0.0000133334)
    assert total(lines) == pytest.approx(sum(found.dollars for found in lines if found.in_goal))
    assert not line(lines, "(not in goal) X-Ray").in_goal


def test_webhook_deliveries_add_sqs_requests_and_the_webhook_s_answer_time() -> None:
    dispatch = invocation("dispatch", per_conversation=8.0, api=False, sqs_requests=1.0, write_units=0.0,
                          index_write_units=0.0, warm_ms=10.0)  # fmt: skip
    deliver = invocation("deliver", per_conversation=8.0, api=False, sqs_requests=2.0, wait_ms=100.0,
                         write_units=0.0, index_write_units=0.0, warm_ms=20.0)  # fmt: skip
    lines = cost_lines([invocation("accept"), dispatch, deliver])
    idle = MINUTES_PER_MONTH * ASSUMED_IDLE_RECEIVES_PER_MINUTE / ASSUMED_CONVERSATIONS_PER_MONTH
    assert line(lines, "SQS FIFO").dollars == pytest.approx(
        (8 * 1 + 8 * 2 + idle) * SQS_FIFO_PER_MILLION_REQUESTS
    )
    # The delivery waits for the webhook: billed as duration, at its function's memory.
    gb_s = (1 * 0.010 + 8 * 0.010 + 8 * 0.120) * 0.25 * 1e6
    assert line(lines, "Lambda duration").dollars == pytest.approx(gb_s * 0.0000133334)
    assert line(lines, "API Gateway").dollars == pytest.approx(1.0)  # the webhook functions are not API
    assert line(lines, "Lambda requests").dollars == pytest.approx(17 * 0.2)
    # No queue, no SQS line.
    assert not [found for found in cost_lines([invocation("accept")]) if found.item.startswith("SQS")]


def test_the_access_log_line_is_the_stage_format_with_sample_values() -> None:
    text = '{"id":"$context.requestId","route":"$context.routeKey","tenant":"$context.authorizer.claims.sub"}'
    values = {"requestId": "r1", "routeKey": "GET /x", "authorizer.claims.sub": "acme"}
    assert access_log_line(text, values) == '{"id":"r1","route":"GET /x","tenant":"acme"}'
    assert access_log_line('"$context.unknown"', {}) == '""'


def test_x_ray_samples_one_request_a_second_then_five_percent() -> None:
    seconds = MINUTES_PER_MONTH * 60
    assert xray_traces_per_month(0.5 * seconds) == pytest.approx(0.5 * seconds)
    assert xray_traces_per_month(21 * seconds) == pytest.approx(2 * seconds)


# ------------------------------------------------------------------ the webhook pipeline's SQS requests


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self._body


def test_sqs_requests_are_counted_by_operation_and_64_kb_chunk() -> None:
    client: Any = botocore.session.get_session().create_client(
        "sqs",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )

    def answer(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, {"x-amzn-RequestId": "1"}, _Raw(b"{}"))  # type: ignore[arg-type]

    client.meta.events.register_last("before-send.sqs", answer)
    small = [{"Id": "0", "MessageBody": "x" * 300, "MessageGroupId": "g", "MessageDeduplicationId": "d"}]
    large = [{**small[0], "Id": str(i), "MessageBody": "y" * 20_000} for i in range(5)]  # ~100 KB
    with count_sqs_calls(client) as calls:
        client.send_message_batch(QueueUrl="http://127.0.0.1:9/q.fifo", Entries=small)
        client.send_message_batch(QueueUrl="http://127.0.0.1:9/q.fifo", Entries=large)
    assert calls.operations == ["SendMessageBatch", "SendMessageBatch"]
    assert calls.chunks == 1 + 2
