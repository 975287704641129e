"""GET /representative/conversation/{conversationId}: what a representative may see of a conversation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.http import views
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Operation
from messaging.http.parameters import CONVERSATION_ID
from messaging.http.paths import REPRESENTATIVE
from messaging.observability import logger, metrics

get_conversation = wiring.get_conversation()


def read_conversation(call: Call[None, None]) -> Answer:
    conversation_id = call.path["conversationId"]
    logger.append_keys(conversation_id=conversation_id)
    conversation = get_conversation(call.tenant, conversation_id)
    return Answer(200, views.representative_conversation_view(conversation))


endpoint = Endpoint(
    Operation(
        "GET",
        f"{REPRESENTATIVE}/conversation/{{conversationId}}",
        "getRepresentativeConversation",
        "Read a conversation as a representative sees it",
        tag="representative",
        handler=read_conversation,
        answers={
            200: Documented(
                "The customer's names (the identified contact's win; preferredname is the display name), "
                "only the context variables marked isDisplayable, the start message, the representative.",
                "messaging.http.models.representative:RepresentativeConversationView",
                {
                    "conversationId": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
                    "status": "open",
                    "isActive": True,
                    "customer": {
                        "displayName": "Johnny",
                        "firstname": "John",
                        "lastname": "Doe",
                        "preferredname": "Johnny",
                    },
                    "contactId": "5b1d2c3e-8f4a-4b6c-9d7e-0f1a2b3c4d5e",
                    "representative": None,
                    "createdAt": "2026-11-18T11:06:40.000Z",
                    "expiresAt": "2026-11-19T11:06:40.000Z",
                    "endedAt": None,
                    "endedBy": None,
                    "closedAt": None,
                    "closeReason": None,
                    "conversationcontext": {"productname": "XBox"},
                    "startMessage": {"messageId": "1795000000000", "message": "Hello", "displayname": None},
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
