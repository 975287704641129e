"""DynamoDB round trips (README "Access patterns"): a create new ≤ 2, existing 1; every transition and every
message 1 (one TransactWriteItems or UpdateItem, written blind: no read first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from messaging.store.client import dynamodb_client
from tests.api import CONSUMER, REPRESENTATIVE, InProcessApi
from tests.harness import CREATE, Answer, api_event, count_dynamodb_calls, invoke, load_handler


@pytest.mark.parametrize(
    ("customer", "expected_new"),
    [
        ({"customerid": "c1"}, ["TransactWriteItems"]),
        ({"customerid": "c1", "email": "a@example.com"}, ["BatchGetItem", "TransactWriteItems"]),
        (
            {"customerid": "c1", "email": "a@example.com", "phonenumber": "+1 555"},
            ["BatchGetItem", "TransactWriteItems"],
        ),
    ],
    ids=["customerid only", "with email", "with email and phone"],
)
def test_new_takes_at_most_two_round_trips_and_existing_one(
    local_env: dict[str, str], customer: dict[str, Any], expected_new: list[str]
) -> None:
    handler = load_handler("create_conversation")
    event = api_event("POST", CREATE, {"customercontext": customer})
    # When a new conversation is created, Then exactly the expected calls are made
    with count_dynamodb_calls(dynamodb_client()) as calls:
        assert invoke(handler, event).status == 201
    assert calls == expected_new
    # When it is asked for again, Then one call answers it
    with count_dynamodb_calls(dynamodb_client()) as calls:
        assert invoke(handler, api_event("POST", CREATE, {"customercontext": customer})).status == 200
    assert len(calls) == 1


@pytest.mark.parametrize("customerid", ["c-lifecycle", None], ids=["with-lock", "without-customerid"])
def test_every_transition_and_message_is_one_round_trip(
    local_env: dict[str, str], customerid: str | None
) -> None:
    # Given an open conversation (with or without the customerid's active lock), and every function's own
    # DynamoDB client (built when its module loads) recording its round trips
    calls: list[str] = []

    def record(request: Any, **_: Any) -> None:
        calls.append(request.headers.get("X-Amz-Target", b"").decode().rpartition(".")[2])

    api = InProcessApi(
        on_load=lambda _: dynamodb_client().meta.events.register("before-send.dynamodb", record)
    )
    conversation_id = api.start(customerid)
    other_id = api.start(f"{customerid}-other" if customerid else None)
    message = {"type": "message", "text": "hello"}
    steps: list[tuple[str, Callable[[], Answer]]] = [
        ("accept", lambda: api.event(conversation_id, "accept")),
        ("customer message", lambda: api.call("POST", f"{CONSUMER}/conversation/{conversation_id}", message)),
        (
            "representative message",
            lambda: api.call(
                "POST",
                f"{REPRESENTATIVE}/conversation/{conversation_id}",
                {**message, "from": {"id": "rep-1", "name": "Rep"}},
            ),
        ),
        ("wait", lambda: api.event(conversation_id, "wait")),
        ("resume", lambda: api.event(conversation_id, "resume")),
        ("end", lambda: api.event(conversation_id, "end")),
        ("close", lambda: api.event(conversation_id, "close")),
        ("endOfConversation (open → closed)", lambda: api.end(other_id)),
    ]
    for name, step in steps:
        # When each step is taken, Then it answers 200 after exactly one DynamoDB call
        calls.clear()
        answer = step()
        assert answer.status == 200, (name, answer.body)
        # (a transaction when the lock or a message is written with the state, else the state's update)
        assert len(calls) == 1 and calls[0] in {"TransactWriteItems", "UpdateItem"}, (name, calls)
