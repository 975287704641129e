"""Use cases that only read: a conversation as it stands now, and the lists of conversations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from messaging.domain.activity import StoredMessage
from messaging.domain.conversation import ContextVariable, Conversation, ConversationDetails
from messaging.domain.errors import ConversationNotFound
from messaging.domain.state_machine import Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store import keys
from messaging.store.protocol import ListedConversation, Page, Transcript
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
    """A page of the conversation list and the continuation token of the next."""

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


class TranscriptStore(Protocol):
    def transcript(
        self,
        tenant: Tenant,
        conversation_id: str,
        since_ms: int | None,
        limit: int,
        start: dict[str, str] | None,
    ) -> Transcript: ...

    def exists(self, tenant: Tenant, conversation_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class TranscriptPage:
    """A page of the transcript and the continuation token of the next."""

    messages: list[StoredMessage]
    continuation_token: str | None


class ReadTranscript:
    """The transcript, oldest first (messageId order), a page at a time: readable while the conversation
    lives and after it ends, until it is purged."""

    def __init__(self, store: TranscriptStore, tokens: ContinuationTokens) -> None:
        self._store = store
        self._tokens = tokens

    def __call__(
        self, tenant: Tenant, conversation_id: str, since_ms: int | None, page_size: int, token: str | None
    ) -> TranscriptPage:
        query = f"transcript:{conversation_id}:{since_ms}"
        start = self._tokens.read(tenant, query, token, keys.tenant_prefix(tenant) + "#")
        page = self._store.transcript(tenant, conversation_id, since_ms, page_size, start)
        unknown = page.exists is False or (
            page.exists is None and start is None and not self._store.exists(tenant, conversation_id)
        )
        if unknown:
            raise ConversationNotFound(conversation_id)
        return TranscriptPage(page.messages, self._tokens.issue(tenant, query, page.next_key))


class DetailsReader(Protocol):
    def details(self, tenant: Tenant, conversation_id: str) -> tuple[ConversationDetails, int] | None: ...


class GetContext:
    def __init__(self, reader: DetailsReader) -> None:
        self._reader = reader

    def __call__(self, tenant: Tenant, conversation_id: str) -> dict[str, ContextVariable]:
        found = self._reader.details(tenant, conversation_id)
        if found is None:
            raise ConversationNotFound(conversation_id)
        return found[0].context
