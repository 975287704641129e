"""What an event's answer says (ApplyEvent's EventOutcome), whole, for each transition of a customer's
conversation: status, whether it changed, the event's messageId, the representative, who ended it, when and
why it closed, and the new deadline. Transitions that take or free the customer's lock are transactions that
return nothing, so their answer is settled from the transition itself; the others return the stored state.
Both must say the same thing. On moto, on a clock the test moves."""

from __future__ import annotations

from dataclasses import replace

import pytest

from messaging.config import settings
from messaging.domain.conversation import (
    ActiveLock,
    ConversationRequest,
    CustomerDetails,
    Representative,
    Timeouts,
)
from messaging.domain.errors import InvalidTransition
from messaging.domain.ids import ConversationIds, lock_fingerprint
from messaging.domain.state_machine import HOLDS_CUSTOMER, CloseReason, EndedBy, Event, Status
from messaging.domain.tenant import Tenant
from messaging.store import items, keys
from messaging.store.client import dynamodb_client
from messaging.store.items import purge_time, s
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent, EventOutcome
from messaging.wiring import conversations

TENANT = Tenant("tenant-a")
MINUTE = 60_000
TIMEOUTS = Timeouts(open_ms=MINUTE, active_ms=2 * MINUTE, waiting_ms=3 * MINUTE, wrapup_ms=4 * MINUTE)
DEADLINE = {
    Status.OPEN: TIMEOUTS.open_ms,
    Status.ACTIVE: TIMEOUTS.active_ms,
    Status.WAITING: TIMEOUTS.waiting_ms,
    Status.WRAPUP: TIMEOUTS.wrapup_ms,
}
T0 = 1_800_000_000_000
STEP = 1_000
ANA = Representative("rep-1", "Ana")
BO = Representative("rep-2", "Bo")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


def walk(
    steps: list[tuple[Event, Representative | None]],
) -> tuple[list[EventOutcome], ApplyEvent, str, Clock]:
    """A customer's conversation created at T0, then each event one second after the last."""
    clock = Clock()
    store = conversations()
    create = CreateConversation(store, ConversationIds(settings().id_secret), TIMEOUTS, clock=clock)
    conversation_id = create(
        TENANT, ConversationRequest(CustomerDetails(customerid="jdoe123"))
    ).conversation_id
    apply = ApplyEvent(store, TIMEOUTS, clock=clock)
    outcomes = []
    for event, actor in steps:
        clock.now += STEP
        outcomes.append(apply(TENANT, conversation_id, event, actor=actor))
    return outcomes, apply, conversation_id, clock


def answered(outcome: EventOutcome) -> EventOutcome:
    """The outcome as anyone reads it: a closed conversation has no deadline (a stored one may keep its
    last; the answer's document has no expiresAt, and the sweeper refiles only live ones)."""
    return replace(outcome, expires_at_ms=None) if outcome.status is Status.CLOSED else outcome


def expected(
    conversation_id: str,
    status: Status,
    at: int,
    representative: Representative | None,
    ended_by: EndedBy | None = None,
    close_reason: CloseReason | None = None,
) -> EventOutcome:
    """The contract's answer to an event that changed the conversation at `at`."""
    closed = status is Status.CLOSED
    return EventOutcome(
        conversation_id,
        status,
        changed=True,
        message_id=at,
        representative=representative,
        ended_by=ended_by,
        closed_at_ms=at if closed else None,
        close_reason=close_reason,
        expires_at_ms=None if closed else at + DEADLINE[status],
    )


A, R, W, RS, E, C, EOC = (
    Event.ACCEPT,
    Event.RELEASE,
    Event.WAIT,
    Event.RESUME,
    Event.END,
    Event.CLOSE,
    Event.END_OF_CONVERSATION,
)
OP, AC, WT, WU, CL = Status.OPEN, Status.ACTIVE, Status.WAITING, Status.WRAPUP, Status.CLOSED
REP, CUST, TIMEOUT = CloseReason.REPRESENTATIVE, CloseReason.CUSTOMER, CloseReason.TIMEOUT


