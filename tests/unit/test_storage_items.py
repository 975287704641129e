"""How conversations, locks and contacts are laid out in DynamoDB (README, "DynamoDB key design and access
patterns"; messaging/store/keys.py): what each item holds, and that reading an item gives back what was
written. The stream consumers, the TTL purge, the indexes and the invariant checks read these attributes by
name, so a renamed or dropped attribute is a lost conversation, a list that misses one, or a purge that never
comes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from messaging.domain.contact import Contact
from messaging.domain.conversation import (
    ActiveLock,
    ContactMatch,
    ContextVariable,
    Conversation,
    ConversationDetails,
    ConversationState,
    CustomerDetails,
    Representative,
    StartMessage,
)
from messaging.domain.state_machine import CloseReason, EndedBy, Status
from messaging.domain.tenant import Tenant
from messaging.store import items, keys

TENANT = Tenant("tenant-a")
CONVERSATION_ID = "0193a1b2-c3d4-8e5f-a6b7-c8d9e0f1001b"  # its last 4 hex digits, 0x001b = 27, fall in DUE#3
PK = f"TENANT#tenant-a#CONVERSATION#{CONVERSATION_ID}"
CREATED, ENTERED, EXPIRES = 1_760_000_000_000, 1_760_000_060_000, 1_760_000_360_000
REPRESENTATIVE = Representative("rep-7", "Ana")


def _state(status: Status, **changes: Any) -> ConversationState:
    base = ConversationState(
        conversation_id=CONVERSATION_ID,
        tenant=TENANT,
        status=status,
        created_at_ms=CREATED,
        entered_at_ms=ENTERED,
        expires_at_ms=EXPIRES,
        last_message_id=ENTERED + 5,
    )
    return replace(base, **changes)


FULL_STATES = [
    _state(Status.OPEN, customerid="c1", channel_id="web"),
    _state(Status.ACTIVE, customerid="c1", representative=REPRESENTATIVE),
    _state(Status.WAITING, representative=Representative("rep-8")),
    _state(
        Status.WRAPUP,
        customerid="c1",
        representative=REPRESENTATIVE,
        ended_at_ms=ENTERED,
        ended_by=EndedBy.REPRESENTATIVE,
        channel_id="web",
    ),
    _state(
        Status.CLOSED,
        expires_at_ms=None,
        customerid="c1",
        representative=REPRESENTATIVE,
        ended_at_ms=ENTERED - 1000,
        ended_by=EndedBy.CUSTOMER,
        closed_at_ms=ENTERED,
        close_reason=CloseReason.CUSTOMER,
        channel_id="web",
    ),
    _state(Status.CLOSED, expires_at_ms=None, closed_at_ms=ENTERED, close_reason=CloseReason.TIMEOUT),
    _state(Status.OPEN),
]


@pytest.mark.parametrize("state", FULL_STATES, ids=lambda state: state.status.value)
def test_a_state_reads_back_as_it_was_written(state: ConversationState) -> None:
    assert items.state_from_item(items.state_item(state)) == state


def test_an_active_state_holds_its_deadline_customer_representative_and_the_index_keys_of_its_lists() -> None:
    # Given an active conversation with its customer, its representative and a channel
    state = _state(Status.ACTIVE, customerid="c1", representative=REPRESENTATIVE, channel_id="web")
    # When it is laid out as an item, Then it holds each attribute the README's key layout names
    assert items.state_item(state) == {
        "pk": {"S": PK},
        "sk": {"S": "#STATE"},
        "kind": {"S": "conversation"},
        "conversationId": {"S": CONVERSATION_ID},
        "tenant": {"S": "tenant-a"},
        "status": {"S": "active"},
        "createdAt": {"N": str(CREATED)},
        "enteredAt": {"N": str(ENTERED)},
        "lastMessageId": {"N": str(ENTERED + 5)},
        "expiresAt": {"N": str(EXPIRES)},
        # a message moves the deadline on by the status's timeout without knowing the status
        "timeoutMs": {"N": str(EXPIRES - ENTERED)},
        "customerid": {"S": "c1"},
        "representative": {"M": {"id": {"S": "rep-7"}, "name": {"S": "Ana"}}},
        "channelId": {"S": "web"},
        "statusKey": {"S": "TENANT#tenant-a#STATUS#active"},
        "statusSince": {"S": f"{ENTERED:013d}#{CONVERSATION_ID}"},
        "repKey": {"S": "TENANT#tenant-a#REP#rep-7"},
        "repSort": {"S": f"active#{ENTERED:013d}#{CONVERSATION_ID}"},
        "liveKey": {"S": "TENANT#tenant-a#LIVE"},
        "createdSort": {"S": f"{CREATED:013d}#{CONVERSATION_ID}"},
        "dueShard": {"S": "DUE#3"},
        "dueAt": {"N": str(EXPIRES)},
    }


def test_a_closed_state_holds_its_ending_and_purge_time_and_no_index_key() -> None:
    # Given a conversation a representative ended, closed since, to be purged at a given time
    state = FULL_STATES[4]
    purge_at_s = ENTERED // 1000 + 86_400
    # When it is laid out as an item
    item = items.state_item(state, purge_at_s)
    # Then it holds its ending, its close and the TTL attribute, and is on no list nor the sweeper's
    assert item == {
        "pk": {"S": PK},
        "sk": {"S": "#STATE"},
        "kind": {"S": "conversation"},
        "conversationId": {"S": CONVERSATION_ID},
        "tenant": {"S": "tenant-a"},
        "status": {"S": "closed"},
        "createdAt": {"N": str(CREATED)},
        "enteredAt": {"N": str(ENTERED)},
        "lastMessageId": {"N": str(ENTERED + 5)},
        "customerid": {"S": "c1"},
        "representative": {"M": {"id": {"S": "rep-7"}, "name": {"S": "Ana"}}},
        "endedAt": {"N": str(ENTERED - 1000)},
        "endedBy": {"S": "customer"},
        "closedAt": {"N": str(ENTERED)},
        "closeReason": {"S": "customer"},
        "channelId": {"S": "web"},
        "ttl": {"N": str(purge_at_s)},
    }


@pytest.mark.parametrize(
    ("status", "lists"),
    [
        (Status.OPEN, {"statusKey", "statusSince", "liveKey", "createdSort", "dueShard", "dueAt"}),
        (Status.WAITING, set(items.INDEX_ATTRIBUTES)),  # still its representative's work
        (Status.WRAPUP, {"statusKey", "statusSince", "repKey", "repSort", "dueShard", "dueAt"}),
    ],
)
def test_each_status_carries_the_index_keys_of_the_lists_it_is_on(status: Status, lists: set[str]) -> None:
    # Given a conversation in the status, a representative's once it was accepted (not while open)
    representative = None if status is Status.OPEN else REPRESENTATIVE
    state = _state(status, representative=representative)
    # When its index keys are laid out, Then it has those of its lists, each as the key layout says
    present = {name: value for name, value in items.index_attributes(state).items() if value is not None}
    expected = {
        "statusKey": {"S": f"TENANT#tenant-a#STATUS#{status.value}"},
        "statusSince": {"S": f"{ENTERED:013d}#{CONVERSATION_ID}"},
        "repKey": {"S": "TENANT#tenant-a#REP#rep-7"},
        "repSort": {"S": f"{status.value}#{ENTERED:013d}#{CONVERSATION_ID}"},
        "liveKey": {"S": "TENANT#tenant-a#LIVE"},
        "createdSort": {"S": f"{CREATED:013d}#{CONVERSATION_ID}"},
        "dueShard": {"S": "DUE#3"},
        "dueAt": {"N": str(EXPIRES)},
    }
    assert present == {name: value for name, value in expected.items() if name in lists}
    assert set(items.index_attributes(state)) == set(items.INDEX_ATTRIBUTES)


@pytest.mark.parametrize(
    ("ended_at_ms", "retention_s", "purge_at_s"),
    [
        (1_000, 3_600, 3_601),  # a whole second
        (1_001, 3_600, 3_602),  # never before the retention is over: rounded up
        (1_999, 60, 62),
        (0, 60, 60),
        (123_456, 0, None),  # 0: kept for ever
    ],
)
def test_a_closed_conversation_is_purged_once_its_retention_has_passed(
    ended_at_ms: int, retention_s: int, purge_at_s: int | None
) -> None:
    assert items.purge_time(ended_at_ms, retention_s) == purge_at_s


FULL_DETAILS = ConversationDetails(
    customer=CustomerDetails("c1", "Ana", "Lima", "Aninha", "ana@example.com", "+1 555 0100"),
    contact_id="contact-1",
    contact_match=ContactMatch.MATCHED,
    context={
        "plan": ContextVariable("gold", is_displayable=True),
        "n": ContextVariable(3),
        "ok": ContextVariable(True),
    },
    start_message=StartMessage("Hello", displayname="Ana L."),
    start_message_id=str(CREATED),
    skip_deflection_bot=True,
)
DETAILS = [
    FULL_DETAILS,
    replace(FULL_DETAILS, skip_deflection_bot=False, start_message=StartMessage("Hi")),
    ConversationDetails(),
    ConversationDetails(customer=CustomerDetails(lastname="Lima"), contact_match=ContactMatch.AMBIGUOUS),
]


@pytest.mark.parametrize("details", DETAILS, ids=["full", "no displayname", "empty", "a lastname"])
def test_details_read_back_as_they_were_written(details: ConversationDetails) -> None:
    assert items.details_from_item(items.details_item(TENANT, CONVERSATION_ID, details)) == details


def test_the_details_item_holds_the_customer_contact_context_and_start_message() -> None:
    assert items.details_item(TENANT, CONVERSATION_ID, FULL_DETAILS) == {
        "pk": {"S": PK},
        "sk": {"S": "#DETAILS"},
        "kind": {"S": "details"},
        "contactMatch": {"S": "matched"},
        "customer": {
            "M": {
                "customerid": {"S": "c1"},
                "firstname": {"S": "Ana"},
                "lastname": {"S": "Lima"},
                "preferredname": {"S": "Aninha"},
                "email": {"S": "ana@example.com"},
                "phonenumber": {"S": "+1 555 0100"},
            }
        },
        "contactId": {"S": "contact-1"},
        # one JSON string, as compact as it gets (it counts against the item's size)
        "context": {
            "S": '{"plan":{"value":"gold","isDisplayable":true},"n":{"value":3,"isDisplayable":false},'
            '"ok":{"value":true,"isDisplayable":false}}'
        },
        "startMessageId": {"S": str(CREATED)},
        "startMessage": {"M": {"message": {"S": "Hello"}, "displayname": {"S": "Ana L."}}},
        "skipDeflectionBot": {"BOOL": True},
    }


def test_a_conversation_is_its_state_and_details_and_nothing_without_either() -> None:
    state, details = (
        items.state_item(FULL_STATES[1]),
        items.details_item(TENANT, CONVERSATION_ID, FULL_DETAILS),
    )
    message = items.start_message_item(TENANT, CONVERSATION_ID, CREATED, StartMessage("Hello"))
    assert items.conversation_from_items([message, details, state]) == Conversation(
        FULL_STATES[1], FULL_DETAILS
    )
    assert items.conversation_from_items([state, message]) is None
    assert items.conversation_from_items([details]) is None


def test_the_start_message_is_the_transcripts_first_message_from_the_customer() -> None:
    item = items.start_message_item(TENANT, CONVERSATION_ID, CREATED, StartMessage("Hello", "Ana L."))
    assert item == {
        "pk": {"S": PK},
        "sk": {"S": f"MESSAGE#{CREATED:013d}"},
        "kind": {"S": "message"},
        "messageId": {"S": str(CREATED)},
        "timestamp": {"N": str(CREATED)},
        "from": {"M": {"role": {"S": "customer"}, "name": {"S": "Ana L."}}},
        "text": {"S": "Hello"},
    }


def test_an_active_lock_names_its_holder_and_its_deadline() -> None:
    lock = ActiveLock(CONVERSATION_ID, EXPIRES)
    item = items.active_lock_item(TENANT, "f1ng3rpr1nt", lock)
    assert item == {
        "pk": {"S": "TENANT#tenant-a#LOCK#f1ng3rpr1nt"},
        "sk": {"S": "#LOCK"},
        "kind": {"S": "activeLock"},
        "tenant": {"S": "tenant-a"},
        "conversationId": {"S": CONVERSATION_ID},
        "expiresAt": {"N": str(EXPIRES)},
    }
    assert items.active_lock_from_item(item) == lock


CONTACTS = [
    Contact("contact-1", "Ana", "Lima", "Aninha", "ana@example.com", "15550100"),
    Contact("contact-2", email="bo@example.com"),
    Contact("contact-3", lastname="Lima", phonenumber="15550101"),
]


@pytest.mark.parametrize("contact", CONTACTS, ids=["full", "an email", "a lastname and a phone"])
def test_a_contact_and_its_lookups_read_back_as_written(contact: Contact) -> None:
    assert items.contact_from_item(items.contact_item(TENANT, contact, CREATED)) == contact
    email_key = keys.email_key(TENANT, "ana@example.com")
    assert (
        items.contact_from_item(items.contact_lookup_item(email_key, items.KIND_EMAIL_LOOKUP, contact))
        == contact
    )


def test_a_contact_item_and_its_lookups_carry_the_whole_contact() -> None:
    contact = CONTACTS[0]
    attributes = {
        "contactId": {"S": "contact-1"},
        "firstname": {"S": "Ana"},
        "lastname": {"S": "Lima"},
        "preferredname": {"S": "Aninha"},
        "email": {"S": "ana@example.com"},
        "phonenumber": {"S": "15550100"},
    }
    assert items.contact_item(TENANT, contact, CREATED) == {
        "pk": {"S": "TENANT#tenant-a#CONTACT#contact-1"},
        "kind": {"S": "contact"},
        "createdAt": {"N": str(CREATED)},
        **attributes,
    }
    for lookup_key, kind in (
        ("TENANT#tenant-a#EMAIL#ana@example.com", "email"),
        ("TENANT#tenant-a#PHONE#15550100", "phone"),
    ):
        assert items.contact_lookup_item(lookup_key, kind, contact) == {
            "pk": {"S": lookup_key},
            "kind": {"S": kind},
            **attributes,
        }


def test_every_key_starts_with_the_escaped_tenant_as_the_key_layout_says() -> None:
    # Given a tenant whose id holds the separator and the escape character
    tenant = Tenant("a#b%c")
    prefix = "TENANT#a%23b%25c"
    # When its keys are built, Then each is the documented layout under the escaped tenant
    assert {
        "conversation": keys.conversation_key(tenant, CONVERSATION_ID),
        "lock": keys.active_lock_key(tenant, "f1ng3rpr1nt"),
        "status": keys.status_key(tenant, "open"),
        "representative": keys.representative_key(tenant, "rep#1%"),
        "live": keys.live_key(tenant),
        "contact": keys.contact_key(tenant, "contact-1"),
        "email": keys.email_key(tenant, "ana@example.com"),
        "phone": keys.phone_key(tenant, "15550100"),
        "message": keys.message_sort_key(42),
    } == {
        "conversation": f"{prefix}#CONVERSATION#{CONVERSATION_ID}",
        "lock": f"{prefix}#LOCK#f1ng3rpr1nt",
        "status": f"{prefix}#STATUS#open",
        "representative": f"{prefix}#REP#rep%231%25",
        "live": f"{prefix}#LIVE",
        "contact": f"{prefix}#CONTACT#contact-1",
        "email": f"{prefix}#EMAIL#ana@example.com",
        "phone": f"{prefix}#PHONE#15550100",
        "message": "MESSAGE#0000000000042",
    }
    # And the tenant comes back from any of its keys as itself
    assert keys.tenant_of_key(keys.conversation_key(tenant, CONVERSATION_ID)) == tenant
