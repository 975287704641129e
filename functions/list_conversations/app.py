"""GET /conversations: the tenant's open, active and waiting conversations, newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.http import views
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Input, Operation
from messaging.http.paths import CONSUMER
from messaging.http.readers import PageQuery, read_list_query
from messaging.observability import logger, metrics

list_conversations = wiring.list_conversations()


def list_live(call: Call[None, PageQuery]) -> Answer:
    query = call.query
    page = list_conversations.live(call.tenant, query.since_ms, query.page_size, query.token)
    return Answer(200, views.conversation_list(page.conversations, page.continuation_token))


endpoint = Endpoint(
    Operation(
        "GET",
        f"{CONSUMER}/conversations",
        "listConversations",
        "List the tenant's open, active and waiting conversations",
        tag="consumer",
        handler=list_live,
        answers={
            200: Documented(
                "One page, newest first; `continuationtoken` fetches the next (null on the last).",
                "messaging.http.models.lists:ConversationListResponse",
                {
                    "conversations": [
                        {
                            "conversationid": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
                            "timestamp": "2026-11-18T11:06:40.000Z",
                            "status": "active",
                        }
                    ],
                    "continuationtoken": None,
                },
            )
        },
        problems=("invalid_continuation_token",),
        description="A query on an index, never a scan. The vendor asks callers not to poll this: the "
        "webhook is the way to hear of changes.",
        query=Input("messaging.http.models.lists:ConversationListQuery", read_list_query),
    )
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return endpoint(event)
