"""The domain's values and rules, without storage: the clock and how times are written (CONTRACT.md: epoch
milliseconds, ISO 8601 UTC with milliseconds), how emails and phones are compared, each state's deadline and
how a conversation past it reads, the customer's lock, the stored context, record identification, and the
errors the HTTP layer turns into answers."""

from __future__ import annotations

import time

import pytest

from messaging.domain import contact_keys
from messaging.domain.contact import Contact, identify_contact
from messaging.domain.conversation import (
    ActiveLock,
    ContactMatch,
    ContextVariable,
    Conversation,
    ConversationDetails,
    ConversationState,
    CustomerDetails,
    Representative,
    Timeouts,
    context_json,
)
from messaging.domain.errors import ConversationEnded, CustomerHasActiveConversation, InvalidTransition
from messaging.domain.state_machine import CloseReason, EndedBy, Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import iso_time, now_ms

MINUTE = 60_000
TIMEOUTS = Timeouts(open_ms=MINUTE, active_ms=2 * MINUTE, waiting_ms=3 * MINUTE, wrapup_ms=4 * MINUTE)
T0 = 1_800_000_000_000  # 2027-01-15T08:00:00Z


def test_the_clock_reads_epoch_milliseconds_now() -> None:
    before = time.time_ns() // 1_000_000
    read = now_ms()
    after = time.time_ns() // 1_000_000
    assert isinstance(read, int)
    assert before <= read <= after


@pytest.mark.parametrize(
    ("epoch_ms", "written"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (T0, "2027-01-15T08:00:00.000Z"),
        (T0 + 123, "2027-01-15T08:00:00.123Z"),
        (T0 + 86_399_999, "2027-01-16T07:59:59.999Z"),
        (None, None),
    ],
)
def test_times_are_written_in_utc_with_milliseconds_and_a_z(
    epoch_ms: int | None, written: str | None
) -> None:
    assert iso_time(epoch_ms) == written


@pytest.mark.parametrize(
    ("phone", "key"),
    [
        ("+1 (234) 567-890", "+1234567890"),
        ("  +44 20 7946 0958", "+442079460958"),  # leading spaces: the plus still counts
        ("020 7946 0958 ", "02079460958"),
        ("1+2", "12"),  # a plus inside is a separator
    ],
)
def test_a_phone_number_is_compared_on_its_digits_and_a_leading_plus(phone: str, key: str) -> None:
    assert contact_keys.is_valid_phone(phone)
    assert contact_keys.normalize_phone(phone) == key


def test_an_email_is_compared_in_lower_case() -> None:
    assert contact_keys.is_valid_email("John.Doe@Example.COM")
    assert contact_keys.normalize_email("John.Doe@Example.COM") == "john.doe@example.com"


@pytest.mark.parametrize(
    ("status", "deadline"),
    [
        (Status.OPEN, T0 + MINUTE),
        (Status.ACTIVE, T0 + 2 * MINUTE),
        (Status.WAITING, T0 + 3 * MINUTE),
        (Status.WRAPUP, T0 + 4 * MINUTE),
        (Status.CLOSED, None),  # final: no deadline
    ],
)
def test_each_state_s_deadline_is_its_entry_plus_its_timeout(status: Status, deadline: int | None) -> None:
    assert TIMEOUTS.deadline(status, T0) == deadline


def a_state(status: Status, expires_at_ms: int | None, ended_by: EndedBy | None = None) -> ConversationState:
    return ConversationState(
        conversation_id="c-1",
        tenant=Tenant("acme"),
        status=status,
        created_at_ms=T0 - MINUTE,
        entered_at_ms=T0 - MINUTE,
        expires_at_ms=expires_at_ms,
        last_message_id=T0 - MINUTE,
        customerid="jdoe123",
        representative=Representative("rep-1", "Ana") if status is not Status.OPEN else None,
        ended_by=ended_by,
    )


@pytest.mark.parametrize("status", [Status.OPEN, Status.ACTIVE, Status.WAITING])
def test_a_live_conversation_reads_as_it_is_until_its_deadline_and_timed_out_at_it(status: Status) -> None:
    state = a_state(status, T0)
    # 1 ms before: as stored, still live
    assert not state.expired(T0 - 1)
    assert state.as_seen_at(T0 - 1) == state
    assert state.is_active(T0 - 1) is (status in {Status.OPEN, Status.ACTIVE})
    # At the deadline: closed by its timeout, at the deadline, with no deadline left; the customerid is free
    assert state.expired(T0)
    seen = state.as_seen_at(T0 + 5)
    assert seen == ConversationState(
        conversation_id="c-1",
        tenant=Tenant("acme"),
        status=Status.CLOSED,
        created_at_ms=T0 - MINUTE,
        entered_at_ms=T0 - MINUTE,
        expires_at_ms=None,
        last_message_id=T0 - MINUTE,
        customerid="jdoe123",
        representative=state.representative,
        closed_at_ms=T0,
        close_reason=CloseReason.TIMEOUT,
    )
    assert not state.is_active(T0)


