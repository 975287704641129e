"""Builds the use cases with their real DynamoDB store: called once per Lambda environment, at init."""

from __future__ import annotations

from typing import TYPE_CHECKING

from messaging.config import settings
from messaging.conversation_lifecycle import CloseConversation, ExpireConversation, GetConversation
from messaging.create_conversation import CreateConversation
from messaging.store.client import dynamodb_client
from messaging.store.dynamodb import DynamoDBConversationStore
from messaging.store.records import DynamoDBConversationRecords

if TYPE_CHECKING:
    from messaging.idempotency import IdempotentCreate


def conversation_store() -> DynamoDBConversationStore:
    config = settings()
    return DynamoDBConversationStore(
        dynamodb_client(), config.conversations_table, config.contacts_table, config.retention_seconds
    )


def create_conversation() -> IdempotentCreate:
    # Imported here: only the create function pays for Powertools' idempotency utility at cold start.
    from messaging.idempotency import IdempotentCreate, RetrySafeDynamoDBPersistenceLayer  # noqa: PLC0415

    config = settings()
    persistence = RetrySafeDynamoDBPersistenceLayer(
        table_name=config.idempotency_table, boto3_client=dynamodb_client()
    )
    create = CreateConversation(conversation_store(), config.conversation_timeout_ms)
    return IdempotentCreate(create, persistence, config.idempotency_window_seconds)


def conversation_records() -> DynamoDBConversationRecords:
    config = settings()
    return DynamoDBConversationRecords(
        dynamodb_client(), config.conversations_table, config.retention_seconds
    )


def close_conversation() -> CloseConversation:
    return CloseConversation(conversation_records())


def get_conversation() -> GetConversation:
    return GetConversation(conversation_records())


def expire_conversation() -> ExpireConversation:
    return ExpireConversation(conversation_records())
