"""How many writes an event takes, on DynamoDB Local: the status its caller saw saves a blind write that
would be refused; and an event keeps its place in a queue of activities as long as an activity does."""

from __future__ import annotations

from typing import Any

import pytest

from messaging.config import settings
from messaging.domain.activity import Activity, Kind, Role, Sender
from messaging.domain.conversation import (
    ConversationRequest,
    ConversationState,
    CustomerDetails,
    Representative,
    Timeouts,
)
from messaging.domain.ids import ConversationIds
from messaging.domain.state_machine import CloseReason, Event, Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.retry import MAX_ATTEMPTS
from messaging.store.client import dynamodb_client
from messaging.store.conversations import DynamoDBConversations
from messaging.store.protocol import Change
from messaging.usecases.activities import SendActivity
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent
from messaging.wiring import conversations

TENANT = Tenant("tenant-a")
MINUTE = 60_000
TIMEOUTS = Timeouts(MINUTE, MINUTE, MINUTE, MINUTE)
ANA = Representative("rep-1", "Ana")


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def _active_conversation(clock: Clock, customerid: str) -> str:
    store = conversations()
    create = CreateConversation(store, ConversationIds(settings().id_secret), TIMEOUTS, clock=clock)
    conversation_id = create(
        TENANT, ConversationRequest(CustomerDetails(customerid=customerid))
    ).conversation_id
    ApplyEvent(store, TIMEOUTS, clock=clock)(TENANT, conversation_id, Event.ACCEPT, actor=ANA)
    return conversation_id


def test_a_timeout_told_the_status_the_sweeper_saw_lands_in_one_write(local_env: dict[str, str]) -> None:
    # Given an active conversation past its deadline (the sweeper's index says it is active)
    clock = Clock(now_ms())
    conversation_id = _active_conversation(clock, "swept")
    clock.now += 2 * MINUTE
    writes: list[str] = []
    client = dynamodb_client()

    def record(model: Any, **_: Any) -> None:
        if model.name in {"UpdateItem", "TransactWriteItems", "PutItem", "DeleteItem"}:
            writes.append(model.name)

    client.meta.events.register("before-call.dynamodb", record)
    try:
        # When its timeout is applied, told the status the sweeper saw
        outcome = ApplyEvent(conversations(), TIMEOUTS, clock=clock)(
            TENANT, conversation_id, Event.TIMEOUT, assumed=Status.ACTIVE
        )
    finally:
        client.meta.events.unregister("before-call.dynamodb", record)
    # Then it is closed by one write: no blind attempt from the likeliest status (open) refused first
    assert (outcome.changed, outcome.status) == (True, Status.CLOSED)
    assert len(writes) == 1, writes


def another_activity_first(
    monkeypatch: pytest.MonkeyPatch, store: DynamoDBConversations, send: SendActivity, times: int
) -> list[Change]:
    """The store, where a customer's message lands right before each of an event's first `times` writes and
    takes the messageId that write wanted: a queue of writers on one conversation, made exact. Returns the
    list of the writes it was given."""
    writes: list[Change] = []
    apply = store.apply

    def after_another_activity(change: Change) -> ConversationState | None:
        writes.append(change)
        if len(writes) <= times:
            message = Activity(Kind.MESSAGE, Sender(Role.CUSTOMER), text=f"queued {len(writes)}")
            send(change.tenant, change.conversation_id, message)
        return apply(change)

    monkeypatch.setattr(store, "apply", after_another_activity)
    return writes


def test_an_event_behind_more_activities_than_the_default_attempts_still_lands(
    local_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an active conversation, and an end whose every write, MAX_ATTEMPTS + 2 times, loses its messageId
    # to a customer's message landing just before it
    clock = Clock(now_ms())
    conversation_id = _active_conversation(clock, "queued")
    store = conversations()
    send = SendActivity(conversations(), ApplyEvent(conversations(), TIMEOUTS, clock=clock), clock=clock)
    writes = another_activity_first(monkeypatch, store, send, MAX_ATTEMPTS + 2)
    # When the representative ends it
    outcome = ApplyEvent(store, TIMEOUTS, clock=clock)(TENANT, conversation_id, Event.END, actor=ANA)
    # Then it still lands, after every one of those messages (an event waits its turn as long as an activity)
    assert (outcome.changed, outcome.status) == (True, Status.WRAPUP)
    assert len(writes) == MAX_ATTEMPTS + 3
    assert outcome.message_id > max(change.message_id for change in writes[:-1])


def test_a_resume_taking_over_an_expired_lock_in_the_millisecond_of_a_typing_still_lands(
    local_env: dict[str, str],
) -> None:
    # Given a waiting conversation whose customer started another one, since past its deadline (its lock
    # expired, not yet swept), and a typing activity of that customer to the waiting one in the very
    # millisecond the representative resumes it
    clock = Clock(now_ms())
    store = conversations()
    apply = ApplyEvent(store, Timeouts(MINUTE, MINUTE, 60 * MINUTE, MINUTE), clock=clock)  # a long wait
    waiting = _active_conversation(clock, "resumed")
    apply(TENANT, waiting, Event.WAIT, actor=ANA)
    create = CreateConversation(store, ConversationIds(settings().id_secret), TIMEOUTS, clock=clock)
    holder = create(TENANT, ConversationRequest(CustomerDetails(customerid="resumed"))).conversation_id
    clock.now += 2 * MINUTE
    typing = Activity(Kind.TYPING, Sender(Role.CUSTOMER))
    typed = SendActivity(conversations(), apply, clock=clock)(TENANT, waiting, typing)
    # When the representative resumes it: the blind write loses its messageId to the typing, the next one
    # finds the customerid taken by the expired holder, the third takes it over
    outcome = apply(TENANT, waiting, Event.RESUME, actor=ANA)
    # Then it is active again, after the typing, and the holder is closed by its timeout
    assert (outcome.changed, outcome.status) == (True, Status.ACTIVE)
    assert outcome.message_id > typed.message_id
    swept = store.get(TENANT, holder)
    assert swept is not None
    assert (swept.state.status, swept.state.close_reason) == (Status.CLOSED, CloseReason.TIMEOUT)
