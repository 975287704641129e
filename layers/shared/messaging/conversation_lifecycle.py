"""Use cases after create: read a conversation, close it (customer), close it on timeout (stream)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Protocol

from messaging.create_conversation import now_ms
from messaging.domain import ClosedConversation, CloseReason, Conversation, ConversationStatus, Tenant
from messaging.errors import ConversationNotFound, StoreBusy
from messaging.store.records import CloseRefused

MAX_ATTEMPTS = 8


class ConversationRecords(Protocol):
    def get(self, tenant: Tenant, conversation_id: str) -> Conversation | None: ...

    def close(
        self, tenant: Tenant, conversation_id: str, now_ms: int, reason: CloseReason, channel_id: str | None
    ) -> None: ...

    def close_timed_out(self, tenant: Tenant, conversation_id: str, now_ms: int) -> bool: ...


class GetConversation:
    def __init__(self, records: ConversationRecords, *, clock: Callable[[], int] = now_ms) -> None:
        self._records = records
        self._clock = clock

    def __call__(self, tenant: Tenant, conversation_id: str) -> Conversation:
        conversation = self._records.get(tenant, conversation_id)
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        # Expired is closed (timeout) at once, whatever TTL and the stream consumer have done yet.
        return conversation.as_seen_at(self._clock())


class CloseConversation:
    def __init__(self, records: ConversationRecords, *, clock: Callable[[], int] = now_ms) -> None:
        self._records = records
        self._clock = clock

    def __call__(self, tenant: Tenant, conversation_id: str, channel_id: str | None) -> ClosedConversation:
        for attempt in range(MAX_ATTEMPTS):
            now = self._clock()
            try:
                self._records.close(tenant, conversation_id, now, CloseReason.CUSTOMER, channel_id)
            except CloseRefused as refused:
                if refused.current is not None:
                    seen = refused.current.as_seen_at(now)
                    if seen.status is ConversationStatus.CLOSED and seen.closed_at_ms and seen.close_reason:
                        # Already ended: retry-safe, the original answer and nothing changed.
                        return ClosedConversation(conversation_id, seen.closed_at_ms, seen.close_reason)
                elif not refused.conflict:
                    raise ConversationNotFound(conversation_id) from None
                time.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311 - jitter after a conflict
                continue
            return ClosedConversation(conversation_id, now, CloseReason.CUSTOMER)
        raise StoreBusy(f"close did not settle after {MAX_ATTEMPTS} attempts")


class ExpireConversation:
    """The stream consumer's use case: TTL removed a lock, so its conversation ends with reason timeout."""

    def __init__(self, records: ConversationRecords, *, clock: Callable[[], int] = now_ms) -> None:
        self._records = records
        self._clock = clock

    def __call__(self, tenant: Tenant, conversation_id: str) -> bool:
        return self._records.close_timed_out(tenant, conversation_id, self._clock())
