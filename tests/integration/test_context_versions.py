"""A custom event changes the conversation's context only if nobody changed it since it was read (optimistic
versioning of the details item, CONTRACT.md: concurrent custom events all land): on DynamoDB Local, where
the transaction's conditions hold for real. Each write here is the store's own, in the order a race would
interleave them, so the outcome does not depend on timing."""

from __future__ import annotations

import pytest

from messaging.domain.activity import Kind
from messaging.domain.conversation import ContextVariable
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store.conversations import DynamoDBConversations
from messaging.store.protocol import ActivityWrite, ChangeRefused
from messaging.usecases.activities import TAKES_ACTIVITIES
from messaging.wiring import conversations
from tests.api import InProcessApi

TENANT = Tenant("tenant-a")


def _write(store: DynamoDBConversations, conversation_id: str) -> ActivityWrite:
    """The next custom event's write: a messageId after every one the conversation gave."""
    conversation = store.get(TENANT, conversation_id)
    assert conversation is not None
    message_id = max(now_ms(), conversation.state.last_message_id + 1)
    return ActivityWrite(TENANT, conversation_id, Kind.EVENT, message_id, message_id, TAKES_ACTIVITIES)


def _version(store: DynamoDBConversations, conversation_id: str) -> tuple[dict[str, ContextVariable], int]:
    found = store.details(TENANT, conversation_id)
    assert found is not None
    return found[0].context, found[1]


@pytest.mark.parametrize("events_before", [0, 1, 2])
def test_a_context_written_on_a_version_another_event_moved_on_is_refused_as_a_conflict(
    local_env: dict[str, str], events_before: int
) -> None:
    # Given a conversation whose context custom events changed `events_before` times
    conversation_id = InProcessApi().start(None)
    store = conversations()
    for index in range(events_before):
        _, version = _version(store, conversation_id)
        store.record_context(_write(store, conversation_id), {"n": ContextVariable(index)}, version)
    context, version = _version(store, conversation_id)
    assert version == events_before
    # When two events read that version, and the first writes its context
    first = {**context, "a": ContextVariable("first")}
    store.record_context(_write(store, conversation_id), first, version)
    # Then the second, written on the version it read, is refused as a conflict (read and merge again)
    with pytest.raises(ChangeRefused) as refused:
        store.record_context(_write(store, conversation_id), {**context, "b": ContextVariable(2)}, version)
    assert (refused.value.conflict, refused.value.current, refused.value.missing) == (True, None, False)
    # And the first's context stands, one version on
    assert _version(store, conversation_id) == (first, version + 1)
