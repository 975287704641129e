"""What the create's transaction tells when DynamoDB refuses it (messaging/store/protocol.py, WriteRejected),
on DynamoDB Local where its conditions hold for real: the conversation was written already (botocore retried
a transaction that had succeeded), the customer's lock is another conversation's, or the new contact's email
or phone is another contact's. The create answers from what the refusal carries, without reading again
(README, "Access patterns": an existing conversation in one round trip)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from messaging.config import settings
from messaging.domain.contact import Contact
from messaging.domain.contact_keys import normalize_email, normalize_phone
from messaging.domain.conversation import (
    ActiveLock,
    Conversation,
    ConversationRequest,
    CreateOutcome,
    CustomerDetails,
)
from messaging.domain.ids import ConversationIds, lock_fingerprint
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store.conversations import DynamoDBConversations
from messaging.store.protocol import CreateSnapshot, NewConversation, WriteRejected
from messaging.usecases.create import CreateConversation
from messaging.wiring import conversations
from tests.api import InProcessApi

TENANT = Tenant("tenant-a")
EMAIL, PHONE = "Ana@Example.com", "+1 (555) 0100"


def _rejection(store: DynamoDBConversations, new: NewConversation) -> WriteRejected:
    with pytest.raises(WriteRejected) as raised:
        store.insert_conversation(new, now_ms())
    return raised.value


def _stored(store: DynamoDBConversations, conversation_id: str) -> Conversation:
    conversation = store.get(TENANT, conversation_id)
    assert conversation is not None
    return conversation


def _another(first: Conversation, customerid: str | None) -> Conversation:
    """A conversation like `first` under a new id of `customerid` (of first's customer: the same lock)."""
    new_id = ConversationIds(settings().id_secret).new(TENANT, customerid)
    return Conversation(replace(first.state, conversation_id=new_id), first.details)


def _fields(rejected: WriteRejected) -> dict[str, object]:
    names = (
        "already_written",
        "conflict",
        "lock_checked",
        "lock",
        "holder",
        "email_contact",
        "phone_contact",
    )
    return {name: getattr(rejected, name) for name in names}


def test_writing_a_conversation_again_is_refused_as_already_written(local_env: dict[str, str]) -> None:
    # Given a conversation with a start message and a customer's lock, written by a create
    conversation_id = InProcessApi().start("c1")
    store = conversations()
    written = _stored(store, conversation_id)
    # When the very same transaction is written again (botocore retrying one that had succeeded)
    rejected = _rejection(store, NewConversation(written, fingerprint=lock_fingerprint(conversation_id)))
    # Then it is refused as written already, the lock found being the conversation's own
    assert written.state.expires_at_ms is not None
    assert _fields(rejected) == {
        "already_written": True,
        "conflict": False,
        "lock_checked": True,
        "lock": ActiveLock(conversation_id, written.state.expires_at_ms),
        "holder": None,
        "email_contact": None,
        "phone_contact": None,
    }


def test_a_second_conversation_for_a_customer_is_refused_with_the_lock_of_the_first(
    local_env: dict[str, str],
) -> None:
    # Given an open conversation of customer c1, holding the customer's lock
    first_id = InProcessApi().start("c1")
    store = conversations()
    first = _stored(store, first_id)
    # When another conversation of the same customer (a new id of the same fingerprint) is written
    second = _another(first, "c1")
    second_id = second.conversation_id
    assert lock_fingerprint(second_id) == lock_fingerprint(first_id)
    rejected = _rejection(store, NewConversation(second, fingerprint=lock_fingerprint(second_id)))
    # Then the lock's condition refused it, naming the first conversation and its deadline; nothing written
    assert first.state.expires_at_ms is not None
    assert _fields(rejected) == {
        "already_written": False,
        "conflict": False,
        "lock_checked": True,
        "lock": ActiveLock(first_id, first.state.expires_at_ms),
        "holder": None,
        "email_contact": None,
        "phone_contact": None,
    }
    assert store.get(TENANT, second_id) is None


def test_taking_over_a_lock_whose_holder_is_not_past_its_deadline_is_refused_with_the_holder(
    local_env: dict[str, str],
) -> None:
    # Given an open conversation of customer c1, well inside its deadline, holding the customer's lock
    first_id = InProcessApi().start("c1")
    store = conversations()
    first = _stored(store, first_id)
    assert first.state.expires_at_ms is not None
    lock = ActiveLock(first_id, first.state.expires_at_ms)
    # When another conversation of c1 is written taking that very lock over, as if its holder had expired
    # (a create that read the lock before the holder's deadline moved on)
    second = _another(first, "c1")
    second_id = second.conversation_id
    new = NewConversation(second, fingerprint=lock_fingerprint(second_id), replaced_lock=lock)
    rejected = _rejection(store, new)
    # Then the lock's condition held but the holder's did not: the refusal carries the holder's state as
    # stored, which the create answers with; nothing was written and the holder is untouched
    assert _fields(rejected) == {
        "already_written": False,
        "conflict": False,
        "lock_checked": False,
        "lock": None,
        "holder": first.state,
        "email_contact": None,
        "phone_contact": None,
    }
    assert store.get(TENANT, second_id) is None
    assert _stored(store, first_id) == first


def test_a_create_reads_the_lock_and_the_contacts_of_the_email_and_phone_it_brings(
    local_env: dict[str, str],
) -> None:
    # Given a conversation of customer c1 whose email and phone made a new contact
    api = InProcessApi()
    created = api.create(
        {"customercontext": {"customerid": "c1", "firstname": "Ana", "email": EMAIL, "phonenumber": PHONE}}
    )
    assert created.status == 201, created.body
    store = conversations()
    first = _stored(store, created.body["conversationId"])
    contact = Contact(str(first.details.contact_id), firstname="Ana", email=EMAIL, phonenumber=PHONE)
    fingerprint = lock_fingerprint(first.conversation_id)
    assert first.state.expires_at_ms is not None
    lock = ActiveLock(first.conversation_id, first.state.expires_at_ms)
    # When the next create reads what it needs, Then it finds the lock and the contact by either key
    email, phone = normalize_email(EMAIL), normalize_phone(PHONE)
    snapshot = store.read_for_create(TENANT, fingerprint, email, phone)
    assert (snapshot.lock, snapshot.email_contact, snapshot.phone_contact) == (lock, contact, contact)
    # And only what it asks for, and nothing that is not there
    only_email = store.read_for_create(TENANT, None, email, None)
    assert (only_email.lock, only_email.email_contact, only_email.phone_contact) == (None, contact, None)
    only_phone = store.read_for_create(TENANT, None, None, phone)
    assert (only_phone.lock, only_phone.email_contact, only_phone.phone_contact) == (None, None, contact)
    only_lock = store.read_for_create(TENANT, fingerprint, None, None)
    assert (only_lock.lock, only_lock.email_contact, only_lock.phone_contact) == (lock, None, None)
    elsewhere = store.read_for_create(Tenant("tenant-b"), fingerprint, email, phone)
    assert (elsewhere.lock, elsewhere.email_contact, elsewhere.phone_contact) == (None, None, None)


@pytest.mark.parametrize("brought", ["email", "phone", "both"])
def test_a_new_contact_whose_email_or_phone_is_taken_is_refused_with_the_contact_that_has_it(
    local_env: dict[str, str], brought: str
) -> None:
    # Given a contact made by a create that brought an email and a phone (kept as written, found normalized)
    api = InProcessApi()
    created = api.create({"customercontext": {"firstname": "Ana", "email": EMAIL, "phonenumber": PHONE}})
    assert created.status == 201, created.body
    store = conversations()
    first = _stored(store, created.body["conversationId"])
    existing = Contact(str(first.details.contact_id), firstname="Ana", email=EMAIL, phonenumber=PHONE)
    # When a create that read nothing writes a new contact with the same email, phone or both
    email = normalize_email(EMAIL) if brought in ("email", "both") else None
    phone = normalize_phone(PHONE) if brought in ("phone", "both") else None
    conversation = _another(first, None)
    new_id = conversation.conversation_id
    new_contact = Contact("k-new", firstname="Bo", email=email, phonenumber=phone)
    rejected = _rejection(
        store, NewConversation(conversation, new_contact=new_contact, email=email, phone=phone)
    )
    # Then the refusal carries the contact that has each key it brought; nothing was written
    assert _fields(rejected) == {
        "already_written": False,
        "conflict": False,
        "lock_checked": False,
        "lock": None,
        "holder": None,
        "email_contact": existing if email else None,
        "phone_contact": existing if phone else None,
    }
    assert store.get(TENANT, new_id) is None


def read_just_before_another(
    monkeypatch: pytest.MonkeyPatch, store: DynamoDBConversations, another: Callable[[], None]
) -> list[CreateSnapshot]:
    """The store, where another create lands right after this one's first read: the race that 16 threads
    make only by chance (tests/integration/test_create_concurrency.py), made every time. Returns the list of
    the reads it made."""
    reads: list[CreateSnapshot] = []
    read_for_create = store.read_for_create

    def read_then_another_lands(
        tenant: Tenant, fingerprint: str | None, email: str | None, phone: str | None
    ) -> CreateSnapshot:
        reads.append(read_for_create(tenant, fingerprint, email, phone))
        if len(reads) == 1:
            another()
        return reads[-1]

    monkeypatch.setattr(store, "read_for_create", read_then_another_lands)
    return reads


@pytest.mark.parametrize("brought", [{"email": EMAIL}, {"phonenumber": PHONE}], ids=["email", "phone"])
def test_a_create_whose_new_contact_was_made_meanwhile_learns_that_contact_from_the_refusal(
    local_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, brought: dict[str, str]
) -> None:
    # Given a create of customer c2 that read no contact for its email (or phone), just before customer c1's
    # create made one with the same email (or phone)
    config = settings()
    ids = ConversationIds(config.id_secret)

    def request(customerid: str) -> ConversationRequest:
        return ConversationRequest(customer=CustomerDetails(customerid=customerid, **brought))

    firsts: list[CreateOutcome] = []
    first = CreateConversation(conversations(), ids, config.timeouts)
    store = conversations()  # the real store, as wired, with one read made a race
    reads = read_just_before_another(monkeypatch, store, lambda: firsts.append(first(TENANT, request("c1"))))
    # When c2's create writes its conversation with a new contact
    outcome = CreateConversation(store, ids, config.timeouts)(TENANT, request("c2"))
    # Then the contact key's condition refused it, and it learnt c1's contact from the refusal (no second
    # read): its new conversation is linked to that contact
    assert outcome.is_new
    assert len(reads) == 1
    (c1,) = firsts
    c1_contact = _stored(store, c1.conversation_id).details.contact_id
    assert _stored(store, outcome.conversation_id).details.contact_id == c1_contact
