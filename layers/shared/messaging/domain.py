"""Domain types: what a conversation, a contact and an active lock are, free of HTTP and DynamoDB."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

type ContextValue = str | int | float | bool


class ConversationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CloseReason(StrEnum):
    CUSTOMER = "customer"
    TIMEOUT = "timeout"
    REPRESENTATIVE = "representative"


class ContactMatch(StrEnum):
    """How record identification ended for a conversation."""

    MATCHED = "matched"
    CREATED = "created"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Tenant:
    """The calling client application; every record belongs to exactly one tenant."""

    id: str


@dataclass(frozen=True, slots=True)
class CustomerDetails:
    customerid: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    preferredname: str | None = None
    email: str | None = None
    phonenumber: str | None = None


@dataclass(frozen=True, slots=True)
class ContextVariable:
    value: ContextValue
    is_displayable: bool = False


@dataclass(frozen=True, slots=True)
class StartMessage:
    message: str
    displayname: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationRequest:
    """What a caller asks for when starting a conversation."""

    customer: CustomerDetails = field(default_factory=CustomerDetails)
    context: dict[str, ContextVariable] = field(default_factory=dict)
    start_message: StartMessage | None = None
    skip_deflection_bot: bool | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A customer record of one tenant, found by normalized email and phone number."""

    contact_id: str
    firstname: str | None = None
    lastname: str | None = None
    preferredname: str | None = None
    email: str | None = None
    phonenumber: str | None = None


@dataclass(frozen=True, slots=True)
class ActiveLock:
    """Marks the one conversation that is active for a tenant + customerid, until it expires."""

    customerid: str
    conversation_id: str
    expires_at_ms: int

    def is_active(self, now_ms: int) -> bool:
        return now_ms < self.expires_at_ms


@dataclass(frozen=True, slots=True)
class Conversation:
    conversation_id: str
    tenant: Tenant
    customer: CustomerDetails
    created_at_ms: int
    expires_at_ms: int
    contact_id: str | None = None
    contact_match: ContactMatch = ContactMatch.NONE
    context: dict[str, ContextVariable] = field(default_factory=dict)
    start_message: StartMessage | None = None
    message_id: str | None = None
    skip_deflection_bot: bool | None = None
    status: ConversationStatus = ConversationStatus.OPEN
    closed_at_ms: int | None = None
    close_reason: CloseReason | None = None
    channel_id: str | None = None

    def is_active(self, now_ms: int) -> bool:
        return self.status is ConversationStatus.OPEN and now_ms < self.expires_at_ms

    def as_seen_at(self, now_ms: int) -> Conversation:
        """The conversation as every reader must see it: past its expiry it is closed (timeout) at once,
        even while DynamoDB TTL has not caught up yet."""
        if self.status is ConversationStatus.OPEN and now_ms >= self.expires_at_ms:
            return replace(
                self,
                status=ConversationStatus.CLOSED,
                closed_at_ms=self.expires_at_ms,
                close_reason=CloseReason.TIMEOUT,
            )
        return self


@dataclass(frozen=True, slots=True)
class CreateOutcome:
    """The answer to a create: which conversation, whether it is new, and the start message's id."""

    conversation_id: str
    is_new: bool
    message_id: str | None = None
    contact_match: str | None = None  # a ContactMatch value for a new conversation (plain str: replayable)
    replayed: bool = False  # the stored first answer to a repeated conversationrequestid


@dataclass(frozen=True, slots=True)
class ClosedConversation:
    """How a conversation ended: the answer to a close, the same on every retry."""

    conversation_id: str
    closed_at_ms: int
    close_reason: CloseReason
