"""Any tenant id works end to end, even one holding the characters storage keys use ('#' separates key parts,
'%' escapes): TTL's purge finds the conversation's tenant back from its key, and a transcript read after its
last message tells a known conversation (empty page) from an unknown one (404)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.event_sources.stream_records import TTL_IDENTITY
from messaging.domain.tenant import Tenant
from messaging.store import keys
from tests.api import CONSUMER, InProcessApi
from tests.harness import invoke_raw, load_handler
from tests.unit.conftest import moto_environment

# Ids that look like key parts, or like their escapes: each must come back from a key as itself.
AWKWARD_TENANTS = ["acme#CONVERSATION#x", "50%23off", "a%25b", "100%", "#", "%"]


@pytest.fixture
def tables() -> Iterator[dict[str, str]]:
    with moto_environment() as names:
        yield names


def _conversation_items(table: str, tenant: Tenant, conversation_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.conversation_key(tenant, conversation_id)}},
    )["Items"]
    return items


def _ttl_removal(table: str, tenant: Tenant, conversation_id: str) -> dict[str, Any]:
    """The stream record of TTL deleting the conversation's state, as real DynamoDB sends it."""
    key = {"pk": {"S": keys.conversation_key(tenant, conversation_id)}, "sk": {"S": keys.STATE}}
    boto3.client("dynamodb").delete_item(TableName=table, Key=key)
    return {
        "eventID": "1",
        "eventName": "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {"Keys": key, "SequenceNumber": "1", "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}/stream/x",
        "userIdentity": dict(TTL_IDENTITY),
    }


@pytest.mark.parametrize("tenant_id", AWKWARD_TENANTS)
def test_ttl_purging_a_conversation_of_any_tenant_deletes_its_details_and_transcript(
    tables: dict[str, str], tenant_id: str
) -> None:
    # Given a closed conversation with a start message, of a tenant whose id holds '#' or '%'
    api = InProcessApi(tenant_id)
    created = api.create({"customercontext": {"customerid": "c1"}, "startmessage": {"message": "Hello"}})
    assert created.status == 201, created.body
    conversation_id = created.body["conversationId"]
    assert api.end(conversation_id).status == 200
    tenant, table = Tenant(tenant_id), tables["ConversationsTable"]
    assert [item["sk"]["S"] for item in _conversation_items(table, tenant, conversation_id)] != []
    # When TTL deletes its state and the purge consumer gets the stream's record of it
    record = _ttl_removal(table, tenant, conversation_id)
    answer = invoke_raw(load_handler("purge_conversations"), {"Records": [record]})
    # Then the rest of that tenant's conversation is gone with it
    assert answer == {"batchItemFailures": []}
    assert _conversation_items(table, tenant, conversation_id) == []


def test_a_transcript_after_the_last_message_is_empty_for_a_known_conversation_and_404_otherwise(
    tables: dict[str, str],
) -> None:
    # Given a conversation whose only message is its start message, and an id nobody created
    api = InProcessApi()
    created = api.create({"customercontext": {"customerid": "c1"}, "startmessage": {"message": "Hello"}})
    assert created.status == 201, created.body
    known = created.body["conversationId"]
    unknown = str(uuid.uuid4())
    later = {"StartTimeStamp": "2999-01-01T00:00:00Z"}
    # When each transcript is read from a moment after every message
    page = api.call("GET", f"{CONSUMER}/conversation/{known}/messages", query=later)
    missing = api.call("GET", f"{CONSUMER}/conversation/{unknown}/messages", query=later)
    # Then the known conversation's page is empty and the unknown one is not found
    assert (page.status, page.body) == (200, {"messages": [], "continuationToken": None})
    assert missing.status == 404, missing.body
