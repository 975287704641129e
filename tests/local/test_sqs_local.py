"""The local queue engine keeps what the webhook pipeline relies on from SQS FIFO: a message group's order,
a group held back while one of its messages is in flight, and the template's redrive policy to the
dead-letter queue after maxReceiveCount receives."""

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from local.queues import create_queues
from local.sqs_local import SqsLocal, sqs_client
from local.template import load_template
from tests.harness import REPO
from tests.local.event_source_app import eventually

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

TEMPLATE = load_template(REPO / "template.yaml")


@pytest.fixture(scope="module")
def engine() -> Iterator[str]:
    with SqsLocal() as local:
        yield local.endpoint


@pytest.fixture
def client(engine: str) -> "SQSClient":
    return sqs_client(engine)


@pytest.fixture
def queues(client: "SQSClient") -> Iterator[dict[str, str]]:
    """The template's queues, with WebhookMaxReceives 3."""
    urls = create_queues(client, TEMPLATE, f"q{uuid.uuid4().hex[:8]}-", {"WebhookMaxReceives": "3"})
    yield urls
    for url in urls.values():
        client.delete_queue(QueueUrl=url)


def _send(client: "SQSClient", url: str, bodies: str, group: str = "conversation") -> None:
    for body in bodies:
        client.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body)


def _receive(client: "SQSClient", url: str) -> list[tuple[str, str]]:
    """(body, receipt handle) of one receive of up to 10 messages."""
    answer = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [(m["Body"], m["ReceiptHandle"]) for m in answer.get("Messages", [])]


def _hide(client: "SQSClient", url: str, received: list[tuple[str, str]], seconds: int) -> None:
    entries = [
        {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": seconds}
        for i, (_, handle) in enumerate(received)
    ]
    client.change_message_visibility_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]


def test_messages_of_a_group_visible_again_together_come_back_in_their_order(
    client: "SQSClient", queues: dict[str, str]
) -> None:
    # Given three messages of one conversation received in one batch
    url = queues["WebhookQueue"]
    _send(client, url, "abc")
    first = _receive(client, url)
    assert [body for body, _ in first] == ["a", "b", "c"]
    # When the batch fails and all three become visible again at once, when their backoff ends
    _hide(client, url, first, 1)
    # Then the next receive returns them in their order (moto alone returned "c" first, then "a" and "b")
    again = eventually(lambda: _receive(client, url) or None, "the messages visible again")
    assert [body for body, _ in again] == ["a", "b", "c"]


def test_a_group_is_held_back_while_its_first_message_is_in_flight(
    client: "SQSClient", queues: dict[str, str]
) -> None:
    # Given a batch whose first message is hidden (a backoff) and the others visible again
    url = queues["WebhookQueue"]
    _send(client, url, "abc")
    _send(client, url, "x", group="another conversation")
    first = _receive(client, url)
    assert [body for body, _ in first] == ["a", "b", "c", "x"]
    _hide(client, url, first[:1], 60)
    _hide(client, url, first[1:], 0)
    # When the queue is read again, Then nothing of the held group comes; another group's message does
    assert [body for body, _ in _receive(client, url)] == ["x"]


def test_the_redrive_policy_parks_a_group_after_max_receives_in_its_order(
    client: "SQSClient", queues: dict[str, str]
) -> None:
    # Given the template's queue with WebhookMaxReceives 3 and two messages of one conversation
    url, dead_letters = queues["WebhookQueue"], queues["WebhookDeadLetterQueue"]
    _send(client, url, "ab")
    # When they are received three times, failing each time
    for _ in range(3):
        received = eventually(lambda: _receive(client, url) or None, "the messages visible again")
        assert [body for body, _ in received] == ["a", "b"]
        _hide(client, url, received, 0)
    # Then the next receive moves them to the dead-letter queue, in order, with their group
    assert _receive(client, url) == []
    parked = client.receive_message(
        QueueUrl=dead_letters, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert [(m["Body"], m["Attributes"]["MessageGroupId"]) for m in parked] == [
        ("a", "conversation"),
        ("b", "conversation"),
    ]
