"""A customer's message to a waiting conversation revives it (waiting → open; nothing else does) and is
recorded once, with the messageId its answer gives. The use cases on moto, on a clock the test moves."""

from __future__ import annotations

import pytest

from messaging.config import settings
from messaging.domain.activity import Activity, Kind, Role, Sender
from messaging.domain.conversation import ConversationRequest, CustomerDetails, Representative, Timeouts
from messaging.domain.ids import ConversationIds
from messaging.domain.state_machine import Event, Status
from messaging.domain.tenant import Tenant
from messaging.usecases.activities import SendActivity
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent
from messaging.usecases.paging import ContinuationTokens
from messaging.usecases.reads import GetConversation, ReadTranscript
from messaging.wiring import conversations

TENANT = Tenant("tenant-a")
MINUTE = 60_000
TIMEOUTS = Timeouts(open_ms=MINUTE, active_ms=2 * MINUTE, waiting_ms=3 * MINUTE, wrapup_ms=4 * MINUTE)
T0 = 1_800_000_000_000
ANA = Representative("rep-1", "Ana")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


def test_a_customer_message_revives_a_waiting_conversation_and_is_recorded_once(
    moto_tables: dict[str, str],
) -> None:
    # Given a customer's conversation a representative accepted and set aside
    clock = Clock()
    store = conversations()
    secret = settings().id_secret
    create = CreateConversation(store, ConversationIds(secret), TIMEOUTS, clock=clock)
    apply = ApplyEvent(store, TIMEOUTS, clock=clock)
    send = SendActivity(store, apply, clock=clock)
    conversation_id = create(
        TENANT, ConversationRequest(CustomerDetails(customerid="jdoe123"))
    ).conversation_id
    for event in (Event.ACCEPT, Event.WAIT):
        clock.now += 1_000
        apply(TENANT, conversation_id, event, actor=ANA)
    # When the customer writes
    clock.now += 1_000
    answer = send(TENANT, conversation_id, Activity(Kind.MESSAGE, Sender(Role.CUSTOMER), "are you there?"))
    # Then it is open again, and the transcript holds the message once, under the answer's messageId
    assert answer.message_id == clock.now
    state = GetConversation(store, clock=clock)(TENANT, conversation_id).state
    assert (state.status, state.representative) == (Status.OPEN, None)
    transcript = ReadTranscript(store, ContinuationTokens(secret))(TENANT, conversation_id, None, 10, None)
    assert [(m.message_id, m.text) for m in transcript.messages] == [(answer.message_id, "are you there?")]


@pytest.mark.parametrize(
    "activity",
    [
        Activity(Kind.TYPING, Sender(Role.CUSTOMER)),
        Activity(Kind.MESSAGE, Sender(Role.REPRESENTATIVE, ANA.id, ANA.name), "back soon"),
        Activity(Kind.TYPING, Sender(Role.REPRESENTATIVE, ANA.id, ANA.name)),
    ],
    ids=["customer typing", "representative message", "representative typing"],
)
def test_only_a_customer_message_revives_a_waiting_conversation(
    moto_tables: dict[str, str], activity: Activity
) -> None:
    # Given a conversation a representative accepted and set aside
    clock = Clock()
    store = conversations()
    create = CreateConversation(store, ConversationIds(settings().id_secret), TIMEOUTS, clock=clock)
    apply = ApplyEvent(store, TIMEOUTS, clock=clock)
    request = ConversationRequest(CustomerDetails(customerid="typist"))
    conversation_id = create(TENANT, request).conversation_id
    for event in (Event.ACCEPT, Event.WAIT):
        clock.now += 1_000
        apply(TENANT, conversation_id, event, actor=ANA)
    # When the customer types, or its representative writes or types
    clock.now += 1_000
    answer = SendActivity(store, apply, clock=clock)(TENANT, conversation_id, activity)
    # Then it is taken as it is, and the conversation stays set aside with its representative
    assert (answer.message_id, answer.revived) == (clock.now, False)
    state = GetConversation(store, clock=clock)(TENANT, conversation_id).state
    assert (state.status, state.representative) == (Status.WAITING, ANA)
