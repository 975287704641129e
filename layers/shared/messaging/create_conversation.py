"""Use case: start a conversation, or return the customer's active one (dedupe), identifying the contact.

Concurrency is settled by DynamoDB, not here: the active-lock item is written in the same transaction as the
conversation, on condition that no lock exists (or exactly the expired one we saw). A lost race comes back as
`WriteRejected` with the winner's lock, so the answer is the winner's conversation without another read.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from messaging import contact_keys
from messaging.conversation_ids import new_conversation_id
from messaging.domain import (
    Contact,
    ContactMatch,
    Conversation,
    ConversationRequest,
    CreateOutcome,
    CustomerDetails,
    Tenant,
)
from messaging.errors import StoreBusy
from messaging.store.protocol import ConversationStore, CreateSnapshot, NewConversation, WriteRejected

MAX_ATTEMPTS = 8


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _backoff(attempt: int) -> None:
    # Full jitter, 5 ms doubling to 160 ms: lets the winner of a TransactionConflict finish its transaction.
    time.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311 - jitter, not cryptography


@dataclass(frozen=True, slots=True)
class ContactIdentification:
    contact_id: str | None
    match: ContactMatch
    existing: Contact | None = None
    new_contact: Contact | None = None


def identify_contact(
    snapshot: CreateSnapshot, customer: CustomerDetails, new_contact_id: str
) -> ContactIdentification:
    """Record identification (CONTRACT.md): one match links, two different matches link nothing,
    no match with an email or a phone creates a contact."""
    by_email, by_phone = snapshot.email_contact, snapshot.phone_contact
    if by_email and by_phone and by_email.contact_id != by_phone.contact_id:
        return ContactIdentification(None, ContactMatch.AMBIGUOUS)
    existing = by_email or by_phone
    if existing is not None:
        return ContactIdentification(existing.contact_id, ContactMatch.MATCHED, existing=existing)
    if customer.email is None and customer.phonenumber is None:
        return ContactIdentification(None, ContactMatch.NONE)
    new_contact = Contact(
        contact_id=new_contact_id,
        firstname=customer.firstname,
        lastname=customer.lastname,
        preferredname=customer.preferredname,
        email=customer.email,
        phonenumber=customer.phonenumber,
    )
    return ContactIdentification(new_contact_id, ContactMatch.CREATED, new_contact=new_contact)


def _names_from_contact(customer: CustomerDetails, contact: Contact) -> CustomerDetails:
    """The identified record's names win over the request's (where the record has them)."""
    return replace(
        customer,
        firstname=contact.firstname or customer.firstname,
        lastname=contact.lastname or customer.lastname,
        preferredname=contact.preferredname or customer.preferredname,
    )


class CreateConversation:
    def __init__(
        self,
        store: ConversationStore,
        timeout_ms: int,
        *,
        clock: Callable[[], int] = now_ms,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._store = store
        self._timeout_ms = timeout_ms
        self._clock = clock
        self._new_id = new_id

    def __call__(self, tenant: Tenant, request: ConversationRequest) -> CreateOutcome:
        customer = request.customer
        email = contact_keys.normalize_email(customer.email) if customer.email else None
        phone = contact_keys.normalize_phone(customer.phonenumber) if customer.phonenumber else None
        needs_read = email is not None or phone is not None
        snapshot = self._read(tenant, customer.customerid, email, phone) if needs_read else CreateSnapshot()
        sent: dict[str, Conversation] = {}  # our own attempts: a lost answer may have landed one of them
        for attempt in range(MAX_ATTEMPTS):
            now = self._clock()
            if snapshot.lock is not None and snapshot.lock.conversation_id in sent:
                return _created(sent[snapshot.lock.conversation_id])
            if snapshot.lock is not None and snapshot.lock.customerid != customer.customerid:
                raise RuntimeError("two customerids share a lock fingerprint")  # 2^-96: see conversation_ids
            if snapshot.lock is not None and snapshot.lock.is_active(now):
                return CreateOutcome(snapshot.lock.conversation_id, is_new=False)
            new = self._new_conversation(tenant, request, snapshot, now=now, email=email, phone=phone)
            sent[new.conversation.conversation_id] = new.conversation
            try:
                self._store.insert_conversation(new, now)
            except WriteRejected as rejected:
                if rejected.already_written:
                    return _created(new.conversation)
                if rejected.conflict:
                    _backoff(attempt)
                    snapshot = self._read(tenant, customer.customerid, email, phone)
                else:
                    snapshot = _learn(snapshot, rejected)
                continue
            return _created(new.conversation)
        raise StoreBusy(f"create did not settle after {MAX_ATTEMPTS} attempts")

    def _read(
        self, tenant: Tenant, customerid: str | None, email: str | None, phone: str | None
    ) -> CreateSnapshot:
        return self._store.read_for_create(tenant, customerid, email, phone)

    def _new_conversation(
        self,
        tenant: Tenant,
        request: ConversationRequest,
        snapshot: CreateSnapshot,
        *,
        now: int,
        email: str | None,
        phone: str | None,
    ) -> NewConversation:
        identification = identify_contact(snapshot, request.customer, self._new_id())
        customer = request.customer
        if identification.existing is not None:
            customer = _names_from_contact(customer, identification.existing)
        conversation = Conversation(
            conversation_id=new_conversation_id(customer.customerid),
            tenant=tenant,
            customer=customer,
            created_at_ms=now,
            expires_at_ms=now + self._timeout_ms,
            contact_id=identification.contact_id,
            contact_match=identification.match,
            context=request.context,
            start_message=request.start_message,
            message_id=str(now) if request.start_message is not None else None,
            skip_deflection_bot=request.skip_deflection_bot,
        )
        return NewConversation(
            conversation=conversation,
            replaced_lock=snapshot.lock,  # only ever an expired one here
            new_contact=identification.new_contact,
            email=email,
            phone=phone,
        )


def _created(conversation: Conversation) -> CreateOutcome:
    return CreateOutcome(
        conversation.conversation_id,
        is_new=True,
        message_id=conversation.message_id,
        contact_match=conversation.contact_match.value,
    )


def _learn(snapshot: CreateSnapshot, rejected: WriteRejected) -> CreateSnapshot:
    """Folds what the failed transaction returned (ALL_OLD) into what we know, so no re-read is needed."""
    return CreateSnapshot(
        lock=rejected.lock if rejected.lock_checked else snapshot.lock,
        email_contact=rejected.email_contact or snapshot.email_contact,
        phone_contact=rejected.phone_contact or snapshot.phone_contact,
    )
