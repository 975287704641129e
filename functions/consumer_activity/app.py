"""POST /conversation/{conversationId}: the consumer's activity endpoint; endOfConversation ends it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.domain.state_machine import Event, Status
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Operation
from messaging.http.models.conversation import CONVERSATION_ID, Activity, EventResponse
from messaging.http.paths import CONSUMER
from messaging.observability import Metric, count, logger, metrics

apply_event = wiring.apply_event()


def send_activity(call: Call[Activity, None]) -> Answer:
    conversation_id = call.path["conversationId"]
    channel_id = call.body.channel_for(conversation_id)
    logger.append_keys(conversation_id=conversation_id)
    outcome = apply_event(call.tenant, conversation_id, Event.END_OF_CONVERSATION, channel_id=channel_id)
    if outcome.changed:
        count(Metric.CONVERSATION_EVENTS)
        count(Metric.CONVERSATIONS_CLOSED, outcome.status is Status.CLOSED)
    return Answer(200, EventResponse.of(outcome))


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
                "Ended now (wrapup while a representative has it, else closed), or ended before: a retry, "
                "nothing changed.",
                EventResponse,
                {
                    "conversationId": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
                    "status": "closed",
                    "isActive": False,
                    "messageId": "1795000000000",
                    "closedAt": "2026-11-18T11:06:40.000Z",
                    "closeReason": "customer",
                },
            )
        },
        problems=("conversation_mismatch", "invalid_transition"),
        description="endOfConversation: an open or waiting conversation closes (reason customer); an active "
        "one goes to wrapup (endedBy customer) for its representative to close. Repeating it is a retry.",
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