@pytest.mark.parametrize("ended_by", [EndedBy.CUSTOMER, EndedBy.REPRESENTATIVE])
def test_a_wrapup_past_its_deadline_reads_closed_for_whoever_ended_it(ended_by: EndedBy) -> None:
    seen = a_state(Status.WRAPUP, T0, ended_by).as_seen_at(T0)
    assert (seen.status, seen.closed_at_ms, seen.close_reason) == (
        Status.CLOSED,
        T0,
        CloseReason(ended_by.value),
    )
    assert seen.ended_by is ended_by


def test_a_closed_conversation_reads_as_stored_whatever_the_time() -> None:
    closed = a_state(Status.CLOSED, None)
    assert not closed.expired(T0 + 10 * MINUTE)
    assert closed.as_seen_at(T0 + 10 * MINUTE) is closed
    # Even a closed one stored with a stale deadline is not closed again
    stale = a_state(Status.CLOSED, T0)
    assert stale.as_seen_at(T0 + 1) is stale


def test_a_conversation_as_read_past_its_deadline_keeps_its_details() -> None:
    details = ConversationDetails(customer=CustomerDetails(customerid="jdoe123"), contact_id="k-1")
    conversation = Conversation(a_state(Status.OPEN, T0), details)
    seen = conversation.as_seen_at(T0)
    assert seen == Conversation(a_state(Status.OPEN, T0).as_seen_at(T0), details)
    assert seen.state.status is Status.CLOSED and seen.conversation_id == "c-1"
    assert conversation.as_seen_at(T0 - 1) == conversation


def test_the_customer_s_lock_holds_until_its_deadline_and_not_at_it() -> None:
    lock = ActiveLock("c-1", expires_at_ms=T0)
    assert lock.is_active(T0 - 1)
    assert not lock.is_active(T0)


def test_the_context_is_stored_as_compact_json_in_its_own_characters() -> None:
    # The stored form is also what CONTEXT_MAX_BYTES counts: no spaces, non-ASCII kept as is (UTF-8)
    context = {
        "greeting": ContextVariable("héllo wörld", is_displayable=True),
        "visits": ContextVariable(3),
        "vip": ContextVariable(value=False),
    }
    assert context_json(context) == (
        '{"greeting":{"value":"héllo wörld","isDisplayable":true},'
        '"visits":{"value":3,"isDisplayable":false},'
        '"vip":{"value":false,"isDisplayable":false}}'
    )


def test_a_message_to_an_ended_conversation_is_refused_naming_its_status() -> None:
    error = ConversationEnded("wrapup")
    assert (str(error), error.status) == ("the conversation is wrapup: it accepts no more messages", "wrapup")


def test_a_refused_transition_and_a_held_customerid_carry_what_their_answers_name() -> None:
    refused = InvalidTransition("closed", "accept", [])
    assert (refused.status, refused.event, refused.allowed) == ("closed", "accept", [])
    assert CustomerHasActiveConversation("c-9").holder == "c-9"


EMAIL_CONTACT = Contact("k-email", firstname="Jo", email="jo@example.com")
PHONE_CONTACT = Contact("k-phone", lastname="Doe", phonenumber="+1234")
CUSTOMER = CustomerDetails(
    customerid="jdoe123",
    firstname="John",
    lastname="Doe",
    preferredname="Johnny",
    email="jo@example.com",
    phonenumber="+1234",
)


@pytest.mark.parametrize(
    ("by_email", "by_phone", "contact_id", "match", "existing"),
    [
        (EMAIL_CONTACT, PHONE_CONTACT, None, ContactMatch.AMBIGUOUS, None),  # two contacts: link neither
        (EMAIL_CONTACT, EMAIL_CONTACT, "k-email", ContactMatch.MATCHED, EMAIL_CONTACT),  # both the same one
        (EMAIL_CONTACT, None, "k-email", ContactMatch.MATCHED, EMAIL_CONTACT),
        (None, PHONE_CONTACT, "k-phone", ContactMatch.MATCHED, PHONE_CONTACT),
    ],
)
def test_one_matching_contact_links_and_two_different_ones_link_nothing(
    by_email: Contact | None,
    by_phone: Contact | None,
    contact_id: str | None,
    match: ContactMatch,
    existing: Contact | None,
) -> None:
    identified = identify_contact(by_email, by_phone, CUSTOMER, "k-new")
    assert (identified.contact_id, identified.match) == (contact_id, match)
    assert (identified.existing, identified.new_contact) == (existing, None)


def test_no_match_with_an_email_or_a_phone_creates_a_contact_of_the_request_s_details() -> None:
    for customer in (CUSTOMER, CustomerDetails(email="jo@example.com"), CustomerDetails(phonenumber="+1234")):
        identified = identify_contact(None, None, customer, "k-new")
        assert (identified.contact_id, identified.match, identified.existing) == (
            "k-new",
            ContactMatch.CREATED,
            None,
        )
        assert identified.new_contact == Contact(
            "k-new",
            firstname=customer.firstname,
            lastname=customer.lastname,
            preferredname=customer.preferredname,
            email=customer.email,
            phonenumber=customer.phonenumber,
        )


def test_without_an_email_or_a_phone_no_contact_is_looked_for_or_created() -> None:
    identified = identify_contact(
        None, None, CustomerDetails(customerid="jdoe123", firstname="John"), "k-new"
    )
    assert (identified.contact_id, identified.match) == (None, ContactMatch.NONE)
    assert (identified.existing, identified.new_contact) == (None, None)
