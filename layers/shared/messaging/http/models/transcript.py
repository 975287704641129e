"""The transcript (GET /conversation/{id}/messages) and the context (GET /conversation/{id}/context)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from messaging.domain.activity import StoredMessage
from messaging.domain.conversation import ContextVariable
from messaging.domain.time import iso_time
from messaging.http.models.lists import ISSUED_BY_THE_API, DateTime
from messaging.limits import TRANSCRIPT_PAGE_MAX

TranscriptPageSize = Annotated[
    int, Field(ge=1, le=TRANSCRIPT_PAGE_MAX, description="1–100 messages per page (default 50).")
]


class TranscriptQuery(BaseModel):
    # An unknown query parameter is a 400 naming it, as an unknown body field is.
    model_config = ConfigDict(extra="forbid")
    StartTimeStamp: Annotated[
        DateTime | None, Field(description="Only messages sent at or after this time (RFC 3339).")
    ] = None
    PageSize: TranscriptPageSize = 50
    ContinuationToken: Annotated[
        str | None,
        Field(
            max_length=4096,
            description="From the previous page's continuationToken, with the same StartTimeStamp.",
            json_schema_extra=ISSUED_BY_THE_API,
        ),
    ] = None


class SenderView(BaseModel):
    id: str | None = None
    name: str | None = None
    role: Literal["customer", "representative"]


class AttachmentView(BaseModel):
    contentType: str
    contentUrl: str
    name: str | None = None


class MessageView(BaseModel):
    """A message of the transcript, as a Bot Framework activity."""

    model_config = ConfigDict(serialize_by_alias=True)
    type: Literal["message"] = "message"
    id: Annotated[str, Field(description="The activity's id: its messageId.")]
    messageId: str
    timestamp: Annotated[str, Field(description="When it was sent (ISO 8601, UTC): its messageId's time.")]
    from_: Annotated[SenderView, Field(alias="from")]
    text: Annotated[str | None, Field(exclude_if=lambda v: v is None)] = None
    attachments: Annotated[list[AttachmentView] | None, Field(exclude_if=lambda v: v is None)] = None

    @classmethod
    def of(cls, message: StoredMessage) -> MessageView:
        sender = message.sender
        return cls(
            id=str(message.message_id),
            messageId=str(message.message_id),
            timestamp=iso_time(message.message_id) or "",
            **{"from": SenderView(id=sender.id, name=sender.name, role=sender.role.value)},
            text=message.text,
            attachments=[
                AttachmentView(contentType=a.content_type, contentUrl=a.content_url, name=a.name)
                for a in message.attachments
            ]
            or None,
        )


class TranscriptResponse(BaseModel):
    messages: list[MessageView]
    continuationToken: Annotated[str | None, Field(description="null on the last page.")]


class ContextItem(BaseModel):
    name: str
    value: Any
    isDisplayable: bool


class ContextResponse(BaseModel):
    context: list[ContextItem]

    @classmethod
    def of(cls, context: dict[str, ContextVariable]) -> ContextResponse:
        return cls(
            context=[
                ContextItem(name=k, value=v.value, isDisplayable=v.is_displayable) for k, v in context.items()
            ]
        )
