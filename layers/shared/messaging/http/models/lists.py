"""Paging and the consumer's list of conversations (GET /conversations)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from messaging.http import checks
from messaging.limits import LIST_PAGE_MAX

# A continuation token is valid only as the API issued it, for the same query and tenant (it is signed): a
# rule JSON Schema cannot state, so the schema marks it for tools (a fuzzer must not invent one).
ISSUED_BY_THE_API = {"x-issuedByApi": True}

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
        str | None,
        Field(
            max_length=4096,
            description="From the previous page's continuationtoken, with the same StartTimeStamp.",
            json_schema_extra=ISSUED_BY_THE_API,
        ),
    ] = None


class ConversationListItem(BaseModel):
    conversationid: str
    timestamp: Annotated[str, Field(description="When it was created (ISO 8601, UTC).")]
    status: Literal["open", "active", "waiting"]


class ConversationListResponse(BaseModel):
    conversations: list[ConversationListItem]
    continuationtoken: Annotated[str | None, Field(description="null on the last page.")]
