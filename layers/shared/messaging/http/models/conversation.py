"""The conversation endpoints' shared models: the path's id, the consumer's activity, the views and the
answer to an event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from messaging.domain.conversation import Conversation, ConversationState
from messaging.domain.errors import InvalidRequest
from messaging.domain.ids import is_conversation_id
from messaging.domain.state_machine import HOLDS_CUSTOMER, Status
from messaging.http.endpoint import PathParameter
from messaging.http.models.fields import CONVERSATION_ID_PATTERN
from messaging.usecases.events import EventOutcome

END_OF_CONVERSATION = "endOfConversation"


def checked_conversation_id(conversation_id: str) -> str:
    normalized = conversation_id.lower()
    if not is_conversation_id(normalized):
        raise InvalidRequest(
            "malformed_conversation_id", "conversationId must be a UUID (8-4-4-4-12 hex)", ("conversationId",)
        )
    return normalized


CONVERSATION_ID = PathParameter(
    description="The conversation's id: a UUID (lower case as returned; upper case accepted).",
    schema={"type": "string", "pattern": CONVERSATION_ID_PATTERN},
    parse=checked_conversation_id,
    example="0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
    problems=("malformed_conversation_id", "conversation_not_found"),
)


class ConversationReference(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    id: Annotated[
        str | None,
        Field(
            max_length=200,
            description="Must equal the path's conversationId when present (case-insensitively).",
            # The rule JSON Schema cannot state, for tools: the path parameter this value must equal.
            json_schema_extra={"x-equalsPathParameter": "conversationId"},
        ),
    ] = None


class Activity(BaseModel):
    # Bot Framework activities carry many more fields (from, timestamp, locale…): accepted and ignored.
    model_config = ConfigDict(extra="ignore", strict=True)
    type: Annotated[
        Literal["endOfConversation"],
        Field(description="Activity type. endOfConversation ends the conversation."),
    ]
    channelId: Annotated[
        str | None,
        Field(
            max_length=200, description="The channel the activity came from; stored with the conversation."
        ),
    ] = None
    conversation: Annotated[
        ConversationReference | None, Field(description="The conversation addressed.")
    ] = None

    def channel_for(self, conversation_id: str) -> str | None:
        """Checks the activity is addressed to this conversation; returns its channelId."""
        addressed = self.conversation.id if self.conversation else None
        if addressed is not None and addressed.lower() != conversation_id:
            raise InvalidRequest(
                "conversation_mismatch",
                "conversation.id must equal the conversationId in the path",
                ("conversation.id",),
            )
        return self.channelId


def iso_time(epoch_ms: int | None) -> str | None:
    if epoch_ms is None:
        return None
    return (
        datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


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

    @classmethod
    def of(cls, outcome: EventOutcome) -> EventResponse:
        rep = outcome.representative
        return cls(
            conversationId=outcome.conversation_id,
            status=outcome.status.value,
            isActive=outcome.status in HOLDS_CUSTOMER,
            messageId=str(outcome.message_id),
            representative=RepresentativeView(id=rep.id, name=rep.name) if rep else None,
            endedBy=outcome.ended_by.value if outcome.ended_by else None,
            closedAt=iso_time(outcome.closed_at_ms),
            closeReason=outcome.close_reason.value if outcome.close_reason else None,
        )


def state_fields(state: ConversationState) -> dict[str, Any]:
    """The fields every view of a conversation shares, from its state as seen now."""
    rep = state.representative
    return {
        "conversationId": state.conversation_id,
        "status": state.status.value,
        "isActive": state.status in HOLDS_CUSTOMER,
        "representative": RepresentativeView(id=rep.id, name=rep.name) if rep else None,
        "createdAt": iso_time(state.created_at_ms) or "",
        "expiresAt": iso_time(state.expires_at_ms) if state.status is not Status.CLOSED else None,
        "endedAt": iso_time(state.ended_at_ms),
        "endedBy": state.ended_by.value if state.ended_by else None,
        "closedAt": iso_time(state.closed_at_ms),
        "closeReason": state.close_reason.value if state.close_reason else None,
    }


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

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationView:
        """From a conversation as seen now (past its deadline already shown timed out)."""
        details = conversation.details
        return cls(
            **state_fields(conversation.state),
            customerid=details.customer.customerid,
            contactId=details.contact_id,
            contactMatch=details.contact_match.value,
            conversationcontext={
                k: {"value": v.value, "isDisplayable": v.is_displayable} for k, v in details.context.items()
            },
        )