# (event, actor) per step; per step: (status, representative, endedBy, closeReason)
JOURNEYS = {
    "accept release": ([(A, ANA), (R, ANA)], [(AC, ANA, None, None), (OP, None, None, None)]),
    "accept wait resume": (
        [(A, ANA), (W, ANA), (RS, ANA)],
        [(AC, ANA, None, None), (WT, ANA, None, None), (AC, ANA, None, None)],
    ),
    "accept end close": (
        [(A, ANA), (E, ANA), (C, ANA)],
        [(AC, ANA, None, None), (WU, ANA, "r", None), (CL, ANA, "r", REP)],
    ),
    "accept wait end": (
        [(A, ANA), (W, ANA), (E, ANA)],
        [(AC, ANA, None, None), (WT, ANA, None, None), (WU, ANA, "r", None)],
    ),
    "accept endOfConversation": ([(A, ANA), (EOC, None)], [(AC, ANA, None, None), (WU, ANA, "c", None)]),
    "accept endOfConversation close": (
        [(A, ANA), (EOC, None), (C, BO)],
        [(AC, ANA, None, None), (WU, ANA, "c", None), (CL, ANA, "c", CUST)],
    ),
    "endOfConversation open": ([(EOC, None)], [(CL, None, None, CUST)]),
    "endOfConversation waiting": (
        [(A, ANA), (W, ANA), (EOC, None)],
        [(AC, ANA, None, None), (WT, ANA, None, None), (CL, ANA, None, CUST)],
    ),
    "close open": ([(C, ANA)], [(CL, None, None, REP)]),
    "close active": ([(A, ANA), (C, BO)], [(AC, ANA, None, None), (CL, ANA, None, REP)]),  # still Ana's
    "close waiting": (
        [(A, ANA), (W, ANA), (C, BO)],
        [(AC, ANA, None, None), (WT, ANA, None, None), (CL, ANA, None, REP)],
    ),
}


@pytest.mark.parametrize(("steps", "answers"), JOURNEYS.values(), ids=JOURNEYS.keys())
def test_each_event_s_answer_is_what_its_transition_settles(
    moto_tables: dict[str, str],
    steps: list[tuple[Event, Representative | None]],
    answers: list[tuple[Status, Representative | None, str | None, CloseReason | None]],
) -> None:
    outcomes, _, conversation_id, _ = walk(steps)
    enders = {None: None, "r": EndedBy.REPRESENTATIVE, "c": EndedBy.CUSTOMER}
    assert [answered(outcome) for outcome in outcomes] == [
        expected(conversation_id, status, T0 + STEP * (n + 1), rep, enders[ender], reason)
        for n, (status, rep, ender, reason) in enumerate(answers)
    ]


@pytest.mark.parametrize("steps", [steps for steps, _ in JOURNEYS.values()], ids=JOURNEYS.keys())
def test_after_each_event_storage_holds_the_state_it_answered_laid_out_as_that_state(
    moto_tables: dict[str, str], steps: list[tuple[Event, Representative | None]]
) -> None:
    # Given a customer's conversation, and the events of a journey through the state table
    _, apply, conversation_id, clock = walk([])
    key = {"pk": s(keys.conversation_key(TENANT, conversation_id)), "sk": s(keys.STATE)}
    fingerprint = lock_fingerprint(conversation_id)
    assert fingerprint is not None
    lock_key = {"pk": s(keys.active_lock_key(TENANT, fingerprint)), "sk": s(keys.LOCK)}
    for event, actor in steps:
        clock.now += STEP
        # When each event is applied
        outcome = answered(apply(TENANT, conversation_id, event, actor=actor))
        # Then the stored state is the one answered, entered at the event's time
        item = dynamodb_client().get_item(TableName=moto_tables["ConversationsTable"], Key=key)["Item"]
        state = items.state_from_item(item)
        stored = answered(EventOutcome.of(state, changed=True, message_id=state.last_message_id))
        assert (stored, state.entered_at_ms) == (outcome, clock.now)
        # And it carries exactly the index keys and the timeout its state calls for: a live state as a
        # create lays it out; a closed one leaves every index and its timeout (keeping its last expiresAt)
        # and holds its purge time
        laid_out = {name: value for name, value in item.items() if name != "outbox"}
        if state.status is Status.CLOSED:
            assert state.closed_at_ms is not None
            del laid_out["expiresAt"]
            purge_at = purge_time(state.closed_at_ms, settings().retention_seconds)
            assert laid_out == items.state_item(replace(state, expires_at_ms=None), purge_at)
        else:
            assert laid_out == items.state_item(state)
        # And the customer's lock is there, with the state's deadline, exactly while the state holds them
        table = moto_tables["ConversationsTable"]
        lock = dynamodb_client().get_item(TableName=table, Key=lock_key).get("Item")
        if state.status in HOLDS_CUSTOMER:
            assert state.expires_at_ms is not None
            held = ActiveLock(conversation_id, state.expires_at_ms)
            assert lock == items.active_lock_item(TENANT, fingerprint, held)
        else:
            assert lock is None


