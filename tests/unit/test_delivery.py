"""Webhook delivery in process (moto's SQS and DynamoDB, a receiver on 127.0.0.1), where the pipeline tests
run it in other processes: a representative's message is read from the transcript and posted with its text; a
webhook that fails gets the activity deferred on the queue (out of sight for the backoff) and reported as the
batch's failure; in a batch of several conversations, one delivered is deleted from the queue at once."""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.webhook_receiver import WebhookReceiver
from messaging.delivery.webhook import DeliveryResult, post_activity
from messaging.domain.outgoing import Outgoing
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store import keys
from messaging.store.channels import DynamoDBChannels
from messaging.store.outbox import DynamoDBDeliverySources, SqsWebhookQueue, message_body, outgoing_from_body
from messaging.usecases.webhooks import DeliverWebhooks, Queued, queued_from_sqs
from tests.api import REPRESENTATIVE, InProcessApi
from tests.harness import invoke_raw, load_handler

TENANT = "tenant-a"
SECRET = "whsec_" + base64.b64encode(b"d" * 32).decode()
CONVERSATION = "4f0c2a8e-9b1d-4c57-8a7e-2d3b1c0e9f61"


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


def _state_image(table: str, conversation_id: str) -> dict[str, Any]:
    """The conversation's state item as it is now: what the stream's NEW_IMAGE carries to dispatch."""
    key = {"pk": {"S": keys.conversation_key(Tenant(TENANT), conversation_id)}, "sk": {"S": keys.STATE}}
    item: dict[str, Any] = boto3.client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True)[
        "Item"
    ]
    return item


def _received(queue_url: str) -> list[dict[str, Any]]:
    """The queue's messages as the SQS event records delivery gets."""
    answer = boto3.client("sqs").receive_message(
        QueueUrl=queue_url, AttributeNames=["All"], MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message["Attributes"],
            "eventSource": "aws:sqs",
        }
        for message in answer.get("Messages", [])
    ]


@pytest.mark.parametrize(
    ("events", "sender"),
    [
        ([("accept", {"id": "rep-7", "name": "Rep-7"})], {"id": "rep-7", "name": "Rep-7"}),
        ([("accept", {"id": "rep-8"})], {"id": "rep-8", "name": None}),  # a representative without a name
        # Released: the conversation has no representative any more, and the event names none
        (
            [("accept", {"id": "rep-7", "name": "Rep-7"}), ("release", {"id": "rep-7"})],
            {"id": None, "name": None},
        ),
    ],
)
def test_a_state_change_reaches_the_webhook_as_its_event_with_the_new_status_and_the_representative(
    moto_tables: dict[str, str],
    receiver: WebhookReceiver,
    events: list[tuple[str, dict[str, str]]],
    sender: dict[str, str | None],
) -> None:
    # Given a conversation's state change by a representative (the last of `events`)
    api = InProcessApi(TENANT)
    conversation_id = api.start(customerid=None)
    for name, representative in events:
        changed = api.call(
            "POST",
            f"{REPRESENTATIVE}/conversation/{conversation_id}",
            {"type": "event", "name": name, "from": representative},
        )
        assert changed.status == 200, changed.body
    # When the stream carries the state's new image to dispatch, and delivery takes it from the queue
    image = _state_image(moto_tables["ConversationsTable"], conversation_id)
    record = {"eventName": "MODIFY", "dynamodb": {"NewImage": image, "SequenceNumber": "100"}}
    assert invoke_raw(load_handler("dispatch_webhooks"), {"Records": [record]}) == {"batchItemFailures": []}
    records = _received(moto_tables["WebhookQueue"])
    assert invoke_raw(load_handler("deliver_webhooks"), {"Records": records}) == {"batchItemFailures": []}
    # Then the business received the event once: its name, the status the API answered, and who made it
    (delivery,) = receiver.received
    activity = dict(delivery.activity)
    assert isinstance(activity.pop("timestamp"), str)
    assert activity == {
        "type": "event",
        "id": changed.body["messageId"],
        "conversation": {"id": conversation_id},
        "from": {**sender, "role": "representative"},
        "name": {"accept": "ConversationAccepted", "release": "ConversationReleased"}[events[-1][0]],
        "value": {"status": changed.body["status"]},
    }
    assert changed.body.get("representative") == (sender if sender["id"] is not None else None)


