"""The conversation endpoints' models: the path's id, the activity that ends a conversation, the views."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from messaging.conversation_ids import is_conversation_id
from messaging.domain import ClosedConversation, Conversation, ConversationStatus
from messaging.errors import InvalidRequest
from messaging.http.endpoint import PathParameter
from messaging.http.models.fields import CONVERSATION_ID_PATTERN

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
        str | None, Field(max_length=200, description="Must equal the path's conversationId when present.")
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


class ClosedConversationResponse(BaseModel):
    conversationId: str
    status: Literal["closed"] = "closed"
    closedAt: Annotated[str, Field(description="When it closed (ISO 8601, UTC).")]
    closeReason: Annotated[
        Literal["customer", "timeout", "representative"], Field(description="Who or what ended it.")
    ]
    messageId: Annotated[str, Field(description="Epoch-milliseconds id of the closing activity.")]

    @classmethod
    def of(cls, closed: ClosedConversation) -> ClosedConversationResponse:
        return cls(
            conversationId=closed.conversation_id,
            closedAt=iso_time(closed.closed_at_ms) or "",
            closeReason=closed.close_reason.value,
            messageId=str(closed.closed_at_ms),
        )


class ConversationView(BaseModel):
    conversationId: str
    status: Annotated[Literal["open", "closed"], Field(description="open until closed.")]
    isActive: bool
    customerid: str | None
    contactId: str | None
    contactMatch: Annotated[
        Literal["matched", "created", "ambiguous", "none"],
        Field(description="How record identification ended."),
    ]
    createdAt: str
    expiresAt: str
    closedAt: str | None
    closeReason: Literal["customer", "timeout", "representative"] | None
    conversationcontext: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationView:
        """From a conversation as seen now (expired already shown closed)."""
        c = conversation
        return cls(
            conversationId=c.conversation_id,
            status=c.status.value,
            isActive=c.status is ConversationStatus.OPEN,
            customerid=c.customer.customerid,
            contactId=c.contact_id,
            contactMatch=c.contact_match.value,
            createdAt=iso_time(c.created_at_ms) or "",
            expiresAt=iso_time(c.expires_at_ms) or "",
            closedAt=iso_time(c.closed_at_ms),
            closeReason=c.close_reason.value if c.close_reason else None,
            conversationcontext={
                k: {"value": v.value, "isDisplayable": v.is_displayable} for k, v in c.context.items()
            },
        )
