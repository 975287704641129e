"""Consumes the conversations table's stream: when TTL removes an active lock, the conversation it pointed to
is marked closed with reason timeout (reads already showed it so; this makes storage say it too)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging import wiring
from messaging.lock_expiry import expired_lock
from messaging.observability import count, logger, metrics

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
expire_conversation = wiring.expire_conversation()


def record_handler(record: DynamoDBRecord) -> None:
    lock = expired_lock(record)
    if lock is None:
        return
    if expire_conversation(lock.tenant, lock.conversation_id):
        logger.info("conversation timed out", extra={"conversation_id": lock.conversation_id})
        count("ConversationsTimedOut")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # A failed record is reported alone (partial batch response); the rest of the batch is not retried.
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
