"""DynamoDB round trips per create (README "Access patterns"): new ≤ 2, existing ≤ 1; never a Scan."""

from __future__ import annotations

from typing import Any

import pytest

from messaging.store.client import dynamodb_client
from tests.harness import CREATE, api_event, count_dynamodb_calls, invoke, load_handler


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
