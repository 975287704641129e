"""GET /conversation/{conversationId}/messages, on either side: the transcript, oldest first, paged."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.http import views
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Input, Operation
from messaging.http.parameters import CONVERSATION_ID
from messaging.http.paths import CONSUMER, REPRESENTATIVE
from messaging.http.readers import PageQuery, read_transcript_query
from messaging.observability import logger, metrics

read_transcript = wiring.read_transcript()


def transcript(call: Call[None, PageQuery]) -> Answer:
    conversation_id, query = call.path["conversationId"], call.query
    logger.append_keys(conversation_id=conversation_id)
    page = read_transcript(call.tenant, conversation_id, query.since_ms, query.page_size, query.token)
    return Answer(200, views.transcript(page.messages, page.continuation_token))


ANSWER = Documented(
    "One page of messages (the customer's and the representative's), oldest first in messageId order; "
    "`continuationToken` fetches the next (null on the last).",
    "messaging.http.models.transcript:TranscriptResponse",
    {
        "messages": [
            {
                "type": "message",
                "id": "1795000000000",
                "messageId": "1795000000000",
                "timestamp": "2026-11-18T11:06:40.000Z",
                "from": {"id": None, "name": "John", "role": "customer"},
                "text": "Hello",
            }
        ],
        "continuationToken": None,
    },
)


def _operation(base: str, operation_id: str, tag: str) -> Operation[None, PageQuery]:
    return Operation(
        "GET",
        f"{base}/conversation/{{conversationId}}/messages",
        operation_id,
        "Read the transcript",
        tag=tag,
        handler=transcript,
        answers={200: ANSWER},
        problems=("invalid_continuation_token",),
        description="Readable while the conversation lives and after it ends, until it is purged "
        "(RetentionDays after it closed). A query, never a scan.",
        query=Input("messaging.http.models.transcript:TranscriptQuery", read_transcript_query),
        path_parameters={"conversationId": CONVERSATION_ID},
    )


endpoint = Endpoint(
    _operation(CONSUMER, "getTranscript", "consumer"),
    _operation(REPRESENTATIVE, "getRepresentativeTranscript", "representative"),
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return endpoint(event)