def test_a_message_with_attachments_reaches_the_webhook_from_the_representative_who_sent_it(
    moto_tables: dict[str, str], receiver: WebhookReceiver
) -> None:
    # Given a conversation accepted by one representative, and a message with attachments sent by another
    api = InProcessApi(TENANT)
    conversation_id = api.start(customerid=None)
    assert api.event(conversation_id, "accept", representative="rep-7").status == 200
    attachments = [
        {"contentType": "image/png", "contentUrl": "https://cdn.example.com/a.png", "name": "a.png"},
        {"contentType": "text/plain", "contentUrl": "data:text/plain;base64,aGk="},
    ]
    sent = api.call(
        "POST",
        f"{REPRESENTATIVE}/conversation/{conversation_id}",
        {
            "type": "message",
            "text": "Here you go",
            "attachments": attachments,
            "from": {"id": "sup-1", "name": "Sue"},
        },
    )
    assert sent.status == 200, sent.body
    # When the stream carries the state's new image to dispatch, and delivery takes it from the queue
    image = _state_image(moto_tables["ConversationsTable"], conversation_id)
    record = {"eventName": "MODIFY", "dynamodb": {"NewImage": image, "SequenceNumber": "100"}}
    assert invoke_raw(load_handler("dispatch_webhooks"), {"Records": [record]}) == {"batchItemFailures": []}
    records = _received(moto_tables["WebhookQueue"])
    assert invoke_raw(load_handler("deliver_webhooks"), {"Records": records}) == {"batchItemFailures": []}
    # Then the business received the message with its text and attachments, from its sender
    (delivery,) = receiver.received
    activity = dict(delivery.activity)
    assert isinstance(activity.pop("timestamp"), str)
    assert activity == {
        "type": "message",
        "id": sent.body["messageId"],
        "conversation": {"id": conversation_id},
        "from": {"id": "sup-1", "name": "Sue", "role": "representative"},
        "text": "Here you go",
        "attachments": [{"name": None, **each} for each in attachments],
    }


def test_a_tenant_whose_webhook_failed_three_times_in_a_row_is_skipped_for_one_retry_base(
    moto_tables: dict[str, str], receiver: WebhookReceiver
) -> None:
    # Given a tenant's webhook that always fails, and an activity of its on the queue
    receiver.fail_always(status=500)
    queue = SqsWebhookQueue(boto3.client("sqs"), moto_tables["WebhookQueue"])
    event = Outgoing(Tenant(TENANT), "4f0c2a8e-9b1d-4c57-8a7e-2d3b1c0e9f61", 1, "event", at_ms=1, name="X")
    assert queue.send([event]) == []
    (record,) = _received(moto_tables["WebhookQueue"])
    queued = queued_from_sqs(record, outgoing_from_body(record["body"]))
    now = [now_ms()]
    deliver = _delivery(moto_tables, clock=lambda: now[0])

    def attempts_after_delivering() -> int:
        assert deliver([queued]) == [record["messageId"]]  # failed (tried or skipped): received again later
        return len(receiver.arrivals)

    # When delivery tries it again and again: the first three attempts reach the webhook
    assert [attempts_after_delivering() for _ in range(3)] == [1, 2, 3]
    # Then after the third failure in a row, the tenant's deliveries are skipped for one retry base
    assert attempts_after_delivering() == 3
    now[0] += RETRY_BASE_S * 1000 - 1
    assert attempts_after_delivering() == 3
    # And tried again once it has passed
    now[0] += 1
    assert attempts_after_delivering() == 4


@pytest.mark.parametrize(
    ("attributes", "receive_count"),
    [({"ApproximateReceiveCount": "3", "SentTimestamp": "1"}, 3), ({"SentTimestamp": "1"}, 1), (None, 1)],
)
def test_an_sqs_record_says_how_often_it_was_received_once_when_it_does_not_say(
    attributes: dict[str, str] | None, receive_count: int
) -> None:
    # The receive count sets the backoff of the next retry: a record without it is a first receive
    outgoing = Outgoing(Tenant(TENANT), "4f0c2a8e-9b1d-4c57-8a7e-2d3b1c0e9f61", 1, "event", at_ms=1)
    record = {
        "messageId": "m-1",
        "receiptHandle": "r-1",
        "body": message_body(outgoing),
        "attributes": attributes,
    }
    queued = queued_from_sqs(record, outgoing)
    assert (queued.record_id, queued.receipt_handle, queued.receive_count, queued.outgoing) == (
        "m-1",
        "r-1",
        receive_count,
        outgoing,
    )


@pytest.mark.parametrize(
    ("tenant", "kind"),
    [
        ("tenant-without-webhook", "event"),  # no webhook set: nothing to deliver to
        (TENANT, "message"),  # the message is gone from the transcript (purged): nothing left to deliver
    ],
)
def test_an_activity_with_nowhere_to_go_or_nothing_to_send_is_dropped_not_retried(
    moto_tables: dict[str, str], receiver: WebhookReceiver, tenant: str, kind: str
) -> None:
    # Given a queued activity of a tenant without a webhook, or a message no longer in the transcript
    outgoing = Outgoing(Tenant(tenant), "4f0c2a8e-9b1d-4c57-8a7e-2d3b1c0e9f61", 7, kind, at_ms=7)
    (record,) = _enqueue(moto_tables["WebhookQueue"], outgoing)
    # When delivery takes it
    report = invoke_raw(load_handler("deliver_webhooks"), {"Records": [record]})
    # Then it succeeded without a request (the queue drops it), and is not retried
    assert report == {"batchItemFailures": []}
    assert receiver.arrivals == []


