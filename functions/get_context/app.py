"""GET /conversation/{conversationId}/context: the conversation's context variables."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.http import views
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Operation
from messaging.http.parameters import CONVERSATION_ID
from messaging.http.paths import CONSUMER
from messaging.observability import logger, metrics

get_context = wiring.get_context()


def read_context(call: Call[None, None]) -> Answer:
    conversation_id = call.path["conversationId"]
    logger.append_keys(conversation_id=conversation_id)
    return Answer(200, views.context(get_context(call.tenant, conversation_id)))


endpoint = Endpoint(
    Operation(
        "GET",
        f"{CONSUMER}/conversation/{{conversationId}}/context",
        "getContext",
        "Read the conversation's context variables",
        tag="consumer",
        handler=read_context,
        answers={
            200: Documented(
                "Every context variable, set at create or by custom events.",
                "messaging.http.models.transcript:ContextResponse",
                {"context": [{"name": "productname", "value": "XBox", "isDisplayable": True}]},
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
