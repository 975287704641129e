"""The conversation state machine over HTTP, against the dev server as a user runs it.

- every row of CONTRACT.md's transition table: the answer, then both views (consumer and representative);
- every (status, event) pair the table does not have: 409 `invalid_transition` naming the status and the
  events it allows, or, for a retry (the same event with the same result), 200 with nothing changed;
- a waiting conversation frees the customerid, and resuming it needs the customerid back.

The pairs come from `messaging.domain.state_machine` (TRANSITIONS, REPRESENTATIVE_EVENTS), so these tests
follow the table; what each row must do is spelled here, from the contract.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from messaging.domain.state_machine import REPRESENTATIVE_EVENTS, TRANSITIONS, Event, Status
from tests.e2e.api_client import (
    ACCEPT,
    CLOSE,
    CUSTOMER_ENDS,
    CUSTOMER_MESSAGE_EVENT,
    END,
    RELEASE,
    REP_1,
    REP_2,
    RESUME,
    WAIT,
    Journey,
    Rep,
    Step,
    TenantApi,
    assert_answer_agrees,
    is_problem,
    message_id,
    unique_customerid,
)

HOLDS_CUSTOMERID = {"open", "active"}  # isActive


# Every row of the transition table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A row of the table, with what the conversation shows afterwards."""

    source: str
    step: Step
    target: str
    given: tuple[Step, ...]  # from a new (open) conversation to `source`
    representative: Rep | None  # the conversation's representative afterwards
    ended_by: str | None = None
    close_reason: str | None = None

    @property
    def id(self) -> str:
        ended = f"-ended-by-{self.ended_by}" if self.source == "wrapup" else ""
        return f"{self.source}{ended}-{self.step.event}-{self.target}"


CUSTOMER_MESSAGE = Step(CUSTOMER_MESSAGE_EVENT, None)  # the consumer's message activity

ROWS = (
    Row("open", ACCEPT, "active", (), REP_1),
    Row("active", RELEASE, "open", (ACCEPT,), None),  # back to the queue: no one has it
    Row("active", WAIT, "waiting", (ACCEPT,), REP_1),
    Row("waiting", RESUME, "active", (ACCEPT, WAIT), REP_1),
    Row("waiting", CUSTOMER_MESSAGE, "open", (ACCEPT, WAIT), None),
    Row("active", END, "wrapup", (ACCEPT,), REP_1, ended_by="representative"),
    Row("waiting", END, "wrapup", (ACCEPT, WAIT), REP_1, ended_by="representative"),
    Row("active", CUSTOMER_ENDS, "wrapup", (ACCEPT,), REP_1, ended_by="customer"),
    Row("open", CUSTOMER_ENDS, "closed", (), None, close_reason="customer"),
    Row("waiting", CUSTOMER_ENDS, "closed", (ACCEPT, WAIT), REP_1, close_reason="customer"),
    Row("wrapup", CLOSE, "closed", (ACCEPT, END), REP_1, "representative", "representative"),
    Row("wrapup", CLOSE, "closed", (ACCEPT, CUSTOMER_ENDS), REP_1, "customer", "customer"),
    Row("open", CLOSE, "closed", (), None, close_reason="representative"),
    Row("active", CLOSE, "closed", (ACCEPT,), REP_1, close_reason="representative"),
    Row("waiting", CLOSE, "closed", (ACCEPT, WAIT), REP_1, close_reason="representative"),
)


# With a customerid an event that takes or frees it is one transaction with the customer's lock; without
# one (anonymous) it is a single update: two write paths, each row runs on both.
CUSTOMER_KINDS = {"with-customerid": False, "anonymous": True}


def _row_params() -> list[Any]:
    params = []
    for row in ROWS:
        for kind, anonymous in CUSTOMER_KINDS.items():
            params.append(pytest.param(row, anonymous, id=f"{row.id}-{kind}"))
    return params


