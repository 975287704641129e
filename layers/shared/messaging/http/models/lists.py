"""Paging and the consumer's list of conversations (GET /conversations)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from messaging.http import checks
from messaging.limits import LIST_PAGE_MAX

PageSizeField = Annotated[
    int, Field(ge=1, le=LIST_PAGE_MAX, description="1–250 conversations per page (default 50).")
]

DateTime = Annotated[
    str,
    Field(json_schema_extra={"format": "date-time", "pattern": checks.DATE_TIME}),
    AfterValidator(checks.date_time),
]


class ConversationListQuery(BaseModel):
    # An unknown query parameter is a 400 naming it, as an unknown body field is.
    model_config = ConfigDict(extra="forbid")
    StartTimeStamp: Annotated[
        DateTime | None, Field(description="Only conversations created at or after this time (RFC 3339).")
    ] = None
    PageSize: PageSizeField = 50
    ContinuationToken: Annotated[
        str | None, Field(max_length=4096, description="From the previous page's continuationtoken.")
    ] = None


class ConversationListItem(BaseModel):
    conversationid: str
    timestamp: Annotated[str, Field(description="When it was created (ISO 8601, UTC).")]
    status: Literal["open", "active", "waiting"]


class ConversationListResponse(BaseModel):
    conversations: list[ConversationListItem]
    continuationtoken: Annotated[str | None, Field(description="null on the last page.")]
