"""The small interfaces the use cases need from storage, the values that cross them, and their refusals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from messaging.domain.activity import Kind, StoredMessage
from messaging.domain.contact import Contact
from messaging.domain.conversation import ActiveLock, Conversation, ConversationState, Representative
from messaging.domain.state_machine import Status, Transition
from messaging.domain.tenant import Tenant


@dataclass(frozen=True, slots=True)
class Change:
    """One transition of one conversation, as the use case decided it."""

    tenant: Tenant
    conversation_id: str
    transition: Transition
    now_ms: int
    message_id: int  # the event's activity id: greater than every id the conversation gave so far
    deadline_ms: int | None  # the target status's deadline (None: closed)
    actor: Representative | None = None
    channel_id: str | None = None
    replaced_lock: ActiveLock | None = None  # TAKE over this lock: its holder is past its deadline
    message: StoredMessage | None = None  # a customer's message that revives a waiting conversation


@dataclass(frozen=True, slots=True)
class ActivityWrite:
    """One activity of one conversation, as the use case decided it."""

    tenant: Tenant
    conversation_id: str
    kind: Kind
    now_ms: int
    message_id: int
    accepted_in: frozenset[Status]  # the statuses in which the conversation takes it
    message: StoredMessage | None = None  # stored in the transcript (and the deadline moves on)
    delivered: bool = False  # left in the outbox for the business's webhook


@dataclass(frozen=True, slots=True)
class CreateSnapshot:
    """What a create knows of the current state (empty when it writes without reading first)."""

    lock: ActiveLock | None = None
    email_contact: Contact | None = None
    phone_contact: Contact | None = None


@dataclass(frozen=True, slots=True)
class NewConversation:
    """Everything one create writes, in one transaction."""

    conversation: Conversation
    fingerprint: str | None = None  # the customer's (keys the active lock); None without a customerid
    replaced_lock: ActiveLock | None = None  # a lock whose holder is past its deadline: closed (timeout)
    new_contact: Contact | None = None
    email: str | None = None  # normalized, keys of the new contact
    phone: str | None = None


class WriteRejected(Exception):
    """The create's transaction lost a race. Carries what was found instead, so the next attempt needs no
    read."""

    def __init__(
        self,
        *,
        already_written: bool,
        conflict: bool,
        lock_checked: bool,
        lock: ActiveLock | None,
        holder: ConversationState | None,
        email_contact: Contact | None,
        phone_contact: Contact | None,
    ) -> None:
        # No defaults: the one refusal there is (store/conversations.py) tells every field.
        super().__init__("transaction cancelled")
        self.already_written = already_written  # our own transaction had landed (a retried success)
        self.conflict = conflict
        self.lock_checked = lock_checked
        self.lock = lock
        self.holder = holder  # the replaced lock's holder, when it turned out not to be past its deadline
        self.email_contact = email_contact
        self.phone_contact = phone_contact


class ChangeRefused(Exception):
    """A transition's transaction was cancelled. Either the state was not as assumed (`current` is the
    stored state; `missing`: there is no such conversation), or it was and the customer's lock is another's:
    `lock` is that lock, `holder` its holder's state when that turned out not to be past its deadline. Or
    another transaction was in the way (`conflict`)."""

    def __init__(
        self,
        current: ConversationState | None = None,
        *,
        missing: bool = False,
        conflict: bool = False,
        lock: ActiveLock | None = None,
        holder: ConversationState | None = None,
    ) -> None:
        super().__init__("change refused")
        self.current = current
        self.missing = missing
        self.conflict = conflict
        self.lock = lock
        self.holder = holder


@dataclass(frozen=True, slots=True)
class ListedConversation:
    """A conversation as an index lists it."""

    conversation_id: str
    status: Status
    created_at_ms: int
    entered_at_ms: int
    expires_at_ms: int | None
    representative_id: str | None = None


@dataclass(frozen=True, slots=True)
class DueConversation:
    """A conversation the due index says may be past its deadline (its `dueAt` is a lower bound)."""

    tenant: Tenant
    conversation_id: str
    status: Status
    due_at_ms: int


@dataclass(frozen=True, slots=True)
class Transcript:
    """A page of a conversation's messages as stored, the key to go on from, and whether it exists."""

    messages: list[StoredMessage]
    next_key: dict[str, str] | None
    exists: bool | None  # None: not known from this page alone (a later page, or one from a given time)


@dataclass(frozen=True, slots=True)
class Page[T]:
    """A page of items as stored, and the key to go on from."""

    items: list[T]
    next_key: (
        dict[str, Any] | None
    )  # where the next page starts (DynamoDB's LastEvaluatedKey); None: the last


class ConversationStore(Protocol):
    def read_for_create(
        self, tenant: Tenant, fingerprint: str | None, email: str | None, phone: str | None
    ) -> CreateSnapshot: ...

    def insert_conversation(self, new: NewConversation, now_ms: int) -> None: ...

    def get(self, tenant: Tenant, conversation_id: str) -> Conversation | None: ...

    def apply(self, change: Change) -> ConversationState | None:
        """The transition, or ChangeRefused; returns the new state when the store could read it back."""
        ...
