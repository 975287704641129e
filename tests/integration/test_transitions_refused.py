"""What the store answers to a transition (messaging/store/protocol.py, ConversationStore.apply), on DynamoDB
Local where its conditions hold for real: the new state when one UpdateItem settled it; else a refusal that
carries what the use case needs to answer without reading again: the state as it stands (the status was not
the one assumed), that there is no such conversation, or the lock that another conversation of the customer
holds."""

from __future__ import annotations

import pytest

from messaging.domain.conversation import ActiveLock, ConversationState, Representative
from messaging.domain.state_machine import Event, Status, Transition, transition
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store.conversations import DynamoDBConversations
from messaging.store.protocol import Change, ChangeRefused
from messaging.wiring import conversations
from tests.api import InProcessApi

TENANT = Tenant("tenant-a")
REP = Representative("rep-1", "Rep-1")
MINUTE = 60_000


def _state(store: DynamoDBConversations, conversation_id: str) -> ConversationState:
    conversation = store.get(TENANT, conversation_id)
    assert conversation is not None
    return conversation.state


def _change(conversation_id: str, source: Status, event: Event, last_message_id: int = 0) -> Change:
    step = transition(source, event)
    assert isinstance(step, Transition)
    now = max(now_ms(), last_message_id + 1)
    deadline = None if step.target is Status.CLOSED else now + MINUTE
    return Change(TENANT, conversation_id, step, now, now, deadline, actor=REP)


def _refusal(store: DynamoDBConversations, change: Change) -> ChangeRefused:
    with pytest.raises(ChangeRefused) as raised:
        store.apply(change)
    return raised.value


def _fields(refused: ChangeRefused) -> dict[str, object]:
    names = ("current", "missing", "conflict", "lock", "holder")
    return {name: getattr(refused, name) for name in names}


def test_a_transition_that_leaves_the_lock_alone_answers_the_new_state(local_env: dict[str, str]) -> None:
    # Given an open conversation without a customerid (no lock to change)
    conversation_id = InProcessApi().start(None)
    store = conversations()
    before = _state(store, conversation_id)
    # When a representative accepts it
    change = _change(conversation_id, Status.OPEN, Event.ACCEPT, before.last_message_id)
    answered = store.apply(change)
    # Then the store answers the state as stored now: active, the representative's, from now on
    assert answered is not None
    assert answered == _state(store, conversation_id)
    assert (answered.status, answered.representative, answered.entered_at_ms) == (
        Status.ACTIVE,
        REP,
        change.now_ms,
    )


@pytest.mark.parametrize("customerid", [None, "c1"], ids=["one update", "with its lock, a transaction"])
def test_a_transition_from_a_status_the_conversation_is_not_in_is_refused_with_the_state_as_it_stands(
    local_env: dict[str, str], customerid: str | None
) -> None:
    # Given a conversation a representative accepted (it holds its customer's lock when it has a customerid)
    api = InProcessApi()
    conversation_id = api.start(customerid)
    assert api.event(conversation_id, "accept").status == 200
    store = conversations()
    stored = _state(store, conversation_id)
    # When a customer's end is written for it as if it were still open
    change = _change(conversation_id, Status.OPEN, Event.END_OF_CONVERSATION, stored.last_message_id)
    refused = _refusal(store, change)
    # Then the refusal carries the stored state, and nothing changed
    expected = {"current": stored, "missing": False, "conflict": False, "lock": None, "holder": None}
    assert _fields(refused) == expected
    assert _state(store, conversation_id) == stored


@pytest.mark.parametrize("customerid", [None, "c1"], ids=["one update", "with its lock, a transaction"])
def test_a_transition_of_an_unknown_conversation_is_refused_as_missing(
    local_env: dict[str, str], customerid: str | None
) -> None:
    # Given a conversation id nobody created (of a customer's fingerprint, or not)
    api = InProcessApi()
    known = api.start(customerid)
    assert api.end(known).status == 200  # its lock is free again: only the state can refuse
    unknown = known[:-12] + ("0" * 12 if known[-12:] != "0" * 12 else "1" * 12)
    store = conversations()
    assert store.get(TENANT, unknown) is None
    # When a representative's close is written for it
    refused = _refusal(store, _change(unknown, Status.OPEN, Event.CLOSE))
    # Then it is refused as missing
    expected = {"current": None, "missing": True, "conflict": False, "lock": None, "holder": None}
    assert _fields(refused) == expected


def test_resuming_a_conversation_whose_customer_moved_on_is_refused_with_the_lock_of_the_other(
    local_env: dict[str, str],
) -> None:
    # Given a waiting conversation of customer c1, and a newer open one of c1 holding the customer's lock
    api = InProcessApi()
    waiting = api.start("c1")
    assert api.event(waiting, "accept").status == 200
    assert api.event(waiting, "wait").status == 200
    newer = api.start("c1")
    store = conversations()
    newer_state, waiting_state = _state(store, newer), _state(store, waiting)
    assert newer_state.expires_at_ms is not None
    # When the representative's resume of the waiting one is written
    refused = _refusal(store, _change(waiting, Status.WAITING, Event.RESUME, waiting_state.last_message_id))
    # Then the lock refused it, naming the newer conversation and its deadline; nothing changed
    expected = {
        "current": None,
        "missing": False,
        "conflict": False,
        "lock": ActiveLock(newer, newer_state.expires_at_ms),
        "holder": None,
    }
    assert _fields(refused) == expected
    assert _state(store, waiting) == waiting_state
