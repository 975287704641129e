"""A conversation: its hot state (status, deadlines, representative, the activity counter) and its details
(customer, contact, context, start message), each a separate record because events change only the state."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import StrEnum

from messaging.domain.state_machine import HOLDS_CUSTOMER, CloseReason, EndedBy, Status
from messaging.domain.tenant import Tenant

type ContextValue = str | int | float | bool


class ContactMatch(StrEnum):
    """How record identification ended for a conversation."""

    MATCHED = "matched"
    CREATED = "created"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class CustomerDetails:
    """What the request says about the customer (customercontext)."""

    customerid: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    preferredname: str | None = None
    email: str | None = None
    phonenumber: str | None = None


@dataclass(frozen=True, slots=True)
class ContextVariable:
    """A context variable's value, and whether the representative may see it."""

    value: ContextValue
    is_displayable: bool = False


@dataclass(frozen=True, slots=True)
class StartMessage:
    """The customer's first message, sent with the create."""

    message: str
    displayname: str | None = None


@dataclass(frozen=True, slots=True)
class Representative:
    """The representative who took a conversation: id and display name."""

    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Each state's timeout (CONTRACT.md, "Timeout rules"), counted from entering the state or, once
    messages exist, from the last message."""

    open_ms: int
    active_ms: int
    waiting_ms: int
    wrapup_ms: int

    def deadline(self, status: Status, since_ms: int) -> int | None:
        timeout = {
            Status.OPEN: self.open_ms,
            Status.ACTIVE: self.active_ms,
            Status.WAITING: self.waiting_ms,
            Status.WRAPUP: self.wrapup_ms,
        }.get(status)
        return None if timeout is None else since_ms + timeout


@dataclass(frozen=True, slots=True)
class ConversationState:
    """What every event reads and changes: small, so that an update costs one write unit."""

    conversation_id: str
    tenant: Tenant
    status: Status
    created_at_ms: int
    entered_at_ms: int  # when it entered its status
    expires_at_ms: int | None  # its status's deadline; None once closed
    last_message_id: int  # the highest messageId given so far (activity ids strictly increase)
    customerid: str | None = None
    representative: Representative | None = None
    ended_at_ms: int | None = None
    ended_by: EndedBy | None = None
    closed_at_ms: int | None = None
    close_reason: CloseReason | None = None
    channel_id: str | None = None

    def is_active(self, now_ms: int) -> bool:
        seen = self.as_seen_at(now_ms)
        return seen.status in HOLDS_CUSTOMER

    def expired(self, now_ms: int) -> bool:
        return self.expires_at_ms is not None and now_ms >= self.expires_at_ms

    def as_seen_at(self, now_ms: int) -> ConversationState:
        """The conversation as every reader must see it: past its deadline its timeout has happened, even
        before the sweeper has stored it (CONTRACT.md: reads are exact at once)."""
        if self.status is Status.CLOSED or not self.expired(now_ms):
            return self
        assert self.expires_at_ms is not None
        reason = CloseReason(self.ended_by.value) if self.ended_by is not None else CloseReason.TIMEOUT
        return replace(
            self,
            status=Status.CLOSED,
            expires_at_ms=None,
            closed_at_ms=self.expires_at_ms,
            close_reason=reason,
        )


@dataclass(frozen=True, slots=True)
class ConversationDetails:
    """What a conversation keeps apart from its state: customer, contact, context, start message."""

    customer: CustomerDetails = field(default_factory=CustomerDetails)
    contact_id: str | None = None
    contact_match: ContactMatch = ContactMatch.NONE
    context: dict[str, ContextVariable] = field(default_factory=dict)
    start_message: StartMessage | None = None
    start_message_id: str | None = None
    skip_deflection_bot: bool | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation as read: its state and its details."""

    state: ConversationState
    details: ConversationDetails

    @property
    def conversation_id(self) -> str:
        return self.state.conversation_id

    def as_seen_at(self, now_ms: int) -> Conversation:
        return replace(self, state=self.state.as_seen_at(now_ms))


@dataclass(frozen=True, slots=True)
class ConversationRequest:
    """What a caller asks for when starting a conversation."""

    customer: CustomerDetails = field(default_factory=CustomerDetails)
    context: dict[str, ContextVariable] = field(default_factory=dict)
    start_message: StartMessage | None = None
    skip_deflection_bot: bool | None = None


@dataclass(frozen=True, slots=True)
class CreateOutcome:
    """The answer to a create: which conversation, whether it is new, and the start message's id."""

    conversation_id: str
    is_new: bool
    message_id: str | None = None
    contact_match: str | None = None  # a ContactMatch value for a new conversation (plain str: replayable)
    replayed: bool = False  # the stored first answer to a repeated conversationrequestid


@dataclass(frozen=True, slots=True)
class ActiveLock:
    """Marks the one open-or-active conversation of a tenant + customerid. `expires_at_ms` is a lower bound
    of its holder's deadline (messages move the deadline on without touching the lock). It holds no
    customerid: its key is the customer's keyed fingerprint (domain.ids), which is all it needs."""

    conversation_id: str
    expires_at_ms: int

    def is_active(self, now_ms: int) -> bool:
        return now_ms < self.expires_at_ms


def context_json(context: dict[str, ContextVariable]) -> str:
    """The context as stored and as its size limit counts it (CONTEXT_MAX_BYTES, in UTF-8)."""
    return json.dumps(
        {k: {"value": v.value, "isDisplayable": v.is_displayable} for k, v in context.items()},
        ensure_ascii=False,
        separators=(",", ":"),
    )
