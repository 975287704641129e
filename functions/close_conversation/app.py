"""POST /conversation/{conversationId}: the activity endpoint; endOfConversation ends the conversation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Operation
from messaging.http.models.conversation import CONVERSATION_ID, Activity, ClosedConversationResponse
from messaging.http.paths import CONSUMER
from messaging.observability import count, logger, metrics

close_conversation = wiring.close_conversation()


def send_activity(call: Call[Activity, None]) -> Answer:
    conversation_id = call.path["conversationId"]
    channel_id = call.body.channel_for(conversation_id)
    logger.append_keys(conversation_id=conversation_id)
    closed = close_conversation(call.tenant, conversation_id, channel_id)
    count("ConversationsClosed")
    return Answer(200, ClosedConversationResponse.of(closed))


endpoint = Endpoint(
    Operation(
        "POST",
        f"{CONSUMER}/conversation/{{conversationId}}",
        "sendActivity",
        "Send an activity; endOfConversation ends the conversation",
        tag="consumer",
        handler=send_activity,
        answers={
            200: Documented(
                "Closed now, or closed before (the original closedAt and reason).",
                ClosedConversationResponse,
                {
                    "conversationId": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
                    "status": "closed",
                    "closedAt": "2026-11-18T11:06:40.000Z",
                    "closeReason": "customer",
                    "messageId": "1795000000000",
                },
            )
        },
        problems=("conversation_mismatch",),
        body=Activity,
        body_description="A Bot Framework-style activity.",
        body_example={"type": "endOfConversation", "channelId": "web"},
        path_parameters={"conversationId": CONVERSATION_ID},
    )
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return endpoint(event)
