"""The channel settings' models: the webhook URL in, the URL (and, on PUT and rotate, the secret) out."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from messaging.http.models.fields import Encodable, Strict


class ChannelRequest(Strict):
    webhookUrl: Annotated[
        str,
        Field(
            min_length=1,
            max_length=2048,
            # x-resolvesPublicly: the rule JSON Schema cannot state (DNS), named for tools.
            json_schema_extra={"pattern": "^https?://", "x-resolvesPublicly": True},
            description="Where activities are delivered: POST {webhookUrl}/v3/conversations/{id}/activities. "
            "An https URL whose host resolves only to public addresses (local runs: http://127.0.0.1:<port>).",
        ),
        Encodable,
    ]


class ChannelResponse(BaseModel):
    webhookUrl: str
    signingSecret: Annotated[
        str | None,
        Field(
            description="The Standard Webhooks secret (whsec_…) deliveries are signed with: shown on PUT and "
            "rotate only.",
            exclude_if=lambda value: value is None,
        ),
    ] = None
