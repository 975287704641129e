"""The state machine is exactly CONTRACT.md's table ("Conversation states") and webhook event names ("Webhook
delivery"), spelled out here row by row from the contract, not read from the code. The table is built once at
import; the test also builds it again (`_table()`), so that a mutant of the builder is seen (mutmut switches
mutants on after import)."""

from __future__ import annotations

import pytest

from messaging.domain.state_machine import (
    HOLDS_CUSTOMER,
    REPRESENTATIVE_EVENTS,
    TRANSITIONS,
    CloseReason,
    Effect,
    EndedBy,
    Event,
    Status,
    Transition,
    _table,
    allowed_events,
    is_retry,
    transition,
)

OPEN, ACTIVE, WAITING, WRAPUP, CLOSED = "open", "active", "waiting", "wrapup", "closed"
# (from, event, to, webhook event, endedBy set on entering wrapup, closeReason set on entering closed)
CONTRACT_ROWS = [
    (OPEN, "accept", ACTIVE, "ConversationAccepted", None, None),
    (ACTIVE, "release", OPEN, "ConversationReleased", None, None),
    (ACTIVE, "wait", WAITING, "ConversationWaiting", None, None),
    (WAITING, "resume", ACTIVE, "ConversationResumed", None, None),
    (WAITING, "customerMessage", OPEN, "ConversationResumed", None, None),
    (ACTIVE, "end", WRAPUP, "ConversationEnded", "representative", None),
    (WAITING, "end", WRAPUP, "ConversationEnded", "representative", None),
    (ACTIVE, "endOfConversation", WRAPUP, "ConversationEnded", "customer", None),
    (OPEN, "endOfConversation", CLOSED, "ConversationClosed", None, "customer"),
    (WAITING, "endOfConversation", CLOSED, "ConversationClosed", None, "customer"),
    (WRAPUP, "close", CLOSED, "ConversationClosed", None, None),  # the reason: who ended it
    (OPEN, "close", CLOSED, "ConversationClosed", None, "representative"),
    (ACTIVE, "close", CLOSED, "ConversationClosed", None, "representative"),
    (WAITING, "close", CLOSED, "ConversationClosed", None, "representative"),
    (OPEN, "timeout", CLOSED, "ConversationTimedOut", None, "timeout"),
    (ACTIVE, "timeout", CLOSED, "ConversationTimedOut", None, "timeout"),
    (WAITING, "timeout", CLOSED, "ConversationTimedOut", None, "timeout"),
    (
        WRAPUP,
        "timeout",
        CLOSED,
        "ConversationClosed",
        None,
        None,
    ),  # the wrap-up timeout: reason, who ended it
]


def _rows(table: dict[tuple[Status, Event], Transition]) -> set[tuple[object, ...]]:
    rows: set[tuple[object, ...]] = set()
    for (source, event), row in table.items():
        assert (row.source, row.event) == (source, event)
        ended_by = row.ended_by.value if row.ended_by else None
        reason = row.close_reason.value if row.close_reason else None
        rows.add((source.value, event.value, row.target.value, row.emits, ended_by, reason))
    return rows


@pytest.mark.parametrize("table", ["built at import", "built again"])
def test_the_state_table_is_exactly_the_contracts(table: str) -> None:
    built = TRANSITIONS if table == "built at import" else _table()
    assert _rows(built) == set(CONTRACT_ROWS)
    assert len(built) == len(CONTRACT_ROWS)


def test_only_open_and_active_hold_the_customerid() -> None:
    assert {status.value for status in HOLDS_CUSTOMER} == {OPEN, ACTIVE}


@pytest.mark.parametrize(
    ("source", "event", "effect"),
    [
        (OPEN, "accept", Effect.KEEP),
        (ACTIVE, "release", Effect.KEEP),
        (ACTIVE, "wait", Effect.FREE),
        (WAITING, "resume", Effect.TAKE),
        (WAITING, "customerMessage", Effect.TAKE),
        (ACTIVE, "end", Effect.FREE),
        (WAITING, "end", Effect.NONE),
        (OPEN, "endOfConversation", Effect.FREE),
        (WAITING, "close", Effect.NONE),
        (WRAPUP, "close", Effect.NONE),
        (OPEN, "timeout", Effect.FREE),
    ],
)
def test_what_a_transition_does_to_the_lock_follows_from_the_statuses(
    source: str, event: str, effect: Effect
) -> None:
    row = transition(Status(source), Event(event))
    assert row is not None and row.effect is effect


def test_an_event_the_table_lacks_is_no_transition() -> None:
    assert transition(Status.CLOSED, Event.CLOSE) is None
    assert transition(Status.OPEN, Event.RESUME) is None
    assert transition(Status.WRAPUP, Event.END_OF_CONVERSATION) is None


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (OPEN, ["accept", "close"]),
        (ACTIVE, ["release", "wait", "end", "close"]),
        (WAITING, ["resume", "end", "close"]),
        (WRAPUP, ["close"]),
        (CLOSED, []),
    ],
)
def test_a_status_allows_the_representative_the_events_of_its_rows(status: str, allowed: list[str]) -> None:
    assert allowed_events(Status(status), REPRESENTATIVE_EVENTS) == allowed


@pytest.mark.parametrize(
    ("event", "status", "same_representative", "ended_by", "retry"),
    [
        ("accept", ACTIVE, True, None, True),  # the same representative accepting again
        ("accept", ACTIVE, False, None, False),  # another one: a loser, not a retry
        ("accept", OPEN, True, None, False),
        ("resume", ACTIVE, True, None, True),
        ("resume", ACTIVE, False, None, False),
        ("release", OPEN, False, None, True),
        ("wait", WAITING, False, None, True),
        ("end", WRAPUP, False, EndedBy.REPRESENTATIVE, True),
        ("end", WRAPUP, False, EndedBy.CUSTOMER, False),  # the customer ended it: not this event's result
        ("end", WRAPUP, False, None, False),
        ("close", CLOSED, False, None, True),
        ("close", WRAPUP, False, None, False),
        ("endOfConversation", WRAPUP, False, EndedBy.CUSTOMER, True),
        ("endOfConversation", CLOSED, False, None, True),
        ("endOfConversation", ACTIVE, False, None, False),
        ("timeout", CLOSED, False, None, False),  # a timeout is never answered as a retry
    ],
)
def test_repeating_an_event_whose_result_stands_is_a_retry(
    event: str, status: str, same_representative: bool, ended_by: EndedBy | None, retry: bool
) -> None:
    answer = is_retry(
        Event(event), Status(status), same_representative=same_representative, ended_by=ended_by
    )
    assert answer is retry


def test_close_reasons_and_enders_are_the_contracts_words() -> None:
    assert {reason.value for reason in CloseReason} == {"customer", "representative", "timeout"}
    assert {ender.value for ender in EndedBy} == {"customer", "representative"}
