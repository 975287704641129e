"""The conversation endpoints' shared models: the views of a conversation and the answer to an event."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

StatusName = Literal["open", "active", "waiting", "wrapup", "closed"]
CloseReasonName = Literal["customer", "timeout", "representative"]
EndedByName = Literal["customer", "representative"]


class RepresentativeView(BaseModel):
    id: str
    name: str | None = None


class EventResponse(BaseModel):
    """A conversation after an event (the consumer's endOfConversation, a representative's event)."""

    conversationId: str
    status: Annotated[StatusName, Field(description="The conversation's status after the event.")]
    isActive: Annotated[bool, Field(description="open or active: it holds the customerid.")]
    messageId: Annotated[
        str,
        Field(
            description="Epoch-milliseconds id of the activity, unique and increasing within the "
            "conversation (a retry: the conversation's latest activity's id)."
        ),
    ]
    # Present when the event settled them or the store returned them (a blind transaction returns nothing).
    representative: Annotated[RepresentativeView | None, Field(exclude_if=lambda v: v is None)] = None
    endedBy: Annotated[EndedByName | None, Field(exclude_if=lambda v: v is None)] = None
    closedAt: Annotated[
        str | None, Field(description="When it closed (ISO 8601, UTC).", exclude_if=lambda v: v is None)
    ] = None
    closeReason: Annotated[CloseReasonName | None, Field(exclude_if=lambda v: v is None)] = None


class ConversationView(BaseModel):
    conversationId: str
    status: Annotated[StatusName, Field(description="See the state table (CONTRACT.md).")]
    isActive: Annotated[bool, Field(description="open or active: it holds the customerid.")]
    customerid: str | None
    contactId: str | None
    contactMatch: Annotated[
        Literal["matched", "created", "ambiguous", "none"],
        Field(description="How record identification ended."),
    ]
    representative: RepresentativeView | None
    createdAt: str
    expiresAt: Annotated[str | None, Field(description="The current status's deadline; null once closed.")]
    endedAt: str | None
    endedBy: EndedByName | None
    closedAt: str | None
    closeReason: CloseReasonName | None
    conversationcontext: dict[str, dict[str, Any]]
