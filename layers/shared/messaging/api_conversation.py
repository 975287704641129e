"""API models of the conversation endpoint: the activity that ends a conversation, and the views returned."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from messaging.conversation_ids import is_conversation_id
from messaging.domain import ClosedConversation, Conversation, ConversationStatus
from messaging.errors import InvalidRequest

CONVERSATION_ID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
END_OF_CONVERSATION = "endOfConversation"
SUPPORTED_ACTIVITIES = (END_OF_CONVERSATION,)


class ConversationReference(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    id: Annotated[str | None, Field(description="Must equal the path's conversationId when present.")] = None


class Activity(BaseModel):
    # Bot Framework activities carry many more fields (from, timestamp, locale…): accepted and ignored.
    model_config = ConfigDict(extra="ignore", strict=True)
    type: Annotated[
        str,
        StringConstraints(min_length=1, max_length=100),
        Field(description="Activity type. Served: endOfConversation (closes the conversation)."),
    ]
    channelId: Annotated[
        Annotated[str, StringConstraints(max_length=200)] | None,
        Field(description="The channel the activity came from; stored with the closed conversation."),
    ] = None
    conversation: Annotated[
        ConversationReference | None, Field(description="The conversation addressed.")
    ] = None


# Documented only: checked_conversation_id answers a malformed id itself (400 malformed_conversation_id).
ConversationIdPath = Annotated[
    str,
    Path(
        description="The conversation's id: a UUID (lower case as returned; upper case accepted).",
        json_schema_extra={"pattern": CONVERSATION_ID_PATTERN},
    ),
]


def iso_time(epoch_ms: int | None) -> str | None:
    if epoch_ms is None:
        return None
    return (
        datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def checked_conversation_id(conversation_id: str) -> str:
    normalized = conversation_id.lower()
    if not is_conversation_id(normalized):
        raise InvalidRequest(
            "malformed_conversation_id", "conversationId must be a UUID (8-4-4-4-12 hex)", ("conversationId",)
        )
    return normalized


def end_of_conversation_channel(conversation_id: str, activity: Activity) -> str | None:
    """Checks the activity is the served one, addressed to this conversation; returns its channelId."""
    if activity.type != END_OF_CONVERSATION:
        raise InvalidRequest(
            "unsupported_activity",
            f"activity type {activity.type!r} is not served; "
            f"supported types: {', '.join(SUPPORTED_ACTIVITIES)}",
            ("type",),
        )
    addressed = activity.conversation.id if activity.conversation else None
    if addressed is not None and addressed.lower() != conversation_id:
        raise InvalidRequest(
            "conversation_mismatch",
            "conversation.id must equal the conversationId in the path",
            ("conversation.id",),
        )
    return activity.channelId


class ClosedConversationResponse(BaseModel):
    conversationId: str
    status: Literal["closed"] = "closed"
    closedAt: Annotated[str, Field(description="When it closed (ISO 8601, UTC).")]
    closeReason: Annotated[str, Field(description="customer, timeout or representative.")]
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
    status: Annotated[str, Field(description="open until closed.")]
    isActive: bool
    customerid: str | None
    contactId: str | None
    contactMatch: Annotated[str, Field(description="matched, created, ambiguous or none.")]
    createdAt: str
    expiresAt: str
    closedAt: str | None
    closeReason: str | None
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
