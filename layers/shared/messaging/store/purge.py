"""Purging a conversation once TTL has removed its state: which stream records say so, and the deletes.

TTL deletes only the state item (the one with a `ttl`: a closed conversation's purge time); its details and
transcript have no TTL of their own (a transcript's messages cannot know when their conversation will
close), so they are deleted here, after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from messaging.domain.errors import StoreBusy
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.calls import call_dynamodb

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TTL_PRINCIPAL = "dynamodb.amazonaws.com"
_BATCH = 25  # BatchWriteItem's most
_MAX_UNPROCESSED_ROUNDS = 8


def purged_conversation(record: DynamoDBRecord) -> tuple[Tenant, str] | None:
    """(tenant, conversation id) when the record is TTL removing a conversation's state; else None (our own
    deletes never purge anything)."""
    identity = record.user_identity or {}
    if record.event_name != DynamoDBRecordEventName.REMOVE or identity.get("principalId") != TTL_PRINCIPAL:
        return None
    key = (record.dynamodb.keys if record.dynamodb else None) or {}
    pk, sk = str(key.get("pk", "")), str(key.get("sk", ""))
    if sk != keys.STATE or "#CONVERSATION#" not in pk:
        return None
    return keys.tenant_of_key(pk), pk.rsplit("#CONVERSATION#", 1)[1]


class DynamoDBPurge:
    def __init__(self, client: DynamoDBClient, conversations_table: str) -> None:
        self._client = client
        self._table = conversations_table

    def __call__(self, tenant: Tenant, conversation_id: str) -> int:
        """Deletes every item left of the conversation; returns how many. Redelivery deletes nothing twice."""
        pk = keys.conversation_key(tenant, conversation_id)
        deleted = 0
        start: dict[str, Any] | None = None
        while True:
            request: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": pk}},
                "ProjectionExpression": "pk, sk",
            }
            if start is not None:
                request["ExclusiveStartKey"] = start
            answer = call_dynamodb(self._client.query, **request)
            found = answer.get("Items", [])
            for index in range(0, len(found), _BATCH):
                self._delete([{"DeleteRequest": {"Key": key}} for key in found[index : index + _BATCH]])
            deleted += len(found)
            start = answer.get("LastEvaluatedKey")
            if start is None:
                return deleted

    def _delete(self, requests: list[Any]) -> None:
        pending: Any = {self._table: requests}
        for _ in range(_MAX_UNPROCESSED_ROUNDS):
            answer = call_dynamodb(self._client.batch_write_item, RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                return
        raise StoreBusy("BatchWriteItem left deletes unprocessed")
