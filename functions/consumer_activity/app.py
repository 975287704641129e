"""POST /conversation/{conversationId}: the consumer's activities: the customer's message and typing, a custom
event (context variables), and endOfConversation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.domain.state_machine import Event, Status
from messaging.http import views
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Input, Operation
from messaging.http.parameters import CONVERSATION_ID
from messaging.http.paths import CONSUMER
from messaging.http.readers import ActivityRequest, read_consumer_activity
from messaging.observability import Metric, count, logger, metrics

apply_event = wiring.apply_event()
send_activity = wiring.send_activity()


def send(call: Call[ActivityRequest, None]) -> Answer:
    conversation_id = call.path["conversationId"]
    request = call.body.checked_for(conversation_id)
    logger.append_keys(conversation_id=conversation_id, activity=request.type)
    if request.activity is None:  # endOfConversation
        ended = apply_event(
            call.tenant, conversation_id, Event.END_OF_CONVERSATION, channel_id=request.channel_id
        )
        if ended.changed:
            count(Metric.CONVERSATION_EVENTS)
            count(Metric.CONVERSATIONS_CLOSED, ended.status is Status.CLOSED)
        return Answer(200, views.event_response(ended))
    outcome = send_activity(call.tenant, conversation_id, request.activity)
    count(Metric.ACTIVITIES)
    return Answer(200, views.activity_accepted(outcome.message_id))


EXAMPLE_MESSAGE = {
    "type": "message",
    "text": "My order has not arrived.",
    "from": {"id": "jdoe123", "name": "John"},
    "conversation": {"id": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b"},
}

endpoint = Endpoint(
    Operation(
        "POST",
        f"{CONSUMER}/conversation/{{conversationId}}",
        "sendActivity",
        "Send an activity: a message, typing, a custom event, or endOfConversation",
        tag="consumer",
        handler=send,
        answers={
            200: Documented(
                "message, typing, event: the activity's messageId. endOfConversation: the conversation after "
                "it (wrapup while a representative has it, else closed; a retry when it had ended already).",
                "messaging.http.models.activities:ActivityAnswer",
                {"messageId": "1795000000123"},
            )
        },
        # No invalid_transition: endOfConversation applies to every status or is a retry, and a message
        # to a conversation that left waiting before its revival is taken as a message.
        problems=(
            "conversation_mismatch",
            "customer_has_active_conversation",
            "conversation_ended",
        ),
        description="message: text ≤ 6,000 characters and/or attachments, the whole activity ≤ 28 KB; stored "
        "in the transcript; to a waiting conversation it brings it back to the queue (409 "
        "customer_has_active_conversation while another conversation holds the customerid). typing: not "
        "stored. event: channelData.customEventValue sets context variables (not in the transcript). "
        "endOfConversation: see the state table. Wrapup and closed conversations take no activity but "
        "endOfConversation (409 conversation_ended).",
        body=Input("messaging.http.models.activities:ConsumerActivity", read_consumer_activity),
        body_description="A Bot Framework-style activity.",
        body_example=EXAMPLE_MESSAGE,
        path_parameters={"conversationId": CONVERSATION_ID},
    )
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return endpoint(event)
