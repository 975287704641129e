"""Deadlines, the customer's lock and activity ids on moto, the use cases on a clock the test moves: the
edges (1 ms before, exactly at the deadline) that DynamoDB Local's integration tests also cover, here in the
unit suite so that a fast run (and a mutant) meets them. Single-threaded: moto is not safe under threads."""

from __future__ import annotations

from messaging.config import settings
from messaging.domain.conversation import (
    ConversationRequest,
    CustomerDetails,
    Representative,
    StartMessage,
    Timeouts,
)
from messaging.domain.ids import ConversationIds
from messaging.domain.state_machine import CloseReason, Event, Status
from messaging.domain.tenant import Tenant
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent
from messaging.usecases.reads import GetConversation
from messaging.wiring import conversations

TENANT = Tenant("tenant-a")
MINUTE = 60_000
# Each state its own length, so that a deadline counted from the wrong state's timeout shows.
TIMEOUTS = Timeouts(open_ms=MINUTE, active_ms=2 * MINUTE, waiting_ms=3 * MINUTE, wrapup_ms=4 * MINUTE)
T0 = 1_800_000_000_000
REP = Representative("rep-1", "Ana")


class Clock:
    """A time source the test moves."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class World:
    """The use cases on one clock, over the moto tables the environment names."""

    def __init__(self) -> None:
        store = conversations()
        self.clock = Clock()
        ids = ConversationIds(settings().id_secret)
        self.create = CreateConversation(store, ids, TIMEOUTS, clock=self.clock)
        self.apply = ApplyEvent(store, TIMEOUTS, clock=self.clock)
        self.get = GetConversation(store, clock=self.clock)

    def start(self, customerid: str = "c1", message: str | None = None) -> str:
        request = ConversationRequest(
            CustomerDetails(customerid=customerid),
            start_message=StartMessage(message) if message is not None else None,
        )
        outcome = self.create(TENANT, request)
        assert outcome.is_new
        return outcome.conversation_id

    def again(self, customerid: str = "c1") -> tuple[str, bool]:
        outcome = self.create(TENANT, ConversationRequest(CustomerDetails(customerid=customerid)))
        return outcome.conversation_id, outcome.is_new

    def stored(self, conversation_id: str) -> tuple[Status, CloseReason | None, int | None]:
        conversation = conversations().get(TENANT, conversation_id)
        assert conversation is not None
        state = conversation.state
        return state.status, state.close_reason, state.closed_at_ms


def test_a_read_is_open_until_the_deadline_and_timed_out_exactly_at_it(moto_tables: dict[str, str]) -> None:
    # Given an open conversation with a one-minute timeout
    world = World()
    conversation_id = world.start()
    # When it is read 1 ms before its deadline, and exactly at it
    world.clock.now = T0 + MINUTE - 1
    before = world.get(TENANT, conversation_id).state
    world.clock.now = T0 + MINUTE
    at = world.get(TENANT, conversation_id).state
    # Then it is open before, and closed by its timeout at the deadline
    assert before.status is Status.OPEN
    assert (at.status, at.close_reason, at.closed_at_ms) == (Status.CLOSED, CloseReason.TIMEOUT, T0 + MINUTE)


def test_the_customers_lock_holds_until_the_deadline_and_is_free_exactly_at_it(
    moto_tables: dict[str, str],
) -> None:
    # Given an open conversation for c1 with a one-minute timeout (it holds c1's lock until then)
    world = World()
    first = world.start()
    # When c1 comes back 1 ms before the deadline, and exactly at it
    world.clock.now = T0 + MINUTE - 1
    before = world.again()
    world.clock.now = T0 + MINUTE
    at_id, at_is_new = world.again()
    # Then before, it is the same conversation; at the deadline a new one starts and the old one is stored
    # closed by its timeout, at its deadline
    assert before == (first, False)
    assert at_is_new and at_id != first
    assert world.stored(first) == (Status.CLOSED, CloseReason.TIMEOUT, T0 + MINUTE)


def test_closing_a_conversation_frees_the_customers_lock(moto_tables: dict[str, str]) -> None:
    # Given an open conversation for c1, long before its deadline
    world = World()
    first = world.start()
    # When the customer ends it, and comes back a second later
    world.clock.now = T0 + 1_000
    world.apply(TENANT, first, Event.END_OF_CONVERSATION)
    world.clock.now = T0 + 2_000
    second, is_new = world.again()
    # Then a new conversation starts: the closed one no longer holds the customerid
    assert is_new and second != first
    assert world.stored(first) == (Status.CLOSED, CloseReason.CUSTOMER, T0 + 1_000)


def test_a_close_is_accepted_until_the_deadline_and_not_at_it(moto_tables: dict[str, str]) -> None:
    # Given two open conversations with the same one-minute deadline
    world = World()
    early, late = world.start("c1"), world.start("c2")
    # When the customer of one ends it 1 ms before the deadline, and the other's exactly at it
    world.clock.now = T0 + MINUTE - 1
    ended_early = world.apply(TENANT, early, Event.END_OF_CONVERSATION)
    world.clock.now = T0 + MINUTE
    ended_late = world.apply(TENANT, late, Event.END_OF_CONVERSATION)
    # Then the first is closed by its customer; the second had already timed out: nothing changed, the
    # answer is its timeout, and storage holds no customer close (the sweeper stores the timeout later)
    assert (ended_early.changed, ended_early.close_reason) == (True, CloseReason.CUSTOMER)
    assert world.stored(early) == (Status.CLOSED, CloseReason.CUSTOMER, T0 + MINUTE - 1)
    assert (ended_late.changed, ended_late.status, ended_late.close_reason) == (
        False,
        Status.CLOSED,
        CloseReason.TIMEOUT,
    )
    assert world.stored(late) == (Status.OPEN, None, None)


def test_a_stale_timeout_after_the_deadline_leaves_a_customers_close_alone(
    moto_tables: dict[str, str],
) -> None:
    # Given a conversation the customer closed before its deadline (its stored deadline stays on the item)
    world = World()
    conversation_id = world.start()
    world.clock.now = T0 + 1_000
    world.apply(TENANT, conversation_id, Event.END_OF_CONVERSATION)
    # When, after the deadline, a timeout arrives that still believes it open (a sweeper's stale page):
    # the deadline clause alone would let it through, only the status check refuses it
    world.clock.now = T0 + MINUTE + 1
    outcome = world.apply(TENANT, conversation_id, Event.TIMEOUT, assumed=Status.OPEN)
    # Then nothing changes: it stays closed by the customer, when the customer closed it
    assert (outcome.changed, outcome.status, outcome.close_reason) == (
        False,
        Status.CLOSED,
        CloseReason.CUSTOMER,
    )
    assert world.stored(conversation_id) == (Status.CLOSED, CloseReason.CUSTOMER, T0 + 1_000)


def test_each_state_s_deadline_is_its_entry_plus_that_state_s_timeout(moto_tables: dict[str, str]) -> None:
    # Given a conversation created at T0
    world = World()
    conversation_id = world.start()
    created = world.get(TENANT, conversation_id).state
    # When a representative accepts it 5 s later, sets it aside 5 s after that, and ends it (resumed) later
    world.clock.now = T0 + 5_000
    accepted = world.apply(TENANT, conversation_id, Event.ACCEPT, actor=REP)
    world.clock.now = T0 + 10_000
    waiting = world.apply(TENANT, conversation_id, Event.WAIT, actor=REP)
    world.clock.now = T0 + 15_000
    world.apply(TENANT, conversation_id, Event.RESUME, actor=REP)
    world.clock.now = T0 + 20_000
    ended = world.apply(TENANT, conversation_id, Event.END, actor=REP)
    # Then each deadline counts that state's own timeout from the moment it was entered, in the answers and
    # in what a read shows
    assert (created.created_at_ms, created.expires_at_ms) == (T0, T0 + TIMEOUTS.open_ms)
    assert accepted.expires_at_ms == T0 + 5_000 + TIMEOUTS.active_ms
    assert waiting.expires_at_ms == T0 + 10_000 + TIMEOUTS.waiting_ms
    assert ended.expires_at_ms == T0 + 20_000 + TIMEOUTS.wrapup_ms
    read = world.get(TENANT, conversation_id).state
    assert (read.status, read.entered_at_ms, read.expires_at_ms) == (
        Status.WRAPUP,
        T0 + 20_000,
        T0 + 20_000 + TIMEOUTS.wrapup_ms,
    )


def test_a_start_message_and_a_close_in_the_same_millisecond_get_increasing_ids(
    moto_tables: dict[str, str],
) -> None:
    # Given a clock that does not move, and a conversation created with a start message at that millisecond
    world = World()
    conversation_id = world.start(message="hi")
    stored = conversations().get(TENANT, conversation_id)
    assert stored is not None and stored.details.start_message_id is not None
    start_id = int(stored.details.start_message_id)
    # When the customer ends it in that same millisecond
    ended = world.apply(TENANT, conversation_id, Event.END_OF_CONVERSATION)
    # Then the close's id comes strictly after the start message's
    assert start_id == T0
    assert ended.message_id > start_id
