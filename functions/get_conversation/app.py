"""GET /conversation/{conversationId}: a conversation as it stands now (expired shows closed: timeout)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.http import views
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Operation
from messaging.http.parameters import CONVERSATION_ID
from messaging.http.paths import CONSUMER
from messaging.observability import logger, metrics

get_conversation = wiring.get_conversation()


def read_conversation(call: Call[None, None]) -> Answer:
    conversation_id = call.path["conversationId"]
    logger.append_keys(conversation_id=conversation_id)
    return Answer(200, views.conversation_view(get_conversation(call.tenant, conversation_id)))


endpoint = Endpoint(
    Operation(
        "GET",
        f"{CONSUMER}/conversation/{{conversationId}}",
        "getConversation",
        "Read a conversation as it stands now",
        tag="consumer",
        handler=read_conversation,
        answers={
            200: Documented(
                "The conversation as it stands now: past its deadline, it shows its timeout at once.",
                "messaging.http.models.conversation:ConversationView",
                {
                    "conversationId": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
                    "status": "active",
                    "isActive": True,
                    "customerid": "jdoe123",
                    "contactId": "5b1d2c3e-8f4a-4b6c-9d7e-0f1a2b3c4d5e",
                    "contactMatch": "matched",
                    "representative": {"id": "rep-7", "name": "Ana"},
                    "createdAt": "2026-11-18T11:06:40.000Z",
                    "expiresAt": "2026-11-19T11:08:02.000Z",
                    "endedAt": None,
                    "endedBy": None,
                    "closedAt": None,
                    "closeReason": None,
                    "conversationcontext": {"productname": {"value": "XBox", "isDisplayable": True}},
                },
            )
        },
        problems=(),
        path_parameters={"conversationId": CONVERSATION_ID},
    )
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return endpoint(event)
