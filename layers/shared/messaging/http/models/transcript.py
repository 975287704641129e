"""The transcript (GET /conversation/{id}/messages) and the context (GET /conversation/{id}/context)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class TranscriptResponse(BaseModel):
    messages: list[MessageView]
    continuationToken: Annotated[str | None, Field(description="null on the last page.")]


class ContextItem(BaseModel):
    name: str
    value: Any
    isDisplayable: bool


class ContextResponse(BaseModel):
    context: list[ContextItem]
