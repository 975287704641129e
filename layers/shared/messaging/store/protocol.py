"""The small interface the use cases need from storage, and the values that cross it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from messaging.domain import ActiveLock, Contact, Conversation, Tenant


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
    replaced_lock: ActiveLock | None = None  # an expired lock taken over; its conversation closes (timeout)
    new_contact: Contact | None = None
    email: str | None = None  # normalized, keys of the new contact
    phone: str | None = None


class WriteRejected(Exception):
    """The transaction lost a race. Carries what was found instead, so the next attempt needs no read."""

    def __init__(
        self,
        *,
        already_written: bool = False,
        conflict: bool = False,
        lock_checked: bool = False,
        lock: ActiveLock | None = None,
        email_contact: Contact | None = None,
        phone_contact: Contact | None = None,
    ) -> None:
        super().__init__("transaction cancelled")
        self.already_written = already_written  # our own transaction had landed (a retried success)
        self.conflict = conflict
        self.lock_checked = lock_checked
        self.lock = lock
        self.email_contact = email_contact
        self.phone_contact = phone_contact


class ConversationStore(Protocol):
    def read_for_create(
        self, tenant: Tenant, customerid: str | None, email: str | None, phone: str | None
    ) -> CreateSnapshot: ...

    def insert_conversation(self, new: NewConversation, now_ms: int) -> None: ...
