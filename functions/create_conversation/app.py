"""POST /conversations/create (and its alias /conversation/create): start or return a conversation."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging import wiring
from messaging.api_models import (
    CreateConversationRequest,
    CreateConversationResponse,
    conversation_request,
    create_response,
)
from messaging.http_api import caller, handle, new_api
from messaging.http_errors import error_answers
from messaging.observability import logger, metrics, record_create_metrics

app = new_api()
create_conversation = wiring.create_conversation()
BASE = "/api/v1.0/consumer"


ANSWERS: dict[int, OpenAPIResponse] = {
    201: {
        "description": "A new conversation started.",
        "content": {"application/json": {"model": CreateConversationResponse}},
    },
    200: {
        "description": "The customer's active conversation, returned instead of a new one (isNew false), "
        "or the first answer to this conversationrequestid.",
        "content": {"application/json": {"model": CreateConversationResponse}},
    },
    **error_answers(
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.CONFLICT,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        HTTPStatus.SERVICE_UNAVAILABLE,
    ),
}


@app.post(
    f"{BASE}/conversations/create",
    operation_id="createConversation",
    summary="Start a conversation",
    responses=ANSWERS,
)
@app.post(
    f"{BASE}/conversation/create",
    operation_id="createConversationAlias",
    summary="Alias of create",
    responses=ANSWERS,
)
def create(
    body: Annotated[CreateConversationRequest | None, Body(description="Every field is optional.")] = None,
) -> Response[CreateConversationResponse]:
    request = body or CreateConversationRequest()
    outcome = create_conversation(caller(app), conversation_request(request), request.conversationrequestid)
    record_create_metrics(outcome)
    return Response(
        status_code=HTTPStatus.CREATED if outcome.is_new else HTTPStatus.OK,
        content_type="application/json",
        body=create_response(outcome),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    create_conversation.register_lambda_context(context)
    return handle(app, event, context)
