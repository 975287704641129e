"""POST /conversations/create (and its alias /conversation/create): start or return a conversation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.http import views
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Input, Operation
from messaging.http.paths import CONSUMER
from messaging.http.readers import CreateRequest, read_create
from messaging.observability import logger, metrics, record_create_metrics

create_conversation = wiring.create_conversation()


def create(call: Call[CreateRequest, None]) -> Answer:
    outcome = create_conversation(call.tenant, call.body.request, call.body.request_id)
    record_create_metrics(outcome)
    return Answer(201 if outcome.is_new else 200, views.created(outcome))


RESPONSE = "messaging.http.models.create:CreateConversationResponse"


_CONVERSATION_LINKS = {
    name: {"operationId": operation_id, "parameters": {"conversationId": "$response.body#/conversationId"}}
    for name, operation_id in (
        ("GetConversation", "getConversation"),
        ("SendActivity", "sendActivity"),
        ("GetRepresentativeConversation", "getRepresentativeConversation"),
        ("SendRepresentativeActivity", "sendRepresentativeActivity"),
        ("GetTranscript", "getTranscript"),
        ("GetContext", "getContext"),
        ("GetRepresentativeTranscript", "getRepresentativeTranscript"),
    )
}


def _answers(operation_id: str) -> dict[int, Documented]:
    links: dict[str, dict[str, Any]] = {
        **_CONVERSATION_LINKS,
        "Retry": {
            "operationId": operation_id,
            "requestBody": "$request.body",
            "description": "The same request again answers 200 with this conversation while it is active "
            "(the same customerid) or within the idempotency window (the same conversationrequestid).",
        },
    }
    return {
        201: Documented(
            "A new conversation started.",
            RESPONSE,
            {
                "conversationId": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
                "isNew": True,
                "messageId": "1795000000000",
            },
            links,
        ),
        200: Documented(
            "The customer's active conversation, returned instead of a new one (isNew false), or the first "
            "answer to this conversationrequestid.",
            RESPONSE,
            {"conversationId": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b", "isNew": False},
            links,
        ),
    }


EXAMPLE = {
    "customercontext": {"customerid": "jdoe123", "firstname": "John", "email": "john.doe@email.com"},
    "conversationcontext": {"productname": {"isDisplayable": True, "value": "XBox"}},
    "startmessage": {"message": "Hello"},
}


def _create(path: str, operation_id: str, summary: str) -> Operation[CreateRequest, None]:
    return Operation(
        "POST",
        path,
        operation_id,
        summary,
        tag="consumer",
        handler=create,
        answers=_answers(operation_id),
        problems=("request_in_progress",),
        description="Starts a conversation, or returns the customer's active one (same tenant + customerid).",
        body=Input("messaging.http.models.create:CreateConversationRequest", read_create),
        body_description="Every field is optional; unknown fields at any level are refused.",
        body_example=EXAMPLE,
    )


endpoint = Endpoint(
    _create(f"{CONSUMER}/conversations/create", "createConversation", "Start a conversation"),
    _create(f"{CONSUMER}/conversation/create", "createConversationAlias", "Start a conversation (alias)"),
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    create_conversation.register_lambda_context(context)
    return endpoint(event)
