"""The activities of both sides (Bot Framework-style): message, typing, event, and the consumer's
endOfConversation. Extra Bot Framework fields (timestamp, locale, recipient…) are accepted and ignored."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, model_validator

from messaging.http import checks
from messaging.http.models.conversation import EventResponse
from messaging.http.models.create import ContextEntry
from messaging.http.models.fields import ContextKey, Encodable
from messaging.limits import ACTIVITY_FIELD_MAX, MAX_CONTEXT_ENTRIES, MESSAGE_TEXT_MAX

Field256 = Annotated[str, Field(max_length=ACTIVITY_FIELD_MAX), Encodable]
ContentUrl = Annotated[
    str, Field(json_schema_extra={"pattern": checks.CONTENT_URL_PATTERN}), AfterValidator(checks.content_url)
]


class _BotFramework(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class SenderModel(_BotFramework):
    id: Annotated[Field256 | None, Field(description="The sender's id.")] = None
    name: Annotated[Field256 | None, Field(description="The sender's display name.")] = None


class ConversationReference(_BotFramework):
    id: Annotated[
        str | None,
        Field(
            max_length=200,
            description="Must equal the path's conversationId when present (case-insensitively).",
            # The rule JSON Schema cannot state, for tools: the path parameter this value must equal.
            json_schema_extra={"x-equalsPathParameter": "conversationId"},
        ),
    ] = None


class AttachmentModel(_BotFramework):
    contentType: Annotated[Field256, Field(min_length=1, description="The attachment's media type.")]
    contentUrl: Annotated[ContentUrl, Field(description="An https URL or a base64 data: URL.")]
    name: Annotated[Field256 | None, Field(description="The file name shown.")] = None


class Addressed(_BotFramework):
    conversation: Annotated[
        ConversationReference | None, Field(description="The conversation addressed.")
    ] = None
    channelId: Annotated[
        str | None, Field(max_length=200, description="The channel the activity came from; stored with it.")
    ] = None


class MessageActivity(Addressed):
    # The schema states the validator's rule too: a non-empty text, or at least one attachment.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"text": {"type": "string", "minLength": 1}}, "required": ["text"]},
                {
                    "properties": {"attachments": {"type": "array", "minItems": 1}},
                    "required": ["attachments"],
                },
            ]
        }
    )
    type: Literal["message"]
    text: Annotated[
        Annotated[str, Field(max_length=MESSAGE_TEXT_MAX), Encodable] | None,
        Field(description="Up to 6,000 characters; text or attachments (or both) is required."),
    ] = None
    attachments: Annotated[
        list[AttachmentModel] | None, Field(description="Files: each an https or base64 data: URL.")
    ] = None
    from_: Annotated[SenderModel | None, Field(alias="from", description="Who sends it.")] = None

    @model_validator(mode="before")
    @classmethod
    def _size(cls, data: Any) -> Any:
        return checks.within_activity_size(data)

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if not self.text and not self.attachments:
            raise ValueError("a message needs text or attachments")
        return self


class TypingActivity(Addressed):
    type: Literal["typing"]
    from_: Annotated[SenderModel | None, Field(alias="from", description="Who is typing.")] = None


def _custom_event_value(text: str) -> str:
    try:
        document = json.loads(text)
    except ValueError:
        raise ValueError("must be a JSON string of {name: {isDisplayable, value}}") from None
    CustomEventValue.model_validate(document)
    return text


class CustomEventValue(RootModel[dict[ContextKey, ContextEntry]]):
    root: Annotated[dict[ContextKey, ContextEntry], Field(max_length=MAX_CONTEXT_ENTRIES)]


class ChannelData(_BotFramework):
    customEventValue: Annotated[
        Annotated[
            str,
            # JSON Schema's own words for "a string holding a JSON document" (its shape: the description).
            Field(json_schema_extra={"contentMediaType": "application/json"}),
            AfterValidator(_custom_event_value),
        ]
        | None,
        Field(
            description="A JSON string of {name: {isDisplayable, value}}: context variables to set (the "
            "same rules as create's conversationcontext; at most 100 in all)."
        ),
    ] = None


class EventActivity(Addressed):
    type: Literal["event"]
    name: Annotated[Field256, Field(min_length=1, description="The event's name.")]
    channelData: Annotated[ChannelData | None, Field(description="customEventValue updates the context.")] = (
        None
    )
    from_: Annotated[SenderModel | None, Field(alias="from", description="Who sends it.")] = None


class EndOfConversationActivity(Addressed):
    type: Literal["endOfConversation"]


class ConsumerActivity(
    RootModel[
        Annotated[
            MessageActivity | TypingActivity | EventActivity | EndOfConversationActivity,
            Field(discriminator="type"),
        ]
    ]
):
    """What the consumer side sends: the customer's message or typing, a custom event, endOfConversation."""


class ActivityAccepted(BaseModel):
    messageId: Annotated[
        str,
        Field(
            description="Epoch-milliseconds id of the activity (13 digits), unique and increasing within the "
            "conversation: the transcript's order."
        ),
    ]


class ActivityAnswer(RootModel[ActivityAccepted | EventResponse]):
    """For the OpenAPI document: a message's, typing's or event's id, or the conversation after an event."""
