"""GET /conversation/{conversationId}: a conversation as it stands now (expired shows closed: timeout)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging import wiring
from messaging.api_conversation import ConversationIdPath, ConversationView, checked_conversation_id
from messaging.http_api import caller, handle, new_api
from messaging.http_errors import error_answers
from messaging.observability import logger, metrics

app = new_api()
get_conversation = wiring.get_conversation()


@app.get(
    "/api/v1.0/consumer/conversation/<conversationId>",
    operation_id="getConversation",
    summary="Read a conversation as it stands now",
    responses={
        200: {
            "description": "The conversation (an expired one shows closed, reason timeout).",
            "content": {"application/json": {"model": ConversationView}},
        },
        **error_answers(
            HTTPStatus.BAD_REQUEST,
            HTTPStatus.NOT_FOUND,
            HTTPStatus.INTERNAL_SERVER_ERROR,
            HTTPStatus.SERVICE_UNAVAILABLE,
        ),
    },
)
def read_conversation(conversationId: ConversationIdPath) -> Response[ConversationView]:
    conversation_id = checked_conversation_id(conversationId)
    logger.append_keys(conversation_id=conversation_id)
    conversation = get_conversation(caller(app), conversation_id)
    return Response(status_code=200, content_type="application/json", body=ConversationView.of(conversation))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context)