def test_the_rows_cover_every_transition_of_the_state_machine() -> None:
    # The timeout rows need the clock, not an HTTP event (tests/integration/test_timeout_rules.py).
    table = {(t.source.value, t.event.value) for t in TRANSITIONS.values() if t.event is not Event.TIMEOUT}
    assert {(row.source, row.step.event) for row in ROWS} == table


@pytest.mark.parametrize(("row", "anonymous"), _row_params())
def test_each_transition_of_the_table_answers_and_shows_its_new_status(
    api: TenantApi, row: Row, anonymous: bool
) -> None:
    # Given a conversation in the row's source status
    journey = Journey(api, *row.given, anonymous=anonymous)
    assert all(view["status"] == row.source for view in journey.views())

    # When the row's event is sent
    answer = journey.advance(row.step)  # 200, a new messageId above the conversation's earlier ones

    # Then the answer gives the new status and what the transition settled (a message's answer is its
    # messageId: the consumer's view gives the rest)
    body = answer.body if row.step is not CUSTOMER_MESSAGE else journey.views()[0]
    assert body["status"] == row.target
    assert body["isActive"] is (row.target in HOLDS_CUSTOMERID)
    if row.step is ACCEPT:
        assert body["representative"] == REP_1.view
    if row.target == "wrapup":
        assert body["endedBy"] == row.ended_by
    if row.target == "closed":
        assert body["closeReason"] == row.close_reason
        assert isinstance(body["closedAt"], str)

    # And both views show the conversation as it now stands
    for view in journey.views():
        assert view["conversationId"] == journey.id
        assert view["status"] == row.target
        assert view["isActive"] is (row.target in HOLDS_CUSTOMERID)
        assert view["representative"] == (row.representative.view if row.representative else None)
        assert view["endedBy"] == row.ended_by
        assert view["closeReason"] == row.close_reason
        assert (view["endedAt"] is not None) is (row.ended_by is not None)
        assert (view["closedAt"] is not None) is (row.target == "closed")
        assert (view["expiresAt"] is None) is (row.target == "closed")
        assert view["closedAt"] == body.get("closedAt")


# The answer to an event is the conversation GET shows afterwards --------------------------------------------

# From each source status, by the representative who has the conversation (REP_1 accepted every accepted one)
# and by another one (REP_2).
GIVEN = {"open": (), "active": (ACCEPT,), "waiting": (ACCEPT, WAIT), "wrapup": (ACCEPT, END)}
AGREEMENT_CASES = [
    (row.source, Step(row.step.event, by))
    for row in ROWS
    if row.step.by is not None and row.step is not CUSTOMER_MESSAGE and row.given == GIVEN[row.source]
    for by in (REP_1, REP_2)
] + [(source, CUSTOMER_ENDS) for source in ("open", "active", "waiting")]


def _agreement_params() -> list[Any]:
    params = []
    for source, step in AGREEMENT_CASES:
        for kind, anonymous in CUSTOMER_KINDS.items():
            case_id = f"{step.event}-by-{step.by.id if step.by else 'customer'}-on-{source}-{kind}"
            params.append(pytest.param(source, step, anonymous, id=case_id))
    return params


@pytest.mark.parametrize(("source", "step", "anonymous"), _agreement_params())
def test_the_answer_to_an_event_agrees_with_the_conversation_afterwards(
    api: TenantApi, source: str, step: Step, anonymous: bool
) -> None:
    # Given a conversation in the source status
    journey = Journey(api, *GIVEN[source], anonymous=anonymous)

    # When an event of the table is sent
    answer = journey.advance(step)

    # Then every field the answer carries is what both views show afterwards
    for view in journey.views():
        assert_answer_agrees(answer, view)


# Every pair the table does not have -------------------------------------------------------------------------


@dataclass(frozen=True)
class Situation:
    """A conversation in `status`, reached by `given` (REP_1 accepted it whenever it was accepted)."""

    name: str
    status: str
    given: tuple[Step, ...]