@pytest.mark.parametrize(
    ("steps", "again"),
    [
        ([(A, ANA)], (A, ANA)),
        ([(A, ANA), (W, ANA)], (W, BO)),
        ([(A, ANA), (E, ANA)], (E, ANA)),
        ([(C, ANA)], (C, BO)),
        ([(A, ANA), (EOC, None)], (EOC, None)),
    ],
    ids=["accept", "wait", "end", "close", "endOfConversation"],
)
def test_repeating_an_event_whose_result_stands_changes_nothing_and_answers_as_it_stands(
    moto_tables: dict[str, str],
    steps: list[tuple[Event, Representative | None]],
    again: tuple[Event, Representative | None],
) -> None:
    # Given a conversation the events brought where it is
    outcomes, apply, conversation_id, clock = walk(steps)
    # When the last event comes again, later
    clock.now += STEP
    repeated = apply(TENANT, conversation_id, again[0], actor=again[1])
    # Then the answer is the conversation as it stands: unchanged, with its latest activity's id
    last = answered(outcomes[-1])
    assert answered(repeated) == EventOutcome(
        conversation_id,
        last.status,
        changed=False,
        message_id=last.message_id,
        representative=last.representative,
        ended_by=last.ended_by,
        closed_at_ms=last.closed_at_ms,
        close_reason=last.close_reason,
        expires_at_ms=last.expires_at_ms,
    )


@pytest.mark.parametrize(
    ("steps", "event", "status", "allowed"),
    [
        ([(A, ANA)], (A, BO), "active", ["release", "wait", "end", "close"]),  # another one's accept
        ([], (RS, ANA), "open", ["accept", "close"]),
        ([(A, ANA), (E, ANA)], (W, ANA), "wrapup", ["close"]),
        ([(C, ANA)], (A, ANA), "closed", []),
        ([(A, ANA), (W, ANA)], (Event.CUSTOMER_MESSAGE, None), None, None),  # no refusal: the revival
    ],
    ids=["accept active", "resume open", "wait wrapup", "accept closed", "revive waiting"],
)
def test_an_event_its_status_lacks_is_refused_naming_the_status_and_the_events_it_allows(
    moto_tables: dict[str, str],
    steps: list[tuple[Event, Representative | None]],
    event: tuple[Event, Representative | None],
    status: str | None,
    allowed: list[str] | None,
) -> None:
    _, apply, conversation_id, clock = walk(steps)
    clock.now += STEP
    if status is None:
        outcome = apply(TENANT, conversation_id, event[0], actor=event[1])
        assert (outcome.status, outcome.representative, outcome.expires_at_ms) == (
            OP,
            None,
            clock.now + MINUTE,
        )
        return
    with pytest.raises(InvalidTransition) as refused:
        apply(TENANT, conversation_id, event[0], actor=event[1])
    assert (refused.value.status, refused.value.event, refused.value.allowed) == (
        status,
        event[0].value,
        allowed,
    )


def test_a_timeout_closes_the_conversation_at_its_deadline_and_is_answered_unchanged_before(
    moto_tables: dict[str, str],
) -> None:
    # Given an active conversation
    outcomes, apply, conversation_id, clock = walk([(A, ANA)])
    accepted = outcomes[0]
    assert accepted.expires_at_ms is not None
    # When the sweeper's timeout comes 1 ms early, and then at the deadline
    clock.now = accepted.expires_at_ms - 1
    early = apply(TENANT, conversation_id, Event.TIMEOUT, assumed=Status.ACTIVE)
    clock.now = accepted.expires_at_ms
    due = apply(TENANT, conversation_id, Event.TIMEOUT, assumed=Status.ACTIVE)
    # Then the early one changes nothing; the due one closes it by its timeout
    assert early == EventOutcome(
        conversation_id, AC, False, accepted.message_id, ANA, None, None, None, accepted.expires_at_ms
    )
    # (what the sweeper reads of it: the representative is not part of a timeout's answer)
    assert (due.status, due.changed, due.message_id, due.closed_at_ms, due.close_reason) == (
        CL,
        True,
        accepted.expires_at_ms,
        accepted.expires_at_ms,
        TIMEOUT,
    )


def test_a_timeout_that_assumes_a_stale_status_times_out_the_conversation_in_its_real_one(
    moto_tables: dict[str, str],
) -> None:
    # Given a conversation accepted after the sweeper's page listed it as open, now past its deadline
    outcomes, apply, conversation_id, clock = walk([(A, ANA)])
    accepted = outcomes[0]
    assert accepted.expires_at_ms is not None
    clock.now = accepted.expires_at_ms
    # When the timeout comes, believing it open
    due = apply(TENANT, conversation_id, Event.TIMEOUT, assumed=Status.OPEN)
    # Then it is closed by its timeout all the same, from where it really was
    assert (due.status, due.changed, due.closed_at_ms, due.close_reason) == (
        CL,
        True,
        accepted.expires_at_ms,
        TIMEOUT,
    )
