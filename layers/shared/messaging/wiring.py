"""Builds the use cases with their real DynamoDB stores: called once per Lambda environment, at init.

Every function builds its use case here, so importing this module also registers the SnapStart hooks
(messaging.snapstart): Lambda runs only the hooks of modules the handler imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from messaging import snapstart  # registers the after-restore hook
from messaging.config import settings
from messaging.domain.ids import ConversationIds
from messaging.store.client import dynamodb_client
from messaging.store.conversations import DynamoDBConversations
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent
from messaging.usecases.idempotent_on_demand import CreateWithRequestIds
from messaging.usecases.reads import GetConversation

if TYPE_CHECKING:
    from messaging.store.purge import DynamoDBPurge
    from messaging.usecases.activities import SendActivity
    from messaging.usecases.channel import ChannelSettings
    from messaging.usecases.idempotency import IdempotentCreate
    from messaging.usecases.reads import GetContext, ListConversations, ReadTranscript
    from messaging.usecases.timeouts import SweepTimeouts
    from messaging.usecases.webhooks import DeliverWebhooks, DispatchWebhooks


def conversations() -> DynamoDBConversations:
    config = settings()
    return DynamoDBConversations(
        dynamodb_client(), config.conversations_table, config.contacts_table, config.retention_seconds
    )


def create_conversation() -> CreateWithRequestIds:
    config = settings()
    create = CreateConversation(conversations(), ConversationIds(config.id_secret), config.timeouts)

    def idempotent() -> IdempotentCreate:
        # Imported here, the first time a request carries a conversationrequestid (idempotent_on_demand).
        from messaging.usecases.idempotency import (  # noqa: PLC0415
            IdempotentCreate,
            RetrySafeDynamoDBPersistenceLayer,
        )

        persistence = RetrySafeDynamoDBPersistenceLayer(
            table_name=config.idempotency_table, boto3_client=dynamodb_client()
        )
        return IdempotentCreate(create, persistence, config.idempotency_window_seconds)

    created = CreateWithRequestIds(create, idempotent)
    snapstart.before_snapshot(created.idempotent)
    return created


def apply_event() -> ApplyEvent:
    return ApplyEvent(conversations(), settings().timeouts)


def get_conversation() -> GetConversation:
    return GetConversation(conversations())


def list_conversations() -> ListConversations:
    from messaging.store.lists import DynamoDBConversationLists  # noqa: PLC0415 - the list functions' own
    from messaging.usecases.paging import ContinuationTokens  # noqa: PLC0415
    from messaging.usecases.reads import ListConversations  # noqa: PLC0415

    config = settings()
    lists = DynamoDBConversationLists(dynamodb_client(), config.conversations_table)
    return ListConversations(lists, ContinuationTokens(config.id_secret))


def sweep_timeouts() -> SweepTimeouts:
    from messaging.store.lists import DynamoDBDueConversations  # noqa: PLC0415 - the sweeper's own
    from messaging.usecases.timeouts import SweepTimeouts  # noqa: PLC0415

    due = DynamoDBDueConversations(dynamodb_client(), settings().conversations_table)
    return SweepTimeouts(due, apply_event())


def purge_conversation() -> DynamoDBPurge:
    from messaging.store.purge import DynamoDBPurge  # noqa: PLC0415 - the purge consumer's own

    return DynamoDBPurge(dynamodb_client(), settings().conversations_table)


def send_activity() -> SendActivity:
    from messaging.usecases.activities import SendActivity  # noqa: PLC0415 - the activity functions' own

    return SendActivity(conversations(), apply_event())


def read_transcript() -> ReadTranscript:
    from messaging.usecases.paging import ContinuationTokens  # noqa: PLC0415 - the transcript function's own
    from messaging.usecases.reads import ReadTranscript  # noqa: PLC0415

    return ReadTranscript(conversations(), ContinuationTokens(settings().id_secret))


def get_context() -> GetContext:
    from messaging.usecases.reads import GetContext  # noqa: PLC0415

    return GetContext(conversations())


def channel_settings() -> ChannelSettings:
    from messaging.store.channels import DynamoDBChannels  # noqa: PLC0415 - the channel function's own
    from messaging.usecases.channel import ChannelSettings  # noqa: PLC0415

    config = settings()
    store = DynamoDBChannels(dynamodb_client(), config.channels_table)
    return ChannelSettings(store, allow_local=config.local_webhooks_allowed)


def dispatch_webhooks() -> DispatchWebhooks:
    from messaging.store.outbox import SqsWebhookQueue, sqs_client  # noqa: PLC0415 - the dispatcher's own
    from messaging.usecases.webhooks import DispatchWebhooks  # noqa: PLC0415

    return DispatchWebhooks(SqsWebhookQueue(sqs_client(), settings().webhook_queue_url))


def deliver_webhooks() -> DeliverWebhooks:
    from messaging.store.channels import DynamoDBChannels  # noqa: PLC0415 - delivery's own
    from messaging.store.outbox import DynamoDBDeliverySources, SqsWebhookQueue, sqs_client  # noqa: PLC0415
    from messaging.usecases.webhooks import DeliverWebhooks  # noqa: PLC0415

    config = settings()
    sources = DynamoDBDeliverySources(
        DynamoDBChannels(dynamodb_client(), config.channels_table),
        dynamodb_client(),
        config.conversations_table,
    )
    return DeliverWebhooks(
        sources,
        SqsWebhookQueue(sqs_client(), config.webhook_queue_url),
        retry_base_s=config.webhook_retry_base_seconds,
        allow_local=config.local_webhooks_allowed,
    )
