"""POST /representative/conversation/{conversationId}: a representative's activity: an event of the state
table (accept, release, wait, resume, end, close), a message or typing (both delivered to the business)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.domain.state_machine import Status
from messaging.http import views
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Input, Operation
from messaging.http.parameters import CONVERSATION_ID
from messaging.http.paths import REPRESENTATIVE
from messaging.http.readers import ActivityRequest, read_representative_activity
from messaging.observability import Metric, count, logger, metrics

apply_event = wiring.apply_event()
send_activity = wiring.send_activity()


def send(call: Call[ActivityRequest, None]) -> Answer:
    conversation_id = call.path["conversationId"]
    request = call.body.checked_for(conversation_id)
    if request.event is not None:
        logger.append_keys(conversation_id=conversation_id, event=request.event.value)
        outcome = apply_event(call.tenant, conversation_id, request.event, actor=request.actor)
        if outcome.changed:
            count(Metric.CONVERSATION_EVENTS)
            count(Metric.CONVERSATIONS_CLOSED, outcome.status is Status.CLOSED)
        return Answer(200, views.event_response(outcome))
    logger.append_keys(conversation_id=conversation_id, activity=request.type)
    assert request.activity is not None  # a message or typing
    sent = send_activity(call.tenant, conversation_id, request.activity)
    count(Metric.ACTIVITIES)
    return Answer(200, views.activity_accepted(sent.message_id))


endpoint = Endpoint(
    Operation(
        "POST",
        f"{REPRESENTATIVE}/conversation/{{conversationId}}",
        "sendRepresentativeActivity",
        "Send a representative's activity: an event changes the status; a message or typing reaches the "
        "business",
        tag="representative",
        handler=send,
        answers={
            200: Documented(
                "event: the conversation's new status, or its unchanged one for a retry (the same event with "
                "the same result, e.g. accept by the same representative). message, typing: the activity's "
                "messageId.",
                "messaging.http.models.activities:ActivityAnswer",
                {
                    "conversationId": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
                    "status": "active",
                    "isActive": True,
                    "messageId": "1795000000123",
                    "representative": {"id": "rep-7", "name": "Ana"},
                },
            )
        },
        problems=(
            "conversation_mismatch",
            "invalid_transition",
            "customer_has_active_conversation",
            "conversation_ended",
        ),
        description="event — accept: open → active (from.id names the representative); release: active → "
        "open; wait: active → waiting (frees the customerid); resume: waiting → active (only while the "
        "customerid is free); end: active or waiting → wrapup; close: wrapup → closed (reason: who ended "
        "it), or open, active, waiting → closed (reason representative); an event that does not apply: 409 "
        "invalid_transition. message (text ≤ 6,000 characters and/or attachments, ≤ 28 KB) and typing: "
        "delivered to the business's webhook, the message stored in the transcript; not in wrapup or closed "
        "(409 conversation_ended).",
        body=Input(
            "messaging.http.models.representative:RepresentativeActivity", read_representative_activity
        ),
        body_description="A Bot Framework-style activity.",
        body_example={"type": "event", "name": "accept", "from": {"id": "rep-7", "name": "Ana"}},
        path_parameters={"conversationId": CONVERSATION_ID},
    )
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return endpoint(event)