SITUATIONS = (
    Situation("open", "open", ()),
    Situation("active", "active", (ACCEPT,)),
    Situation("waiting", "waiting", (ACCEPT, WAIT)),
    Situation("wrapup-ended-by-representative", "wrapup", (ACCEPT, END)),
    Situation("wrapup-ended-by-customer", "wrapup", (ACCEPT, CUSTOMER_ENDS)),
    Situation("closed-by-representative", "closed", (ACCEPT, CLOSE)),
    Situation("closed-by-customer", "closed", (CUSTOMER_ENDS,)),
)

# The contract's retries: the same event with the same result answers 200, nothing changed (situation, step).
RETRIES = {
    ("active", ACCEPT),  # accept by the representative who has it
    ("active", RESUME),  # resume by the representative who has it
    ("waiting", WAIT),
    ("open", RELEASE),
    ("wrapup-ended-by-representative", END),
    ("closed-by-representative", CLOSE),
    ("closed-by-customer", CLOSE),
    ("wrapup-ended-by-representative", CUSTOMER_ENDS),
    ("wrapup-ended-by-customer", CUSTOMER_ENDS),
    ("closed-by-representative", CUSTOMER_ENDS),
    ("closed-by-customer", CUSTOMER_ENDS),
}


def _not_in_table() -> list[tuple[Situation, Step]]:
    """Every (situation, step) whose (status, event) is not a row: the representative's events (accept and
    resume both by the representative who has the conversation and by another one) and the consumer's."""
    cases = []
    for situation in SITUATIONS:
        status = Status(situation.status)
        for event in (*REPRESENTATIVE_EVENTS, Event.END_OF_CONVERSATION):
            if (status, event) in TRANSITIONS:
                continue
            if event is Event.END_OF_CONVERSATION:
                cases.append((situation, CUSTOMER_ENDS))
            elif event in (Event.ACCEPT, Event.RESUME):
                cases += [(situation, Step(event.value, REP_1)), (situation, Step(event.value, REP_2))]
            else:
                cases.append((situation, Step(event.value)))
    return cases


NOT_IN_TABLE = _not_in_table()


def _case_id(situation: Situation, step: Step) -> str:
    by = "customer" if step.by is None else step.by.id
    return f"{step.event}-by-{by}-on-{situation.name}"


def allowed_representative_events(status: str) -> list[str]:
    return [event.value for event in REPRESENTATIVE_EVENTS if (Status(status), event) in TRANSITIONS]


def test_the_situations_cover_every_status_and_every_retry_is_a_case() -> None:
    assert {situation.status for situation in SITUATIONS} == {status.value for status in Status}
    cases = {(situation.name, step) for situation, step in NOT_IN_TABLE}
    assert cases >= RETRIES


@pytest.mark.parametrize(
    ("situation", "step"),
    [pytest.param(s, e, id=_case_id(s, e)) for s, e in NOT_IN_TABLE if (s.name, e) not in RETRIES],
)
def test_an_event_the_status_does_not_allow_is_a_409_naming_the_status_and_allowed_events(
    api: TenantApi, situation: Situation, step: Step
) -> None:
    # Given a conversation in a status the event does not apply to
    journey = Journey(api, *situation.given)
    before = journey.views()

    # When the event is sent
    answer = journey.send(step)

    # Then it is refused, naming the status and exactly the events that status allows
    assert is_problem(answer, 409, "invalid_transition"), answer.body
    assert answer.body["conversationStatus"] == situation.status
    allowed = answer.body["allowedEvents"]
    assert sorted(allowed) == sorted(allowed_representative_events(situation.status))
    # And nothing changed
    assert journey.views() == before


