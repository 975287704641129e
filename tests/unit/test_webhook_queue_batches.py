"""The webhook queue's batch calls (store/outbox.py): dispatch enqueues a stream batch ten activities per
SendMessageBatch (a tenth of the requests), delivery deletes ten receipts per DeleteMessageBatch, and a send
that SQS accepts only in part reports which activities failed, counted across the batches, so that dispatch
retries the stream from the first of them.

moto's SQS, with every batch request recorded at the client (botocore's before-parameter-build event);
SQS's answers with failed entries, which moto never gives, from botocore's Stubber.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber

from messaging.domain.outgoing import Outgoing
from messaging.domain.tenant import Tenant
from messaging.store.outbox import SqsWebhookQueue, message_body
from messaging.usecases.webhooks import DispatchWebhooks

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

TENANT = Tenant("tenant-a")
BATCH = 10  # the most entries of an SQS batch call
CONVERSATIONS = [f"4f0c2a8e-9b1d-4c57-8a7e-{index:012d}" for index in range(3)]


def _activities(count: int, conversations: list[str]) -> list[Outgoing]:
    """`count` state events, spread over `conversations` in turn, each with its own id."""
    return [
        Outgoing(
            TENANT,
            conversations[index % len(conversations)],
            1_796_000_000_000 + index,
            "event",
            at_ms=1_796_000_000_000 + index,
            name="ConversationAccepted",
            status="active",
            representative_id="rep-7",
            representative_name="Rep-7",
        )
        for index in range(count)
    ]


class Recorded:
    """The entries of each batch request a client sent, by operation."""

    def __init__(self, client: SQSClient) -> None:
        self.entries: dict[str, list[list[dict[str, Any]]]] = {}
        client.meta.events.register("before-parameter-build.sqs.*", self._record)

    def _record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if "Entries" in params:
            self.entries.setdefault(model.name, []).append(list(params["Entries"]))


@pytest.fixture
def sqs(moto_tables: dict[str, str]) -> Iterator[tuple[SQSClient, str]]:
    yield boto3.client("sqs"), moto_tables["WebhookQueue"]


def _drain(client: SQSClient, queue_url: str) -> list[str]:
    """Every message body on the queue, receiving (and deleting) until none is left."""
    bodies: list[str] = []
    while messages := client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=BATCH).get("Messages"):
        bodies += [message["Body"] for message in messages]
        for message in messages:
            client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _left(client: SQSClient, queue_url: str) -> int:
    attributes = client.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def _ids_per_request(requests: list[list[dict[str, Any]]]) -> list[list[str]]:
    return [[entry["Id"] for entry in entries] for entries in requests]


def test_a_stream_batch_of_23_activities_is_enqueued_in_three_requests_each_once_in_order(
    sqs: tuple[SQSClient, str],
) -> None:
    # Given 23 activities of one conversation (more than two batches' worth)
    client, queue_url = sqs
    recorded = Recorded(client)
    activities = _activities(23, CONVERSATIONS[:1])
    # When dispatch enqueues them
    failed = SqsWebhookQueue(client, queue_url).send(activities)
    # Then none failed, and they went ten per request, each entry with an id unique in its request
    assert failed == []
    assert _ids_per_request(recorded.entries["SendMessageBatch"]) == [
        [str(index) for index in range(count)] for count in (BATCH, BATCH, 3)
    ]
    # And the queue holds each activity once, in the conversation's order
    assert _drain(client, queue_url) == [message_body(each) for each in activities]


def test_delivered_messages_are_deleted_ten_receipts_per_request(sqs: tuple[SQSClient, str]) -> None:
    # Given 23 messages of 23 conversations, received (in flight)
    client, queue_url = sqs
    queue = SqsWebhookQueue(client, queue_url)
    conversations = [f"4f0c2a8e-9b1d-4c57-8a7e-{index:012d}" for index in range(23)]
    assert queue.send(_activities(23, conversations)) == []
    handles: list[str] = []
    while len(handles) < 23:
        answer = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=BATCH, VisibilityTimeout=300)
        handles += [message["ReceiptHandle"] for message in answer["Messages"]]
    recorded = Recorded(client)
    # When delivery deletes them all
    queue.delete(handles)
    # Then none is left on the queue, and the deletion took three requests of distinct ids (as SQS requires)
    assert _left(client, queue_url) == 0
    assert _ids_per_request(recorded.entries["DeleteMessageBatch"]) == [
        [str(index) for index in range(count)] for count in (BATCH, BATCH, 3)
    ]


def _visible(client: SQSClient, queue_url: str) -> int:
    attributes = client.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_failed_messages_are_deferred_ten_receipts_per_request(sqs: tuple[SQSClient, str]) -> None:
    # Given 23 messages of 23 conversations, received and visible again at once (a visibility timeout of 0)
    client, queue_url = sqs
    queue = SqsWebhookQueue(client, queue_url)
    conversations = [f"4f0c2a8e-9b1d-4c57-8a7e-{index:012d}" for index in range(23)]
    assert queue.send(_activities(23, conversations)) == []
    handles: list[str] = []
    while len(handles) < 23:
        answer = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=BATCH, VisibilityTimeout=300)
        handles += [message["ReceiptHandle"] for message in answer["Messages"]]
    for first in range(0, len(handles), BATCH):
        client.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for index, handle in enumerate(handles[first : first + BATCH])
            ],
        )
    assert _visible(client, queue_url) == 23
    recorded = Recorded(client)
    # When delivery defers them all for the backoff
    queue.defer(handles, 600)
    # Then none is visible, and the deferral took three requests of distinct ids
    assert _visible(client, queue_url) == 0
    assert _ids_per_request(recorded.entries["ChangeMessageVisibilityBatch"]) == [
        [str(index) for index in range(count)] for count in (BATCH, BATCH, 3)
    ]


QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/webhooks.fifo"


@contextmanager
def refusing(activities: list[Outgoing], refused: list[list[str]]) -> Iterator[SQSClient]:
    """An SQS client that answers each SendMessageBatch of `activities` (ten per request), refusing the
    entries whose ids `refused` lists for that request; it checks every request's entries."""
    client = boto3.client("sqs")
    with Stubber(client) as stubber:
        for number, ids in enumerate(refused):
            chunk = activities[number * BATCH : (number + 1) * BATCH]
            entries = [
                {
                    "Id": str(index),
                    "MessageBody": message_body(each),
                    "MessageGroupId": each.conversation_id,
                    "MessageDeduplicationId": each.webhook_id,
                }
                for index, each in enumerate(chunk)
            ]
            failed = [{"Id": each, "SenderFault": False, "Code": "InternalError"} for each in ids]
            stubber.add_response(
                "send_message_batch",
                {"Successful": [], "Failed": failed},
                {"QueueUrl": QUEUE_URL, "Entries": entries},
            )
        yield client
        stubber.assert_no_pending_responses()


