"""GET /representative/conversations: the queue (open) and each status's or representative's conversations,
oldest first, a page at a time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.domain.state_machine import Status
from messaging.http import views
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Input, Operation
from messaging.http.paths import REPRESENTATIVE
from messaging.http.readers import RepresentativeListQuery, read_representative_list_query
from messaging.observability import logger, metrics

list_conversations = wiring.list_conversations()


def list_work(call: Call[None, RepresentativeListQuery]) -> Answer:
    query = call.query
    page = list_conversations.for_representatives(
        call.tenant, Status(query.status), query.representative_id, query.page_size, query.token
    )
    return Answer(200, views.representative_list(page.conversations, page.continuation_token))


endpoint = Endpoint(
    Operation(
        "GET",
        f"{REPRESENTATIVE}/conversations",
        "listRepresentativeConversations",
        "The queue, and the conversations of a status or of one representative",
        tag="representative",
        handler=list_work,
        answers={
            200: Documented(
                "One page, longest in its status first; `continuationToken` fetches the next (null on the "
                "last).",
                "messaging.http.models.representative:RepresentativeListResponse",
                {
                    "conversations": [
                        {
                            "conversationId": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
                            "status": "open",
                            "createdAt": "2026-11-18T11:06:40.000Z",
                            "statusSince": "2026-11-18T11:06:40.000Z",
                            "representativeId": None,
                        }
                    ],
                    "continuationToken": None,
                },
            )
        },
        problems=("invalid_continuation_token",),
        description="status=open (the default) is the queue. A query on an index, never a scan.",
        query=Input(
            "messaging.http.models.representative:RepresentativeListQuery", read_representative_list_query
        ),
    )
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return endpoint(event)
