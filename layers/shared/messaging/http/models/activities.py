"""The activities of both sides (Bot Framework-style): message, typing, event, and the consumer's
endOfConversation. Extra Bot Framework fields (timestamp, locale, recipient…) are accepted and ignored."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, model_validator

from messaging.domain.activity import Activity, Attachment, Kind, Role, Sender
from messaging.domain.conversation import ContextVariable
from messaging.domain.errors import InvalidRequest
from messaging.http.models.conversation import EventResponse
from messaging.http.models.create import ContextEntry
from messaging.http.models.fields import ContextKey, Encodable
from messaging.limits import (
    ACTIVITY_FIELD_MAX,
    ACTIVITY_MAX_BYTES,
    MAX_CONTEXT_ENTRIES,
    MESSAGE_TEXT_MAX,
)

# One pattern, stated in the schema and enforced as written: an https URL with a host name or IPv4 address
# (no user info, no IPv6 literal; no space or control character: a class of its own, as `\s` differs
# between Python's and JSON Schema's regular expressions), or a data: URL with well-formed, padded base64.
CONTENT_URL_PATTERN = (
    r"^(https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:[/?#][^\x00-\x20\x7f-\x9f]*)?"
    r"|data:[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:;[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]+)*;base64,"
    r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$"
)
_CONTENT_URL = re.compile(CONTENT_URL_PATTERN)


def _content_url(url: str) -> str:
    if _CONTENT_URL.fullmatch(url) is None:
        raise ValueError("must be an https URL with a host, or a data: URL with well-formed base64")
    return url


Field256 = Annotated[str, Field(max_length=ACTIVITY_FIELD_MAX), Encodable]
ContentUrl = Annotated[
    str, Field(json_schema_extra={"pattern": CONTENT_URL_PATTERN}), AfterValidator(_content_url)
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

    def checked_for(self, conversation_id: str) -> Self:
        """The activity, once it is known to be addressed to the path's conversation."""
        addressed = self.conversation.id if self.conversation else None
        if addressed is not None and addressed.lower() != conversation_id:
            raise InvalidRequest(
                "conversation_mismatch",
                "conversation.id must equal the conversationId in the path",
                ("conversation.id",),
            )
        return self


def _within_activity_size(data: Any) -> Any:
    if isinstance(data, dict):
        size = len(
            json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        )
        if size > ACTIVITY_MAX_BYTES:
            raise ValueError(
                f"a message activity must be at most {ACTIVITY_MAX_BYTES} bytes (28 KB); it is {size}"
            )
    return data


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
        return _within_activity_size(data)

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if not self.text and not self.attachments:
            raise ValueError("a message needs text or attachments")
        return self

    def as_domain(self, role: Role) -> Activity:
        sender = self.from_ or SenderModel()
        return Activity(
            Kind.MESSAGE,
            Sender(role, sender.id, sender.name),
            text=self.text or None,
            attachments=tuple(
                Attachment(a.contentType, a.contentUrl, a.name) for a in (self.attachments or [])
            ),
        )


class TypingActivity(Addressed):
    type: Literal["typing"]
    from_: Annotated[SenderModel | None, Field(alias="from", description="Who is typing.")] = None

    def as_domain(self, role: Role) -> Activity:
        sender = self.from_ or SenderModel()
        return Activity(Kind.TYPING, Sender(role, sender.id, sender.name))


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

    def as_domain(self, role: Role) -> Activity:
        value = self.channelData.customEventValue if self.channelData else None
        entries = CustomEventValue.model_validate(json.loads(value)).root if value else {}
        sender = self.from_ or SenderModel()
        return Activity(
            Kind.EVENT,
            Sender(role, sender.id, sender.name),
            event_name=self.name,
            context={k: ContextVariable(e.value, e.isDisplayable) for k, e in entries.items()},
        )


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
