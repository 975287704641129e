"""Reading the conversations table's stream: which records are DynamoDB TTL removing an active lock."""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from messaging.domain import Tenant

TTL_PRINCIPAL = "dynamodb.amazonaws.com"


@dataclass(frozen=True, slots=True)
class ExpiredLock:
    tenant: Tenant
    conversation_id: str


def expired_lock(record: DynamoDBRecord) -> ExpiredLock | None:
    """The lock TTL removed, or None for anything else: our own deletes (a customer close) and overwrites
    (a create replacing an expired lock) already ended the conversation in their own transaction."""
    identity = record.user_identity or {}
    if record.event_name != DynamoDBRecordEventName.REMOVE or identity.get("principalId") != TTL_PRINCIPAL:
        return None
    old = (record.dynamodb.old_image if record.dynamodb else None) or {}
    if old.get("kind") != "activeLock":
        return None
    return ExpiredLock(Tenant(str(old["tenant"])), str(old["conversationId"]))
