"""Paging and the consumer's list of conversations (GET /conversations)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# RFC 3339 date-time: what the OpenAPI format means, and all this parameter accepts.
_DATE_TIME = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
_DATE_TIME_PATTERN = re.compile(_DATE_TIME)

PageSizeField = Annotated[int, Field(ge=1, le=250, description="1–250 conversations per page (default 50).")]
# A continuation token is valid only as the API issued it, for the same query and tenant (it is signed): a
# rule JSON Schema cannot state, so the schema marks it for tools (a fuzzer must not invent one).
ISSUED_BY_THE_API = {"x-issuedByApi": True}


def _date_time(text: str) -> str:
    if _DATE_TIME_PATTERN.fullmatch(text) is None:
        raise ValueError("must be an RFC 3339 date-time, e.g. 2026-11-18T11:06:40Z")
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be a real date and time (RFC 3339)") from None
    return text


def epoch_ms(date_time: str) -> int:
    moment = datetime.fromisoformat(date_time.upper().replace("Z", "+00:00"))
    return int(moment.astimezone(UTC).timestamp() * 1000)


DateTime = Annotated[
    str,
    Field(json_schema_extra={"format": "date-time", "pattern": _DATE_TIME}),
    AfterValidator(_date_time),
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
