"""POST /conversation/{conversationId}: the activity endpoint; endOfConversation closes the conversation."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging import wiring
from messaging.api_conversation import (
    Activity,
    ClosedConversationResponse,
    ConversationIdPath,
    checked_conversation_id,
    end_of_conversation_channel,
)
from messaging.http_api import caller, handle, new_api
from messaging.http_errors import error_answers
from messaging.observability import count, logger, metrics

app = new_api()
close_conversation = wiring.close_conversation()


@app.post(
    "/api/v1.0/consumer/conversation/<conversationId>",
    operation_id="sendActivity",
    summary="Send an activity; endOfConversation closes the conversation",
    responses={
        200: {
            "description": "Closed now, or closed before (the original closedAt and reason).",
            "content": {"application/json": {"model": ClosedConversationResponse}},
        },
        **error_answers(
            HTTPStatus.BAD_REQUEST,
            HTTPStatus.NOT_FOUND,
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            HTTPStatus.INTERNAL_SERVER_ERROR,
            HTTPStatus.SERVICE_UNAVAILABLE,
        ),
    },
)
def send_activity(
    conversationId: ConversationIdPath,
    activity: Annotated[Activity, Body(description="A Bot Framework-style activity.")],
) -> Response[ClosedConversationResponse]:
    conversation_id = checked_conversation_id(conversationId)
    channel_id = end_of_conversation_channel(conversation_id, activity)
    logger.append_keys(conversation_id=conversation_id)
    closed = close_conversation(caller(app), conversation_id, channel_id)
    count("ConversationsClosed")
    return Response(
        status_code=200, content_type="application/json", body=ClosedConversationResponse.of(closed)
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context)