def test_delivery_reads_a_representatives_message_with_a_strongly_consistent_read(
    moto_tables: dict[str, str],
) -> None:
    # An eventually consistent read could miss a message written a moment ago, and delivery would drop it as
    # purged: the read must be strongly consistent (moto is always consistent, so the request itself is read)
    dynamodb = boto3.client("dynamodb")
    reads: list[Any] = []
    dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.GetItem",
        lambda params, **_: reads.append(params.get("ConsistentRead")),
    )
    sources = DynamoDBDeliverySources(
        DynamoDBChannels(dynamodb, moto_tables["ChannelsTable"]), dynamodb, moto_tables["ConversationsTable"]
    )
    assert sources.message(Tenant(TENANT), "4f0c2a8e-9b1d-4c57-8a7e-2d3b1c0e9f61", 7) is None
    assert reads == [True]


def _events_on_the_queue(queue_url: str, *conversations: str) -> list[Queued]:
    """One state-change event per entry (a conversation may come twice), sent as dispatch does and received as
    Lambda's poller would (no visibility timeout), in the order given."""
    queue = SqsWebhookQueue(boto3.client("sqs"), queue_url)
    sent = [
        Outgoing(Tenant(TENANT), conversation_id, number, "event", at_ms=number, name="X")
        for number, conversation_id in enumerate(conversations, start=1)
    ]
    assert queue.send(sent) == []
    by_body = {record["body"]: record for record in _received(queue_url)}
    return [queued_from_sqs(by_body[message_body(each)], each) for each in sent]


RETRY_BASE_S = 30


def _delivery(
    moto_tables: dict[str, str],
    post: Callable[..., DeliveryResult] = post_activity,
    clock: Callable[[], int] = now_ms,
) -> DeliverWebhooks:
    """Delivery over the moto tables and queue; by default it posts for real (to the local receiver)."""
    dynamodb = boto3.client("dynamodb")
    sources = DynamoDBDeliverySources(
        DynamoDBChannels(dynamodb, moto_tables["ChannelsTable"]), dynamodb, moto_tables["ConversationsTable"]
    )
    queue = SqsWebhookQueue(boto3.client("sqs"), moto_tables["WebhookQueue"])
    return DeliverWebhooks(
        sources, queue, retry_base_s=RETRY_BASE_S, allow_local=True, post=post, clock=clock
    )


DELIVERED = DeliveryResult(delivered=True, status=200, reason="http 200", elapsed_ms=1)
REFUSED = DeliveryResult(delivered=False, status=500, reason="http 500", elapsed_ms=1)


def _still_received(queue_url: str, queued: Queued) -> bool:
    """Whether the message is still on the queue under this receipt (delivery did not delete it)."""
    try:
        boto3.client("sqs").change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=queued.receipt_handle, VisibilityTimeout=0
        )
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ReceiptHandleIsInvalid"
        return False
    return True


def test_alone_in_its_batch_a_delivered_conversation_is_left_for_the_mapping_to_delete(
    moto_tables: dict[str, str], receiver: WebhookReceiver
) -> None:
    # Given a batch of one conversation's two state changes, the webhook refusing the second
    queue_url = moto_tables["WebhookQueue"]
    first, second = _events_on_the_queue(queue_url, CONVERSATION, CONVERSATION)
    answers = [DELIVERED, REFUSED]
    deliver = _delivery(moto_tables, lambda *_args, **_kwargs: answers.pop(0))
    # When delivery takes the batch
    failed = deliver([first, second])
    # Then the second is reported failed, and the first, delivered, is not deleted by delivery: the SQS
    # mapping deletes a batch's successes when the invocation returns, and no other conversation waits
    assert (failed, answers) == ([second.record_id], [])
    assert _still_received(queue_url, first)


def test_alone_in_its_batch_a_wholly_delivered_conversation_is_left_for_the_mapping_to_delete(
    moto_tables: dict[str, str], receiver: WebhookReceiver
) -> None:
    # Given a batch of one conversation's state change
    queue_url = moto_tables["WebhookQueue"]
    (only,) = _events_on_the_queue(queue_url, CONVERSATION)
    # When delivery takes the batch and the webhook accepts it
    failed = _delivery(moto_tables, lambda *_args, **_kwargs: DELIVERED)([only])
    # Then nothing failed, and the message is left for the mapping to delete
    assert failed == []
    assert _still_received(queue_url, only)


def test_the_conversations_of_a_batch_are_posted_at_the_same_time(
    moto_tables: dict[str, str], receiver: WebhookReceiver
) -> None:
    # Given a full batch: ten conversations' state changes
    conversations = [str(uuid.UUID(int=n + 1)) for n in range(10)]
    batch = _events_on_the_queue(moto_tables["WebhookQueue"], *conversations)
    # And a webhook that answers only once all ten POSTs are under way (a barrier: no timing guesses)
    all_posting = threading.Barrier(len(conversations), timeout=10)

    def post(*_args: Any, **_kwargs: Any) -> DeliveryResult:
        all_posting.wait()  # BrokenBarrierError, and a failed test, if the POSTs came one after another
        return DELIVERED

    # When delivery takes the batch
    failed = _delivery(moto_tables, post)(batch)
    # Then all ten were delivered, side by side
    assert failed == []
    assert not all_posting.broken
