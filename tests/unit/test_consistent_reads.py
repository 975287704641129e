"""Every read of a table item (not of an index) is strongly consistent: a client sees what it just wrote, at
once (README, "DynamoDB key design and access patterns"). DynamoDB Local and moto answer every read
consistently, so the test records the requests themselves, with a botocore hook on the DynamoDB client each
function holds, over every route that reads an item: a conversation's two views, its context, both kinds of
transcript page, a create that looks up the lock and the contact, a custom event, the channel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from messaging.store.client import dynamodb_client
from tests.api import CONSUMER, REPRESENTATIVE, InProcessApi
from tests.harness import environment
from tests.unit.conftest import moto_environment

# Operations that read items; a Query on an index cannot be consistent, so it is left out.
_READS = frozenset({"GetItem", "BatchGetItem", "Query"})


class Reads:
    """The read requests (operation, parameters) made through every client it hooked."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._clients: list[Any] = []

    def hook(self, _: ModuleType | None = None) -> None:
        client = dynamodb_client()
        if any(client is hooked for hooked in self._clients):
            return
        client.meta.events.register("provide-client-params.dynamodb", self._record)
        self._clients.append(client)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in _READS and "IndexName" not in params:
            self.requests.append((model.name, dict(params)))


@pytest.fixture
def reads() -> Iterator[Reads]:
    with moto_environment(), environment({"LOCAL_WEBHOOKS_ALLOWED": "true"}):
        yield Reads()


def _consistent(operation: str, params: dict[str, Any]) -> bool:
    if operation == "BatchGetItem":
        return all(table.get("ConsistentRead") is True for table in params["RequestItems"].values())
    return params.get("ConsistentRead") is True


def test_every_item_read_of_the_api_is_strongly_consistent(reads: Reads) -> None:
    # Given the API's functions, each one's DynamoDB client hooked as it is loaded, and a channel
    api = InProcessApi(on_load=reads.hook)
    assert api.call("PUT", f"{CONSUMER}/channel", {"webhookUrl": "http://127.0.0.1:9"}).status == 200
    # When a conversation is created with a contact (the lock and the contact's lookups are read first),
    # gets a custom event, and everything about it is read
    created = api.create(
        {
            "customercontext": {"customerid": "c1", "email": "ana@example.com", "phonenumber": "+1 555 0100"},
            "startmessage": {"message": "Hello"},
        }
    )
    assert created.status == 201, created.body
    conversation_id = created.body["conversationId"]
    custom = {"type": "event", "name": "context", "channelData": {"customEventValue": json.dumps({})}}
    assert api.call("POST", f"{CONSUMER}/conversation/{conversation_id}", custom).status == 200
    gets = [
        f"{CONSUMER}/conversation/{conversation_id}",
        f"{REPRESENTATIVE}/conversation/{conversation_id}",
        f"{CONSUMER}/conversation/{conversation_id}/context",
        f"{CONSUMER}/channel",
    ]
    for path in gets:
        assert api.call("GET", path).status == 200, path
    messages = f"{CONSUMER}/conversation/{conversation_id}/messages"
    for query in ({}, {"StartTimeStamp": "2999-01-01T00:00:00Z"}):
        assert api.call("GET", messages, query=query).status == 200, query
    # Then every operation that reads items was among the requests, and each asked for a consistent read
    assert {operation for operation, _ in reads.requests} == _READS
    assert [request for request in reads.requests if not _consistent(*request)] == []
