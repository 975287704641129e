"""Consumes the conversations table's stream: when TTL purges a closed conversation's state (RetentionDays
after it closed), the rest of the conversation (details, transcript) is deleted with it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from messaging import wiring
from messaging.observability import logger, metrics
from messaging.store.purge import purged_conversation

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
purge_conversation = wiring.purge_conversation()


def record_handler(record: DynamoDBRecord) -> None:
    purged = purged_conversation(record)
    if purged is None:
        return
    deleted = purge_conversation(*purged)
    logger.info("conversation purged", extra={"conversation_id": purged[1], "items": deleted})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    # A failed record is reported alone (partial batch response); the rest of the batch is not retried.
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
