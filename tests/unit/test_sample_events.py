"""Every file in events/ is a real event that the function it is named after answers as expected: on a fresh
deployment (empty tables), and with the sample conversation present, so that each reaches its real path."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest

from local.webhook_receiver import WebhookReceiver
from messaging.domain.conversation import (
    Conversation,
    ConversationDetails,
    ConversationState,
    CustomerDetails,
    StartMessage,
)
from messaging.domain.ids import lock_fingerprint
from messaging.domain.state_machine import Status
from messaging.domain.tenant import Tenant
from messaging.store.channels import DynamoDBChannels
from messaging.store.protocol import NewConversation
from messaging.wiring import conversations
from tests.harness import REPO, TEMPLATE, invoke, invoke_raw, load_handler

EVENTS = sorted(path.name for path in (REPO / "events").glob("*.json"))
SAMPLE = "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b"  # the conversation every sample event names
TENANT = Tenant("acme-backend")
HTTP_FUNCTIONS = {
    props["CodeUri"].strip("/").split("/")[-1]
    for props in (
        r["Properties"] for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    )
    if any(event["Type"] == "HttpApi" for event in props["Events"].values())
}
# Per event: (status on empty tables, status with the sample conversation open and due).
EXPECTED_STATUS = {
    "create_conversation.new.json": (201, 201),
    "create_conversation.with-context-and-startmessage.json": (201, 201),
    "create_conversation.invalid.json": (400, 400),
    "consumer_activity.end-of-conversation.json": (404, 200),
    "consumer_activity.unsupported-type.json": (400, 400),
    "get_conversation.by-id.json": (404, 200),
    "list_conversations.first-page.json": (200, 200),
    "representative_conversations.queue.json": (200, 200),
    "representative_conversation.by-id.json": (404, 200),
    "representative_activity.accept.json": (404, 200),
    "representative_activity.close.json": (404, 200),
    "representative_activity.message.json": (404, 200),
    "consumer_activity.message.json": (404, 200),
    "get_transcript.first-page.json": (404, 200),
    "get_transcript.representative.json": (404, 200),
    "get_context.by-id.json": (404, 200),
    "channel_settings.set-webhook.json": (200, 200),
    "channel_settings.read.json": (404, 404),
    "channel_settings.rotate-secret.json": (404, 404),
}


def _function(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((REPO / "events" / name).read_text())
    return event


def _seed(status: Status = Status.OPEN, expires_at_ms: int = 2**42) -> None:
    """The sample conversation, open with a customerid (so it holds a lock), as a create would store it."""
    state = ConversationState(
        conversation_id=SAMPLE,
        tenant=TENANT,
        status=status,
        created_at_ms=1_795_000_000_000,
        entered_at_ms=1_795_000_000_000,
        expires_at_ms=expires_at_ms,
        last_message_id=1_795_000_000_000,
        customerid="jdoe123",
    )
    details = ConversationDetails(
        customer=CustomerDetails(customerid="jdoe123", firstname="John"),
        start_message=StartMessage("Hello"),
        start_message_id="1795000000000",
    )
    new = NewConversation(Conversation(state, details), fingerprint=lock_fingerprint(SAMPLE))
    conversations().insert_conversation(new, 1_795_000_000_000)


def test_every_http_function_has_a_sample_and_every_event_an_expectation() -> None:
    assert {_function(name) for name in EXPECTED_STATUS} == HTTP_FUNCTIONS
    assert set(EVENTS) == set(EXPECTED_STATUS) | {
        "timeout_sweeper.every-minute.json",
        "purge_conversations.ttl-state-removal.json",
        "dispatch_webhooks.accepted.json",
        "deliver_webhooks.accepted.json",
    }


@pytest.mark.parametrize("name", sorted(EXPECTED_STATUS))
def test_on_a_fresh_deployment_the_event_gets_its_answer(moto_tables: dict[str, str], name: str) -> None:
    assert invoke(load_handler(_function(name)), _event(name)).status == EXPECTED_STATUS[name][0]


@pytest.mark.parametrize("name", sorted(EXPECTED_STATUS))
def test_with_the_sample_conversation_the_event_gets_its_answer(
    moto_tables: dict[str, str], name: str
) -> None:
    _seed()
    answer = invoke(load_handler(_function(name)), _event(name))
    assert answer.status == EXPECTED_STATUS[name][1], answer.body
    if name.startswith(("get_conversation", "representative_conversation.")):
        assert answer.body["conversationId"] == SAMPLE


def test_the_schedule_event_times_out_a_conversation_past_its_deadline(moto_tables: dict[str, str]) -> None:
    # Given the sample conversation past its open deadline
    _seed(expires_at_ms=1_795_000_060_000)
    # When the sweeper's schedule fires
    report = invoke_raw(load_handler("timeout_sweeper"), _event("timeout_sweeper.every-minute.json"))
    # Then it timed out, and storage says so
    assert report == {"timedOut": 1, "refiled": 0, "unchanged": 0}
    stored = conversations().get(TENANT, SAMPLE)
    assert stored is not None and stored.state.status is Status.CLOSED


def test_the_stream_event_purges_the_rest_of_the_conversation(moto_tables: dict[str, str]) -> None:
    # Given the sample conversation's details and transcript, its state already removed by TTL
    _seed()
    table = moto_tables["ConversationsTable"]
    client = boto3.client("dynamodb")
    pk = {"S": f"TENANT#acme-backend#CONVERSATION#{SAMPLE}"}
    client.delete_item(TableName=table, Key={"pk": pk, "sk": {"S": "#STATE"}})
    # When the stream delivers TTL's removal
    event = _event("purge_conversations.ttl-state-removal.json")
    assert invoke_raw(load_handler("purge_conversations"), event) == {"batchItemFailures": []}
    # Then nothing of the conversation is left
    left = client.query(
        TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk}
    )
    assert left["Items"] == []


def test_the_stream_event_enqueues_the_state_change_for_the_webhook(moto_tables: dict[str, str]) -> None:
    # Given the webhook queue, empty
    queue_url = moto_tables["WebhookQueue"]
    # When the stream delivers the sample conversation's acceptance
    report = invoke_raw(load_handler("dispatch_webhooks"), _event("dispatch_webhooks.accepted.json"))
    # Then the change is on the queue, in the conversation's group, deduplicated by its activity's id
    assert report == {"batchItemFailures": []}
    (message,) = boto3.client("sqs").receive_message(
        QueueUrl=queue_url, AttributeNames=["All"], MaxNumberOfMessages=10
    )["Messages"]
    assert message["Attributes"]["MessageGroupId"] == SAMPLE
    assert message["Attributes"]["MessageDeduplicationId"] == f"{SAMPLE}-1795000000123"
    assert json.loads(message["Body"])["name"] == "ConversationAccepted"


def test_the_queue_event_without_a_channel_is_done_with(moto_tables: dict[str, str]) -> None:
    # Given a tenant that never set a webhook: there is nowhere to deliver, and nothing to retry
    report = invoke_raw(load_handler("deliver_webhooks"), _event("deliver_webhooks.accepted.json"))
    assert report == {"batchItemFailures": []}


def test_the_queue_event_is_delivered_signed_to_the_tenants_webhook(
    moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the tenant's webhook, a receiver on 127.0.0.1 (which local runs allow)
    monkeypatch.setenv("LOCAL_WEBHOOKS_ALLOWED", "true")
    store = DynamoDBChannels(boto3.client("dynamodb"), moto_tables["ChannelsTable"])
    secret = "whsec_" + base64.b64encode(b"s" * 32).decode()
    with WebhookReceiver(secret) as receiver:
        store.set_webhook(TENANT, receiver.url, secret, 1_795_000_000_000)
        # When the queue delivers the sample acceptance
        report = invoke_raw(load_handler("deliver_webhooks"), _event("deliver_webhooks.accepted.json"))
        # Then the receiver verified one delivery, identified by the conversation and the activity's id
        assert report == {"batchItemFailures": []}
        (delivery,) = receiver.received
    assert delivery.conversation_id == SAMPLE
    assert delivery.webhook_id == f"{SAMPLE}-1795000000123"
    assert delivery.activity["type"] == "event" and delivery.activity["name"] == "ConversationAccepted"
