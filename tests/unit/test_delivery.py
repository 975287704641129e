"""Webhook delivery in process (moto's SQS and DynamoDB, a receiver on 127.0.0.1), where the pipeline tests
run it in other processes: a representative's message is read from the transcript and posted with its text; a
webhook that fails gets the activity deferred on the queue (out of sight for the backoff) and reported as the
batch's failure; in a batch of several conversations, one delivered is deleted from the queue at once."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.webhook_receiver import WebhookReceiver
from messaging.domain.outgoing import Outgoing
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store.channels import DynamoDBChannels
from messaging.store.outbox import message_body
from tests.api import REPRESENTATIVE, InProcessApi
from tests.harness import invoke_raw, load_handler

TENANT = "tenant-a"
SECRET = "whsec_" + base64.b64encode(b"d" * 32).decode()


@pytest.fixture
def receiver(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    """The tenant's webhook: a receiver on 127.0.0.1 (which local runs allow) that knows its secret."""
    monkeypatch.setenv("LOCAL_WEBHOOKS_ALLOWED", "true")
    channels = DynamoDBChannels(boto3.client("dynamodb"), moto_tables["ChannelsTable"])
    with WebhookReceiver(SECRET) as webhook:
        channels.set_webhook(Tenant(TENANT), webhook.url, SECRET, now_ms())
        yield webhook


def _enqueue(queue_url: str, *outgoing: Outgoing) -> list[dict[str, Any]]:
    """Sends the activities to the webhook queue as dispatch does and receives them as Lambda's poller would:
    the SQS event records delivery gets (real receipt handles: deferring and deleting act on the queue).
    Received with no visibility timeout: one that delivery neither defers nor deletes is visible at once."""
    sqs = boto3.client("sqs")
    for each in outgoing:
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=message_body(each),
            MessageGroupId=each.conversation_id,
            MessageDeduplicationId=f"{each.conversation_id}-{each.message_id}",
        )
    received = sqs.receive_message(
        QueueUrl=queue_url, AttributeNames=["All"], MaxNumberOfMessages=10, VisibilityTimeout=0
    )["Messages"]
    by_body = {message["Body"]: message for message in received}
    messages = [by_body[message_body(each)] for each in outgoing]
    return [
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message["Attributes"],
            "eventSource": "aws:sqs",
        }
        for message in messages
    ]


def _representative_message(api: InProcessApi, text: str) -> Outgoing:
    conversation_id = api.start(customerid=None)
    assert api.event(conversation_id, "accept").status == 200
    sent = api.call(
        "POST",
        f"{REPRESENTATIVE}/conversation/{conversation_id}",
        {"type": "message", "text": text, "from": {"id": "rep-1", "name": "Rep"}},
    )
    assert sent.status == 200, sent.body
    return Outgoing(
        Tenant(TENANT),
        conversation_id,
        int(sent.body["messageId"]),
        "message",
        at_ms=int(sent.body["messageId"]),
        representative_id="rep-1",
        representative_name="Rep",
    )


def _visible(queue_url: str) -> list[str]:
    """The ids of the messages a receive gets now (not in flight, not deleted)."""
    answer = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [message["MessageId"] for message in answer.get("Messages", [])]


def test_a_representatives_message_is_posted_with_its_text_from_the_transcript(
    moto_tables: dict[str, str], receiver: WebhookReceiver
) -> None:
    # Given a representative's message, queued for the webhook
    outgoing = _representative_message(InProcessApi(TENANT), "How can I help?")
    (record,) = _enqueue(moto_tables["WebhookQueue"], outgoing)
    # When delivery takes it from the queue
    report = invoke_raw(load_handler("deliver_webhooks"), {"Records": [record]})
    # Then the business received it signed, with the text the transcript holds and the representative
    assert report == {"batchItemFailures": []}
    (delivery,) = receiver.received
    assert delivery.webhook_id == f"{outgoing.conversation_id}-{outgoing.message_id}"
    assert delivery.activity["type"] == "message"
    assert delivery.activity["text"] == "How can I help?"
    assert delivery.activity["from"] == {"id": "rep-1", "name": "Rep", "role": "representative"}


def test_a_failing_webhook_gets_the_activity_deferred_on_the_queue_and_reported_failed(
    moto_tables: dict[str, str], receiver: WebhookReceiver
) -> None:
    # Given a queued message and a webhook answering 500
    queue_url = moto_tables["WebhookQueue"]
    (record,) = _enqueue(queue_url, _representative_message(InProcessApi(TENANT), "hello"))
    receiver.fail_always(status=500)
    # When delivery tries it
    report = invoke_raw(load_handler("deliver_webhooks"), {"Records": [record]})
    # Then the record is the batch's failure, and the queue keeps it out of sight for the backoff
    assert report == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    assert [arrival.outcome for arrival in receiver.arrivals] == ["500"]
    assert _visible(queue_url) == []


def test_in_a_batch_of_two_conversations_the_delivered_one_leaves_the_queue_at_once(
    moto_tables: dict[str, str], receiver: WebhookReceiver
) -> None:
    # Given two conversations' messages in one batch, the webhook failing for the first conversation only
    queue_url = moto_tables["WebhookQueue"]
    api = InProcessApi(TENANT)
    failing, delivered = _representative_message(api, "one"), _representative_message(api, "two")
    records = _enqueue(queue_url, failing, delivered)
    receiver.fail_always(status=500, conversation_id=failing.conversation_id)
    # When delivery takes the batch
    report = invoke_raw(load_handler("deliver_webhooks"), {"Records": records})
    # Then the failing one is reported, and the delivered one was deleted by delivery itself
    assert report == {"batchItemFailures": [{"itemIdentifier": records[0]["messageId"]}]}
    assert [d.conversation_id for d in receiver.received] == [delivered.conversation_id]
    # (the failing one is still on the queue, deferred; the delivered one's receipt is gone with it)
    sqs = boto3.client("sqs")
    assert _visible(queue_url) == []
    with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):
        sqs.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=records[1]["receiptHandle"], VisibilityTimeout=0
        )
    sqs.change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=records[0]["receiptHandle"], VisibilityTimeout=0
    )
    assert _visible(queue_url) == [records[0]["messageId"]]
