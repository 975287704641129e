"""Use cases that only read: a conversation as it stands now, and the lists of conversations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from messaging.domain.conversation import Conversation
from messaging.domain.errors import ConversationNotFound
from messaging.domain.state_machine import Status
from messaging.domain.tenant import Tenant
from messaging.store.protocol import ListedConversation, Page
from messaging.usecases.create import now_ms
from messaging.usecases.paging import ContinuationTokens


class ConversationReader(Protocol):
    def get(self, tenant: Tenant, conversation_id: str) -> Conversation | None: ...


class ConversationLists(Protocol):
    def live(
        self, tenant: Tenant, since_ms: int | None, limit: int, start: dict[str, str] | None
    ) -> Page[ListedConversation]: ...

    def in_status(
        self, tenant: Tenant, status: Status, limit: int, start: dict[str, str] | None
    ) -> Page[ListedConversation]: ...

    def of_representative(
        self, tenant: Tenant, representative_id: str, status: Status, limit: int, start: dict[str, str] | None
    ) -> Page[ListedConversation]: ...

    def tenant_prefix(self, tenant: Tenant) -> str: ...


class GetConversation:
    def __init__(self, reader: ConversationReader, *, clock: Callable[[], int] = now_ms) -> None:
        self._reader = reader
        self._clock = clock

    def __call__(self, tenant: Tenant, conversation_id: str) -> Conversation:
        conversation = self._reader.get(tenant, conversation_id)
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        # Past its deadline it has timed out, at once, whatever the sweeper has stored yet.
        return conversation.as_seen_at(self._clock())


@dataclass(frozen=True, slots=True)
class ListPage:
    conversations: list[ListedConversation]
    continuation_token: str | None


class ListConversations:
    """The consumer's list (open, active, waiting; newest first) and the representative's (one status,
    optionally one representative's; oldest first). Index queries only, one per page."""

    def __init__(
        self, lists: ConversationLists, tokens: ContinuationTokens, *, clock: Callable[[], int] = now_ms
    ) -> None:
        self._lists = lists
        self._tokens = tokens
        self._clock = clock

    def live(self, tenant: Tenant, since_ms: int | None, page_size: int, token: str | None) -> ListPage:
        query = f"live:{since_ms}"
        start = self._tokens.read(tenant, query, token, self._lists.tenant_prefix(tenant))
        page = self._lists.live(tenant, since_ms, page_size, start)
        return ListPage(self._unexpired(page.items), self._tokens.issue(tenant, query, page.next_key))

    def for_representatives(
        self,
        tenant: Tenant,
        status: Status,
        representative_id: str | None,
        page_size: int,
        token: str | None,
    ) -> ListPage:
        query = f"representative:{status.value}:{representative_id}"
        start = self._tokens.read(tenant, query, token, self._lists.tenant_prefix(tenant))
        if representative_id is None:
            page = self._lists.in_status(tenant, status, page_size, start)
        else:
            page = self._lists.of_representative(tenant, representative_id, status, page_size, start)
        return ListPage(self._unexpired(page.items), self._tokens.issue(tenant, query, page.next_key))

    def _unexpired(self, listed: list[ListedConversation]) -> list[ListedConversation]:
        # One past its deadline has timed out (closed) for every reader, before the sweeper stores it.
        now = self._clock()
        return [c for c in listed if c.expires_at_ms is None or now < c.expires_at_ms]
