"""Activities: what the customer (through the consumer side) and the representative say in a conversation.

A message is stored in the transcript; typing is not; a custom event updates context variables. Every
activity gets a messageId, strictly increasing within its conversation. The representative's messages and
typing are delivered to the business's webhook; the customer's are not (the business sent them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from messaging.domain.conversation import ContextVariable


class Role(StrEnum):
    CUSTOMER = "customer"
    REPRESENTATIVE = "representative"


class Kind(StrEnum):
    MESSAGE = "message"
    TYPING = "typing"
    EVENT = "event"


@dataclass(frozen=True, slots=True)
class Sender:
    """Who an activity is from: the customer, or a representative (id and name)."""

    role: Role
    id: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file in a message: its content type, its https or data: URL, its name."""

    content_type: str
    content_url: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Activity:
    """A message, typing or custom event in a conversation, as the domain sees it."""

    kind: Kind
    sender: Sender
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    event_name: str | None = None
    context: dict[str, ContextVariable] = field(default_factory=dict)  # a custom event's updates

    @property
    def delivered(self) -> bool:
        """Passed on to the business's webhook (through the conversation's outbox)."""
        return self.sender.role is Role.REPRESENTATIVE and self.kind in (Kind.MESSAGE, Kind.TYPING)


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message of the transcript."""

    message_id: int
    sender: Sender
    text: str | None
    attachments: tuple[Attachment, ...]
