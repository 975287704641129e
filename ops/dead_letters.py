"""Lists and redrives the webhook deliveries that gave up (the webhook dead-letter queue).

    python -m ops.dead_letters list                       # what is parked there
    python -m ops.dead_letters redrive                    # back to the webhook queue, in order
    python -m ops.dead_letters redrive --conversation <id>

Deployed: pass the queues from the stack's outputs (`--queue-url` = WebhookQueueUrl, `--dead-letter-queue-url`
= WebhookDeadLetterQueueUrl) and AWS credentials as usual. Locally (`make dev`), both default to the dev
server's queues (written to .local-run/queues.json when it starts).

A redriven activity keeps its webhook-id (receivers deduplicate on it) and its conversation's message group,
so each conversation's order holds; it gets a fresh deduplication id, as SQS would otherwise drop it as a
repeat of its first send.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

LOCAL_QUEUES = Path(__file__).resolve().parent.parent / ".local-run" / "queues.json"
_WAIT_S = 1  # short: an empty queue ends the walk


def parked(client: SQSClient, dead_letter_queue_url: str) -> Iterator[dict[str, Any]]:
    """Every message in the dead-letter queue, each received once (hidden a minute while we go on)."""
    while True:
        answer = client.receive_message(
            QueueUrl=dead_letter_queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=_WAIT_S,
            VisibilityTimeout=60,
            MessageSystemAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            return
        yield from (dict(message) for message in messages)


def release(client: SQSClient, dead_letter_queue_url: str, messages: list[dict[str, Any]]) -> None:
    """Makes messages the walk hid visible again at once. Without it, a `list` (or the messages a
    `redrive --conversation` skips) stays hidden for the walk's minute: a redrive run right after a list
    found nothing to move (tests/integration/test_webhook_dead_letters.py)."""
    for start in range(0, len(messages), 10):
        entries: Any = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
            for index, message in enumerate(messages[start : start + 10])
        ]
        client.change_message_visibility_batch(QueueUrl=dead_letter_queue_url, Entries=entries)


def describe(message: dict[str, Any]) -> str:
    body = json.loads(message["Body"])
    what = body.get("name") or body.get("kind")
    return (
        f"{body['tenant']}  conversation {body['conversationId']}  activity {body['messageId']}  {what}  "
        f"(received {message.get('Attributes', {}).get('ApproximateReceiveCount', '?')} times)"
    )


def redrive(
    client: SQSClient, queue_url: str, dead_letter_queue_url: str, conversation: str | None = None
) -> int:
    """Moves parked messages (one conversation's, or all) back to the webhook queue; returns how many."""
    moved = 0
    skipped: list[dict[str, Any]] = []
    for message in parked(client, dead_letter_queue_url):
        body = json.loads(message["Body"])
        if conversation is not None and body["conversationId"] != conversation:
            skipped.append(message)
            continue
        group = message.get("Attributes", {}).get("MessageGroupId", body["conversationId"])
        client.send_message(
            QueueUrl=queue_url,
            MessageBody=message["Body"],
            MessageGroupId=group,
            MessageDeduplicationId=f"{body['conversationId']}-{body['messageId']}-r{time.time_ns()}",
        )
        client.delete_message(QueueUrl=dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"])
        moved += 1
    release(client, dead_letter_queue_url, skipped)
    return moved


def _local_queues() -> dict[str, str]:
    if not LOCAL_QUEUES.is_file():
        return {}
    queues: dict[str, str] = json.loads(LOCAL_QUEUES.read_text(encoding="utf-8"))
    return queues


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="List or redrive the webhook deliveries that gave up.")
    parser.add_argument("action", choices=["list", "redrive"])
    parser.add_argument("--queue-url", help="the stack's WebhookQueueUrl (default: make dev's)")
    parser.add_argument(
        "--dead-letter-queue-url", help="the stack's WebhookDeadLetterQueueUrl (default: make dev's)"
    )
    parser.add_argument("--conversation", help="redrive only this conversation's activities")
    args = parser.parse_args(argv)
    local = _local_queues()
    queue_url = args.queue_url or local.get("WebhookQueue")
    dead_letter_queue_url = args.dead_letter_queue_url or local.get("WebhookDeadLetterQueue")
    if not queue_url or not dead_letter_queue_url:
        print(
            "no queues: pass --queue-url and --dead-letter-queue-url, or run `make dev` first",
            file=sys.stderr,
        )
        return 2
    endpoint = local.get("endpoint") if not args.queue_url else None
    client = boto3.client("sqs", endpoint_url=endpoint) if endpoint else boto3.client("sqs")
    if args.action == "list":
        listed = list(parked(client, dead_letter_queue_url))
        for message in listed:
            print(describe(message))
        release(client, dead_letter_queue_url, listed)
        print(f"{len(listed)} parked")
        return 0
    print(f"{redrive(client, queue_url, dead_letter_queue_url, args.conversation)} redriven")
    return 0


if __name__ == "__main__":
    sys.exit(main())
