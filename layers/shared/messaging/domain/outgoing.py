"""What the business's webhook receives: one outgoing activity per emitted event of a conversation.

A conversation's state change, or its representative's message or typing, leaves an outbox entry on the
conversation's state in the same write (so nothing is lost if a process dies after the write): the stream
carries it to a FIFO queue (one message group per conversation: in order), and delivery posts it.
"""

from __future__ import annotations

from dataclasses import dataclass

from messaging.domain.tenant import Tenant


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a state change or a representative's activity must deliver to the webhook (the outbox)."""

    tenant: Tenant
    conversation_id: str
    message_id: int  # the activity's id within the conversation: its order, and (with the id) its webhook-id
    kind: str  # event | message | typing
    at_ms: int
    name: str | None = None  # the event's name (ConversationAccepted …)
    status: str | None = None  # the conversation's status after the event
    representative_id: str | None = None
    representative_name: str | None = None

    @property
    def webhook_id(self) -> str:
        """Stable across retries and redeliveries: receivers deduplicate on it."""
        return f"{self.conversation_id}-{self.message_id}"

    @property
    def group(self) -> str:
        return self.conversation_id