@pytest.mark.parametrize(
    ("situation", "step"),
    [pytest.param(s, e, id=_case_id(s, e)) for s, e in NOT_IN_TABLE if (s.name, e) in RETRIES],
)
def test_a_retry_answers_200_with_nothing_changed(api: TenantApi, situation: Situation, step: Step) -> None:
    # Given a conversation the event already brought where it is
    journey = Journey(api, *situation.given)
    before = journey.views()

    # When the same event is sent again
    answer = journey.send(step)

    # Then it answers 200 with the unchanged status and the conversation's latest activity's messageId
    assert answer.status == 200, answer.body
    assert answer.body["conversationId"] == journey.id
    assert answer.body["status"] == situation.status
    assert answer.body["isActive"] is (situation.status in HOLDS_CUSTOMERID)
    assert message_id(answer) == journey.last_message_id
    # And nothing changed
    assert journey.views() == before
    for view in before:
        assert_answer_agrees(answer, view)


# A waiting conversation frees the customerid ----------------------------------------------------------------


def test_waiting_frees_the_customerid_and_resume_waits_until_the_new_conversation_ends(
    api: TenantApi,
) -> None:
    # Given a customer's conversation set aside (waiting)
    customerid = unique_customerid()
    waiting = Journey(api, ACCEPT, WAIT, customerid=customerid)
    assert [view["isActive"] for view in waiting.views()] == [False, False]

    # When the same customer starts a conversation
    created = api.create({"customercontext": {"customerid": customerid}})

    # Then a new one starts
    assert created.status == 201 and created.body["isNew"] is True
    new_id = created.body["conversationId"]
    assert new_id != waiting.id

    # And the waiting one cannot resume while the new one holds the customerid: 409 naming the holder
    before = waiting.views()
    refused = waiting.send(RESUME)
    assert is_problem(refused, 409, "customer_has_active_conversation"), refused.body
    assert refused.body["conversationId"] == new_id
    assert waiting.views() == before
    # Nor can the customer's message revive it: 409 naming the holder, the message not stored
    transcript = api.transcript(waiting.id).body
    revival = waiting.send(CUSTOMER_MESSAGE)
    assert is_problem(revival, 409, "customer_has_active_conversation"), revival.body
    assert revival.body["conversationId"] == new_id
    assert (waiting.views(), api.transcript(waiting.id).body) == (before, transcript)

    # When the new one ends (open → closed by the customer)
    ended = api.end_of_conversation(new_id)
    assert (ended.status, ended.body["status"]) == (200, "closed")

    # Then the waiting one resumes, and holds the customerid again
    resumed = waiting.advance(RESUME)
    assert (resumed.body["status"], resumed.body["isActive"]) == ("active", True)
    assert [view["status"] for view in waiting.views()] == ["active", "active"]
    again = api.create({"customercontext": {"customerid": customerid}})
    assert (again.status, again.body) == (200, {"conversationId": waiting.id, "isNew": False})


# Two representatives at once --------------------------------------------------------------------------------


def test_two_representatives_accepting_at_once_exactly_one_wins_and_the_other_gets_409(
    api: TenantApi,
) -> None:
    # Given queued conversations
    journeys = [Journey(api) for _ in range(6)]

    # When two representatives accept each of them at the same time
    attempts = [(journey, Step("accept", rep)) for journey in journeys for rep in (REP_1, REP_2)]
    with ThreadPoolExecutor(len(attempts)) as pool:
        answers = list(pool.map(lambda attempt: attempt[0].send(attempt[1]), attempts))

    # Then for each conversation exactly one wins; the other is told it is active now
    for index, journey in enumerate(journeys):
        pair = answers[2 * index : 2 * index + 2]
        assert sorted(answer.status for answer in pair) == [200, 409], [answer.body for answer in pair]
        winner = next(answer for answer in pair if answer.status == 200)
        loser = next(answer for answer in pair if answer.status == 409)
        assert is_problem(loser, 409, "invalid_transition"), loser.body
        assert loser.body["conversationStatus"] == "active"
        # And the conversation is the winner's
        for view in journey.views():
            assert (view["status"], view["representative"]) == ("active", winner.body["representative"])
