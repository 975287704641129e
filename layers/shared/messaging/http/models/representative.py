"""The representative side's models: its activity (the state machine's events), its view of a conversation
(only displayable context), and its lists."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from messaging.http.models.activities import Addressed, MessageActivity, TypingActivity
from messaging.http.models.conversation import StatusName
from messaging.http.models.fields import Encodable, NonEmptyName
from messaging.http.models.lists import ISSUED_BY_THE_API, PageSizeField

EventName = Literal["accept", "release", "wait", "resume", "end", "close"]


class Sender(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    id: Annotated[
        NonEmptyName | None, Field(description="The representative's id (required for accept).")
    ] = None
    name: Annotated[
        Annotated[str, Field(max_length=256), Encodable] | None,
        Field(description="The representative's name, as the customer sees it."),
    ] = None


class RepresentativeEvent(Addressed):
    # The schema states the validator's rule too: accept requires from.id.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"name": {"const": "accept"}}, "required": ["name"]},
            "then": {
                "properties": {
                    "from": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
                },
                "required": ["from"],
            },
        },
    )
    type: Annotated[Literal["event"], Field(description="event: a change of the conversation's status.")]
    name: Annotated[EventName, Field(description="The event (see the state table in the API description).")]
    from_: Annotated[Sender | None, Field(alias="from", description="The representative acting.")] = None

    @model_validator(mode="after")
    def _accept_names_its_representative(self) -> Self:
        if self.name == "accept" and (self.from_ is None or self.from_.id is None):
            raise ValueError("accept must name the representative: from.id is required")
        return self


class RepresentativeActivity(
    RootModel[Annotated[RepresentativeEvent | MessageActivity | TypingActivity, Field(discriminator="type")]]
):
    """What the representative side sends: an event of the state table, a message, typing."""


class CustomerView(BaseModel):
    displayName: Annotated[str | None, Field(description="preferredname, else the first and last names.")]
    firstname: str | None
    lastname: str | None
    preferredname: str | None


class StartMessageView(BaseModel):
    messageId: str
    message: str
    displayname: str | None


class RepresentativeConversationView(BaseModel):
    """What a representative may see: never a context variable with isDisplayable false."""

    conversationId: str
    status: StatusName
    isActive: bool
    customer: CustomerView
    contactId: str | None
    representative: Any
    createdAt: str
    expiresAt: str | None
    endedAt: str | None
    endedBy: Literal["customer", "representative"] | None
    closedAt: str | None
    closeReason: Literal["customer", "timeout", "representative"] | None
    conversationcontext: Annotated[
        dict[str, Any], Field(description="Only the context variables with isDisplayable true.")
    ]
    startMessage: StartMessageView | None


class RepresentativeListQuery(BaseModel):
    # An unknown query parameter is a 400 naming it, as an unknown body field is.
    model_config = ConfigDict(extra="forbid")
    status: Annotated[
        Literal["open", "active", "waiting", "wrapup"],
        Field(description="The list: open is the queue; active, waiting, wrapup a status's conversations."),
    ] = "open"
    representativeId: Annotated[
        NonEmptyName | None, Field(description="Only this representative's conversations (not for open).")
    ] = None
    PageSize: PageSizeField = 50
    ContinuationToken: Annotated[
        str | None,
        Field(
            max_length=4096,
            description="From the previous page's continuationToken, with the same status and "
            "representativeId.",
            json_schema_extra=ISSUED_BY_THE_API,
        ),
    ] = None


class RepresentativeListItem(BaseModel):
    conversationId: str
    status: StatusName
    createdAt: str
    statusSince: Annotated[str, Field(description="When it entered its status (ISO 8601, UTC).")]
    representativeId: str | None


class RepresentativeListResponse(BaseModel):
    conversations: list[RepresentativeListItem]
    continuationToken: Annotated[str | None, Field(description="null on the last page.")]
