"""PUT and GET /channel, POST /channel/rotate-secret: the tenant's webhook and its signing secret."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from messaging import wiring
from messaging.http import views
from messaging.http.endpoint import Answer, Call, Documented, Endpoint, Input, Operation
from messaging.http.paths import CONSUMER
from messaging.http.readers import read_channel
from messaging.observability import logger, metrics

channel_settings = wiring.channel_settings()
RESPONSE = "messaging.http.models.channel:ChannelResponse"
WITH_SECRET = {
    "webhookUrl": "https://hooks.example.com/messaging",
    "signingSecret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
}


def set_webhook(call: Call[str, None]) -> Answer:
    channel = channel_settings.set_webhook(call.tenant, call.body)
    logger.info("webhook set")
    return Answer(200, views.channel(channel, with_secret=True))


def read(call: Call[None, None]) -> Answer:
    return Answer(200, views.channel(channel_settings.get(call.tenant), with_secret=False))


def rotate(call: Call[None, None]) -> Answer:
    channel = channel_settings.rotate_secret(call.tenant)
    logger.info("signing secret rotated")
    return Answer(200, views.channel(channel, with_secret=True))


endpoint = Endpoint(
    Operation(
        "PUT",
        f"{CONSUMER}/channel",
        "setChannel",
        "Set the webhook the representative's activities are delivered to",
        tag="channel",
        handler=set_webhook,
        answers={
            200: Documented(
                "The channel, with its signing secret (kept when one exists).", RESPONSE, WITH_SECRET
            )
        },
        problems=(),
        description="Deployed, only https URLs whose host resolves to public addresses (no private, "
        "loopback, link-local or metadata address; checked again at each delivery). The first PUT creates "
        "the signing secret; later ones keep it.",
        body=Input("messaging.http.models.channel:ChannelRequest", read_channel),
        body_example={"webhookUrl": "https://hooks.example.com/messaging"},
    ),
    Operation(
        "GET",
        f"{CONSUMER}/channel",
        "getChannel",
        "Read the webhook",
        tag="channel",
        handler=read,
        answers={
            200: Documented(
                "The channel (never its secret).", RESPONSE, {"webhookUrl": WITH_SECRET["webhookUrl"]}
            )
        },
        problems=("channel_not_found",),
    ),
    Operation(
        "POST",
        f"{CONSUMER}/channel/rotate-secret",
        "rotateChannelSecret",
        "Rotate the signing secret",
        tag="channel",
        handler=rotate,
        answers={200: Documented("The channel with its new signing secret.", RESPONSE, WITH_SECRET)},
        problems=("channel_not_found",),
        description="For 24 hours deliveries carry two signatures (the new secret's and the previous "
        "one's), so a receiver can switch over without refusing any.",
    ),
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return endpoint(event)
