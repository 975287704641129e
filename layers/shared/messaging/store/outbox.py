"""The outbox on the stream, and the webhook queue (SQS FIFO) between the stream and delivery.

A state item's NEW_IMAGE with an `outbox` says what to deliver; its `lastMessageId` is the activity's id.
The queue keeps one message group per conversation (in order) and deduplicates on the webhook-id (a stream
batch retried after a partial send does not enqueue twice within SQS's five-minute window; beyond it,
receivers deduplicate on webhook-id).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from messaging.domain.activity import StoredMessage
from messaging.domain.channel import Channel
from messaging.domain.outgoing import Outgoing
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.activities import message_from_item
from messaging.store.calls import call_dynamodb
from messaging.store.channels import DynamoDBChannels
from messaging.store.client import CLIENT_CONFIG

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

_SEND_BATCH = 10  # the most entries of SendMessageBatch (and of every SQS batch call)


def outgoing_of(new_image: Mapping[str, Any]) -> Outgoing | None:
    """The activity a state's new image asks to deliver (DynamoDB JSON), or None when it asks for none."""
    outbox = (new_image.get("outbox") or {}).get("M")
    if not outbox or "lastMessageId" not in new_image:
        return None
    representative = (new_image.get("representative") or {}).get("M") or {}
    return Outgoing(
        tenant=Tenant(new_image["tenant"]["S"]),
        conversation_id=new_image["conversationId"]["S"],
        message_id=int(new_image["lastMessageId"]["N"]),
        kind=outbox["kind"]["S"],
        at_ms=int(outbox["at"]["N"]),
        name=outbox["name"]["S"] if "name" in outbox else None,
        status=outbox["status"]["S"] if "status" in outbox else None,
        representative_id=representative["id"]["S"] if "id" in representative else None,
        representative_name=representative["name"]["S"] if "name" in representative else None,
    )


def message_body(outgoing: Outgoing) -> str:
    return json.dumps(
        {
            "tenant": outgoing.tenant.id,
            "conversationId": outgoing.conversation_id,
            "messageId": outgoing.message_id,
            "kind": outgoing.kind,
            "at": outgoing.at_ms,
            "name": outgoing.name,
            "status": outgoing.status,
            "representative": {"id": outgoing.representative_id, "name": outgoing.representative_name},
        },
        separators=(",", ":"),
    )


def outgoing_from_body(body: str) -> Outgoing:
    document = json.loads(body)
    representative = document.get("representative") or {}
    return Outgoing(
        tenant=Tenant(document["tenant"]),
        conversation_id=document["conversationId"],
        message_id=int(document["messageId"]),
        kind=document["kind"],
        at_ms=int(document["at"]),
        name=document.get("name"),
        status=document.get("status"),
        representative_id=representative.get("id"),
        representative_name=representative.get("name"),
    )


@cache
def sqs_client() -> SQSClient:
    # The endpoint comes from AWS_ENDPOINT_URL_SQS when set (the local queue engine), as botocore reads it.
    return cast("SQSClient", botocore.session.get_session().create_client("sqs", config=CLIENT_CONFIG))


class SqsWebhookQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, outgoing: Sequence[Outgoing]) -> list[int]:
        """Enqueues in order; returns the indexes that failed (the caller retries from the first)."""
        failed: list[int] = []
        for start in range(0, len(outgoing), _SEND_BATCH):
            chunk = outgoing[start : start + _SEND_BATCH]
            entries: Any = [
                {
                    "Id": str(index),
                    "MessageBody": message_body(item),
                    "MessageGroupId": item.group,
                    "MessageDeduplicationId": item.webhook_id,
                }
                for index, item in enumerate(chunk)
            ]
            answer = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            failed += [start + int(entry["Id"]) for entry in answer.get("Failed", [])]
        return sorted(failed)

    def defer(self, receipt_handles: Sequence[str], seconds: int) -> None:
        """Keeps messages out of sight for `seconds`: the exponential backoff of a failed delivery. One that
        cannot be deferred comes back when the queue's visibility timeout ends instead."""
        for start in range(0, len(receipt_handles), _SEND_BATCH):
            entries: Any = [
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": seconds}
                for index, handle in enumerate(receipt_handles[start : start + _SEND_BATCH])
            ]
            self._client.change_message_visibility_batch(QueueUrl=self._url, Entries=entries)

    def delete(self, receipt_handles: Sequence[str]) -> None:
        """Deletes delivered messages ahead of the event source mapping, which deletes them again when the
        invocation returns (a no-op by then). Best effort: one not deleted here is deleted by the mapping."""
        for start in range(0, len(receipt_handles), _SEND_BATCH):
            entries: Any = [
                {"Id": str(index), "ReceiptHandle": handle}
                for index, handle in enumerate(receipt_handles[start : start + _SEND_BATCH])
            ]
            try:
                self._client.delete_message_batch(QueueUrl=self._url, Entries=entries)
            except (BotoCoreError, ClientError):
                return


class DynamoDBDeliverySources:
    """Delivery's reads: the tenant's channel, and a representative's message from the transcript."""

    def __init__(self, channels: DynamoDBChannels, client: DynamoDBClient, conversations_table: str) -> None:
        self._channels = channels
        self._client = client
        self._table = conversations_table

    def channel(self, tenant: Tenant) -> Channel | None:
        return self._channels.get(tenant)

    def message(self, tenant: Tenant, conversation_id: str, message_id: int) -> StoredMessage | None:
        answer = call_dynamodb(
            self._client.get_item,
            TableName=self._table,
            Key={
                "pk": {"S": keys.conversation_key(tenant, conversation_id)},
                "sk": {"S": keys.message_sort_key(message_id)},
            },
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return message_from_item(item) if item else None