def test_activities_sqs_refuses_are_reported_by_their_place_in_the_whole_stream_batch() -> None:
    # Given SQS refusing the 4th entry of the second request and the 1st and 3rd of the third
    activities = _activities(23, CONVERSATIONS)
    with refusing(activities, [[], ["3"], ["0", "2"]]) as client:
        # When the 23 activities are enqueued
        failed = SqsWebhookQueue(client, QUEUE_URL).send(activities)
    # Then the refused ones are named by their index among the 23, in order
    assert failed == [BATCH + 3, 2 * BATCH + 0, 2 * BATCH + 2]


@pytest.mark.parametrize(
    ("refused", "retry_from"),
    [
        ([[], ["3"], ["0", "2"]], BATCH + 3),
        ([["9", "1"], [], []], 1),
        ([[], [], []], None),
    ],
)
def test_dispatch_retries_the_stream_batch_from_the_first_activity_sqs_refused(
    refused: list[list[str]], retry_from: int | None
) -> None:
    # Given SQS refusing some entries of a stream batch of 23 activities (or none)
    activities = _activities(23, CONVERSATIONS)
    with refusing(activities, refused) as client:
        # When dispatch enqueues them
        first_failed = DispatchWebhooks(SqsWebhookQueue(client, QUEUE_URL))(activities)
    # Then it names the first refused one (the stream retries from there), or none
    assert first_failed == retry_from
